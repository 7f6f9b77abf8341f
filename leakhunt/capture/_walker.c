/*
 * leakhunt._walker: the compiled heap walker behind leakhunt.snapshot().
 *
 * Past the usual ~500 lines on purpose: the histogram walk, the gc-list
 * reading, the background child's writer and the module's methods share
 * one translation unit with _graph.h (static inline helpers, the type
 * table); CPython's private layouts are kept apart in _cpython.h.
 *
 * One pass over gc.get_objects() plus everything those objects reference
 * that the gc does not track (str, bytes, int, float, untracked tuples and
 * dicts...), each object counted once, grouped by type with its shallow size
 * as sys.getsizeof() reports it.
 *
 * Rules this file keeps (see docs/design notes):
 *   - no user code runs: references come from tp_traverse (C), dict keys from
 *     PyDict_Next (no hashing), sizes from C __sizeof__ implementations only;
 *     a Python-level __sizeof__ is never called (object.__sizeof__'s formula is
 *     used instead);
 *   - leakhunt's own data is excluded: instances of the "owned" types, the
 *     extra roots, and every tracked object whose references all come from
 *     those (a small version of the gc's own reachability test);
 *   - no Python object is created during the walk except the ints returned
 *     by C __sizeof__ methods (not gc-tracked, so no collection can start).
 *
 * leakhunt/_pywalk.py is the pure-Python twin; tests compare both.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT, for naming slots in graph mode */
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h> /* PyFrame_Check moved into Python.h in 3.11 */
#endif
#include <stdint.h>
#include <string.h>
#include <errno.h>
#if defined(__linux__)
#include <unistd.h> /* fork, for background snapshots */
#endif
#if defined(__linux__)
#include <sys/mman.h> /* the graph's growing arrays (see _graph.h) */
#endif
#ifdef LH_HAVE_ZLIB
#include <zlib.h> /* graph snapshots compressed as they are walked (_graph.h) */
#endif

#ifndef Py_TPFLAGS_MANAGED_DICT
#define Py_TPFLAGS_MANAGED_DICT 0
#endif
#ifndef Py_TPFLAGS_MANAGED_WEAKREF
#define Py_TPFLAGS_MANAGED_WEAKREF 0
#endif

/* ------------------------------------------------------------------ */
/* Every private CPython layout, bounded above by the last version checked:
 * is_tracked() and what graph mode reads (see _cpython.h). */
#include "_cpython.h"

/* ------------------------------------------------------------------ */
/* pointer hash set / map (open addressing, linear probing)            */

typedef struct {
    uintptr_t *keys;
    int32_t *vals; /* NULL for a plain set; node numbers, label ids, positions */
    size_t mask;
    size_t used;
} ptrmap;

/* Objects near each other in memory get slots near each other: within a
 * 4 KiB block the slot follows the address (256 slots for 256 16-byte
 * steps), and each block's run of slots starts at a scattered place. The
 * histogram walk meets objects roughly in allocation order (the gc's
 * lists, then what they reference), so most lookups of its visited set
 * land on a cache line a recent one touched; a multiplicative hash of the
 * whole address sent each one to a random line of a table far bigger than
 * the caches (issue 10 item 3). Measured on 3M objects, when the graph
 * walk still used such a map: 1.05 s -> 0.54 s; 1 KiB blocks 0.68 s,
 * 16 KiB 0.78 s, 64 KiB 3.3 s (whole runs of blocks collide). */
static inline size_t
ptr_hash(uintptr_t p)
{
    /* the block's start is not aligned: a small table (mask < 255) still
     * scatters the blocks, where an aligned start would vanish under it */
    return (size_t)((p >> 12) * (uintptr_t)0x9E3779B97F4A7C15ULL + ((p >> 4) & 255));
}

static int
ptrmap_init(ptrmap *m, size_t cap, int with_vals)
{
    size_t n = 64;
    while (n < cap * 2) n <<= 1;
    m->keys = (uintptr_t *)PyMem_RawCalloc(n, sizeof(uintptr_t));
    m->vals = NULL;
    if (m->keys == NULL) return -1;
    if (with_vals) {
        m->vals = (int32_t *)PyMem_RawCalloc(n, sizeof(int32_t));
        if (m->vals == NULL) { PyMem_RawFree(m->keys); m->keys = NULL; return -1; }
    }
    m->mask = n - 1;
    m->used = 0;
    return 0;
}

static void
ptrmap_free(ptrmap *m)
{
    PyMem_RawFree(m->keys);
    PyMem_RawFree(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

static int
ptrmap_grow(ptrmap *m)
{
    size_t oldn = m->mask + 1, newn = oldn * 2, i;
    uintptr_t *ok = m->keys;
    int32_t *ov = m->vals;
    uintptr_t *nk = (uintptr_t *)PyMem_RawCalloc(newn, sizeof(uintptr_t));
    int32_t *nv = NULL;
    if (nk == NULL) return -1;
    if (ov) {
        nv = (int32_t *)PyMem_RawCalloc(newn, sizeof(int32_t));
        if (nv == NULL) { PyMem_RawFree(nk); return -1; }
    }
    for (i = 0; i < oldn; i++) {
        if (ok[i]) {
            size_t j = ptr_hash(ok[i]) & (newn - 1);
            while (nk[j]) j = (j + 1) & (newn - 1);
            nk[j] = ok[i];
            if (nv) nv[j] = ov[i];
        }
    }
    PyMem_RawFree(ok);
    PyMem_RawFree(ov);
    m->keys = nk;
    m->vals = nv;
    m->mask = newn - 1;
    return 0;
}

/* Slot of p, or -1 when absent. */
static inline Py_ssize_t
ptrmap_find(const ptrmap *m, const void *p)
{
    uintptr_t k = (uintptr_t)p;
    size_t j = ptr_hash(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k) return (Py_ssize_t)j;
        j = (j + 1) & m->mask;
    }
    return -1;
}

/* 1 if added, 0 if present, -1 on memory error. */
static inline int
ptrmap_add(ptrmap *m, const void *p, Py_ssize_t val)
{
    uintptr_t k = (uintptr_t)p;
    size_t j;
    /* keep the load factor under 0.75 */
    if ((m->used + 1) * 4 > (m->mask + 1) * 3) {
        if (ptrmap_grow(m) < 0) return -1;
    }
    j = ptr_hash(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k) return 0;
        j = (j + 1) & m->mask;
    }
    m->keys[j] = k;
    if (m->vals) m->vals[j] = (int32_t)val;
    m->used++;
    return 1;
}

/* Slot of p, adding it with val when absent (*added = 1, else 0); -1 on
 * memory error. One probe where find-then-add would take two. */
static inline Py_ssize_t
ptrmap_slot(ptrmap *m, const void *p, Py_ssize_t val, int *added)
{
    uintptr_t k = (uintptr_t)p;
    size_t j;
    if ((m->used + 1) * 4 > (m->mask + 1) * 3) {
        if (ptrmap_grow(m) < 0) return -1;
    }
    j = ptr_hash(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k) {
            *added = 0;
            return (Py_ssize_t)j;
        }
        j = (j + 1) & m->mask;
    }
    m->keys[j] = k;
    if (m->vals) m->vals[j] = (int32_t)val;
    m->used++;
    *added = 1;
    return (Py_ssize_t)j;
}

/* ------------------------------------------------------------------ */
/* per-type statistics and size strategy                               */

enum { KIND_UNKNOWN = 0, KIND_DEFAULT, KIND_CMETH, KIND_CCALL, KIND_USER };

typedef struct {
    PyTypeObject *tp;
    Py_ssize_t count;
    Py_ssize_t size;
    int kind;
    int calibrated;
    PyCFunction meth;
    Py_ssize_t presize;
    Py_ssize_t gid;     /* graph mode: 1 + index in the type list; 0 = none */
    uint32_t fallback;  /* graph mode: 1 + label id of "(in TYPE)" */
    uint32_t keylabel;  /* graph mode: 1 + label id of "[<TYPE>]" for keys */
    int memb_done;      /* graph mode: members below worked out */
    Py_ssize_t nmemb;   /* graph mode: object members (slots...) */
    Py_ssize_t *moff;
    uint32_t *mlab;
} typeent;

typedef struct {
    typeent *ents;
    size_t mask;
    size_t used;
} typetable;

typedef struct {
    PyObject **items;
    Py_ssize_t len;
    Py_ssize_t cap;
} objstack;

typedef struct {
    typetable types;
    typeent *last;
    ptrmap visited;  /* untracked objects already counted */
    uintptr_t recent[4096]; /* direct-mapped cache in front of `visited`:
                               None, small ints and shared keys are met
                               again and again */
    ptrmap excluded; /* tracked objects that are leakhunt's own */
    objstack stack;  /* untracked containers still to traverse */
    PyObject *getsizeof;
    Py_ssize_t gc_head;
    Py_ssize_t n_tracked;
    Py_ssize_t n_untracked;
    int shortcut_ok;
    int list_refs;   /* 1: a list of all objects holds one reference to each */
    Py_ssize_t visits;
    int failed;
    struct graphbuf_s *g; /* graph mode (see _graph.h); NULL for histograms */
} walker;

static PyObject *str_sizeof; /* interned "__sizeof__" */
static PyTypeObject *lh_local_type; /* _thread._local (graph mode) */

static int
typetable_init(typetable *t)
{
    t->mask = 1023;
    t->used = 0;
    t->ents = (typeent *)PyMem_RawCalloc(t->mask + 1, sizeof(typeent));
    return t->ents ? 0 : -1;
}

static int
typetable_grow(typetable *t)
{
    size_t oldn = t->mask + 1, newn = oldn * 2, i;
    typeent *ne = (typeent *)PyMem_RawCalloc(newn, sizeof(typeent));
    if (ne == NULL) return -1;
    for (i = 0; i < oldn; i++) {
        if (t->ents[i].tp) {
            size_t j = ptr_hash((uintptr_t)t->ents[i].tp) & (newn - 1);
            while (ne[j].tp) j = (j + 1) & (newn - 1);
            ne[j] = t->ents[i];
        }
    }
    PyMem_RawFree(t->ents);
    t->ents = ne;
    t->mask = newn - 1;
    return 0;
}

static void
resolve_kind(typeent *e)
{
    PyObject *d = _PyType_Lookup(e->tp, str_sizeof); /* borrowed, no user code */
    e->kind = KIND_USER;
    if (d == NULL) {
        e->kind = KIND_DEFAULT;
        return;
    }
    if (Py_IS_TYPE(d, &PyMethodDescr_Type)) {
        PyMethodDescrObject *md = (PyMethodDescrObject *)d;
        int flags = md->d_method->ml_flags;
        if (PyDescr_TYPE(md) == &PyBaseObject_Type) {
            e->kind = KIND_DEFAULT;
        }
        else if (!PyType_IsSubtype(e->tp, PyDescr_TYPE(md))) {
            /* a C __sizeof__ borrowed by an unrelated class
             * (`__sizeof__ = dict.__sizeof__`): its C function assumes
             * the layout of its own type. sys.getsizeof refuses such an
             * object (the descriptor's type check); the walk uses
             * object.__sizeof__'s formula, as for a Python __sizeof__. */
            e->kind = KIND_USER;
        }
        else if ((flags & (METH_VARARGS | METH_KEYWORDS | METH_NOARGS | METH_O |
                           METH_FASTCALL
#ifdef METH_METHOD
                           | METH_METHOD
#endif
                           )) == METH_NOARGS) {
            e->kind = KIND_CMETH;
            e->meth = md->d_method->ml_meth;
        }
        else {
            e->kind = KIND_CCALL;
        }
    }
    else if (Py_IS_TYPE(d, &PyWrapperDescr_Type)) {
        /* sys.getsizeof checks a wrapper's type itself; an unrelated one
         * would only fail there: take the formula at once */
        e->kind = PyType_IsSubtype(e->tp, PyDescr_TYPE((PyDescrObject *)d)) ? KIND_CCALL
                                                                              : KIND_USER;
    }
    /* anything else (a builtin function such as gc.collect or print
     * stored as __sizeof__, a Python function) is not called: KIND_USER */
}

static typeent *
type_entry(walker *w, PyTypeObject *tp)
{
    typetable *t = &w->types;
    size_t j;
    if (w->last && w->last->tp == tp) return w->last;
    j = ptr_hash((uintptr_t)tp) & t->mask;
    while (t->ents[j].tp) {
        if (t->ents[j].tp == tp) return (w->last = &t->ents[j]);
        j = (j + 1) & t->mask;
    }
    if ((t->used + 1) * 2 > t->mask + 1) {
        if (typetable_grow(t) < 0) return NULL;
        w->last = NULL;
        return type_entry(w, tp);
    }
    t->ents[j].tp = tp;
    t->used++;
    resolve_kind(&t->ents[j]);
    return (w->last = &t->ents[j]);
}

/* object.__sizeof__'s formula */
static inline Py_ssize_t
default_sizeof(PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
    Py_ssize_t res = tp->tp_basicsize;
    if (tp->tp_itemsize > 0) res += Py_SIZE(o) * tp->tp_itemsize;
    return res;
}

/* The part of sys.getsizeof() that is not __sizeof__: gc header and the
 * managed dict/weakref pre-header. Used only where we cannot ask
 * sys.getsizeof itself (a Python-level __sizeof__). */
static Py_ssize_t
presize_formula(walker *w, PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
    Py_ssize_t p = 0;
    if (PyObject_IS_GC(o)) p += w->gc_head;
    if (PyType_HasFeature(tp, Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_MANAGED_WEAKREF))
        p += 2 * (Py_ssize_t)sizeof(PyObject *);
    return p;
}

static Py_ssize_t
call_getsizeof(walker *w, PyObject *o, Py_ssize_t fallback)
{
    PyObject *r = PyObject_CallOneArg(w->getsizeof, o);
    Py_ssize_t v;
    if (r == NULL) { PyErr_Clear(); return fallback; }
    v = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    if (v < 0 && PyErr_Occurred()) { PyErr_Clear(); return fallback; }
    return v;
}

static Py_ssize_t
call_meth(PyCFunction meth, PyObject *o, Py_ssize_t fallback)
{
    PyObject *r = meth(o, NULL);
    Py_ssize_t v;
    if (r == NULL) { PyErr_Clear(); return fallback; }
    v = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    if (v < 0 && PyErr_Occurred()) { PyErr_Clear(); return fallback; }
    return v;
}

static Py_ssize_t
object_size(walker *w, typeent *e, PyObject *o)
{
    Py_ssize_t base;
    if (e->kind == KIND_USER) {
        return default_sizeof(o) + presize_formula(w, o);
    }
    if (PyType_Check(o) || e->kind == KIND_CCALL) {
        /* type objects: the pre-header differs between static and heap types */
        return call_getsizeof(w, o, default_sizeof(o) + presize_formula(w, o));
    }
    if (e->kind == KIND_DEFAULT) {
        base = default_sizeof(o);
    }
    else if (e->tp == &PyUnicode_Type && PyUnicode_IS_COMPACT_ASCII(o)
#if PY_VERSION_HEX < 0x030C0000
             && ((PyASCIIObject *)o)->wstr == NULL
#endif
    ) {
        /* str.__sizeof__ for the commonest str, without making an int */
        base = (Py_ssize_t)sizeof(PyASCIIObject) + PyUnicode_GET_LENGTH(o) + 1;
    }
    else {
        base = call_meth(e->meth, o, default_sizeof(o));
    }
    if (!e->calibrated) {
        /* sys.getsizeof() resolves to the same C __sizeof__ here, so this
         * is safe; the difference is per type (the gc / managed pre-header) */
        e->presize = call_getsizeof(w, o, base + presize_formula(w, o)) - base;
        e->calibrated = 1;
    }
    return base + e->presize;
}

static inline int
count_object(walker *w, PyObject *o, Py_ssize_t *size)
{
    typeent *e = type_entry(w, Py_TYPE(o));
    Py_ssize_t sz;
    if (e == NULL) return -1;
    sz = object_size(w, e, o);
    e->count++;
    e->size += sz;
    if (size) *size = sz;
    return 0;
}

static int
stack_push(objstack *s, PyObject *o)
{
    if (s->len == s->cap) {
        Py_ssize_t ncap = s->cap ? s->cap * 2 : 1024;
        PyObject **ni = (PyObject **)PyMem_RawRealloc(s->items, ncap * sizeof(PyObject *));
        if (ni == NULL) return -1;
        s->items = ni;
        s->cap = ncap;
    }
    s->items[s->len++] = o;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the counting walk                                                   */

/* Count an untracked object reached through a reference, once.
 *
 * An object whose reference count is 1 has exactly one referrer: the one
 * being traversed now. It cannot be reached again, so it needs no entry in
 * the visited set; in a typical heap that is most payload (unique strings,
 * floats, ints, small tuples), and it spares the walk a random memory
 * access per object. `shortcut` is off where one referrer may report the
 * same reference twice (dict keys, which we visit ourselves). */
static int g_reach(walker *w, PyObject *child);

static inline int
reach(walker *w, PyObject *child, int shortcut)
{
    if (child == NULL) return 0;
    if (is_tracked(child)) return 0; /* counted from the gc list */
    if (w->g != NULL) return g_reach(w, child);
    if (!(shortcut && w->shortcut_ok && Py_REFCNT(child) == 1)) {
        size_t slot = ((uintptr_t)child >> 4) & 4095;
        int added;
        if (w->recent[slot] == (uintptr_t)child) return 0;
        added = ptrmap_add(&w->visited, child, 0);
        w->recent[slot] = (uintptr_t)child;
        if (added <= 0) {
            if (added < 0) { w->failed = 1; return -1; }
            return 0;
        }
    }
    w->n_untracked++;
    if (count_object(w, child, NULL) < 0) { w->failed = 1; return -1; }
    if (PyObject_IS_GC(child) || PyDict_Check(child) || PyCode_Check(child)) {
        if (stack_push(&w->stack, child) < 0) { w->failed = 1; return -1; }
    }
    return 0;
}

static int
visit_count(PyObject *child, void *arg)
{
    return reach((walker *)arg, child, 1);
}

static int
visit_count_tally(PyObject *child, void *arg)
{
    walker *w = (walker *)arg;
    w->visits++;
    return reach(w, child, 1);
}

/* Everything o references, as the walk defines it: what tp_traverse
 * reports, plus what CPython does not traverse: the str keys of dicts (a
 * str cannot form a cycle, so dict_traverse skips them) and the constants
 * and names of code objects (code is not a gc type). */
static int
count_children(walker *w, PyObject *o)
{
    traverseproc tr = Py_TYPE(o)->tp_traverse;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    if (PyDict_CheckExact(o)) {
        /* dict_traverse is the authority on values: from 3.13 the values of
         * an instance dict may live inside the instance, which reports them
         * itself. It reports keys too unless the dict is str-keyed: it then
         * makes exactly two visits per item, else at most one. */
        Py_ssize_t used = PyDict_GET_SIZE(o);
        w->visits = 0;
        if (tr(o, visit_count_tally, w) < 0) return -1;
        if (used > 0 && w->visits != 2 * used) {
            while (PyDict_Next(o, &pos, &k, &v)) {
                if (reach(w, k, 0) < 0) return -1;
            }
        }
        return 0;
    }
    if (PyDict_Check(o)) {
        /* a subclass may traverse more than its items: let it, then add
         * the keys; its traverse may report keys too, so no shortcut */
        int r = 0;
        w->shortcut_ok = 0;
        if (tr != NULL && PyObject_IS_GC(o)) r = tr(o, visit_count, w);
        while (r == 0 && PyDict_Next(o, &pos, &k, &v)) r = reach(w, k, 0);
        w->shortcut_ok = 1;
        return r;
    }
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    if (PyModule_Check(o)) {
        /* 3.12: a module: its dict only. A C module's traverse may visit freed
         * memory (3.12 and 3.13.0's _asyncio visit their free list of
         * iterators, CPython gh-122695): those are not live objects. */
        PyObject *d = PyModule_GetDict(o);
        return d == NULL ? 0 : reach(w, d, 1);
    }
#endif
    /* PyObject_IS_GC, not PyType_IS_GC: a static type object has a gc type
     * but must never be traversed (type_traverse aborts on it) */
    if (tr != NULL && PyObject_IS_GC(o)) {
        if (tr(o, visit_count, w) < 0) return -1;
    }
#if LH_HAVE_MANAGED_ATTRS && PY_VERSION_HEX >= 0x030D0000
    if (PyType_HasFeature(Py_TYPE(o), Py_TPFLAGS_MANAGED_DICT)) {
        /* 3.13: an instance's materialized dict that shares its inline
         * values is not reported by the traverse (it reports the values);
         * untracked (atoms only), it would be counted by no one. The graph
         * walk makes the same edge (_graph.h cand_instance). */
        PyObject *dict, **values;
        Py_ssize_t capacity;
        lh_managed_attrs(o, &dict, &values, &capacity);
        if (dict != NULL && values != NULL && reach(w, dict, 0) < 0) return -1;
    }
#endif
    if (PyCode_Check(o)) {
        PyCodeObject *co = (PyCodeObject *)o;
        if (reach(w, co->co_consts, 1) < 0 || reach(w, co->co_names, 1) < 0 ||
            reach(w, co->co_filename, 1) < 0 || reach(w, co->co_name, 1) < 0)
            return -1;
    }
    return 0;
}

typedef struct graphbuf_s graphbuf_t;
static int graph_node(walker *w, PyObject *o);

static int
drain_stack(walker *w)
{
    while (w->stack.len > 0) {
        PyObject *o = w->stack.items[--w->stack.len];
        if (w->g != NULL) {
            if (graph_node(w, o) < 0) return -1;
        }
        else if (count_children(w, o) < 0) {
            return -1;
        }
    }
    return 0;
}

#include "_graph.h"

/* ------------------------------------------------------------------ */
/* exclusion: leakhunt's own objects                                   */

typedef struct {
    ptrmap index;        /* member -> position in members */
    PyObject **members;
    Py_ssize_t n, cap;
    Py_ssize_t *internal;
    char *state;         /* 0 owned candidate, 1 root, 2 shared */
    int failed;
} closure;

static int
closure_add(closure *c, PyObject *o, char state)
{
    int added = ptrmap_add(&c->index, o, c->n);
    if (added < 0) return -1;
    if (added == 0) return 0;
    if (c->n == c->cap) {
        Py_ssize_t ncap = c->cap ? c->cap * 2 : 256;
        PyObject **nm = (PyObject **)PyMem_RawRealloc(c->members, ncap * sizeof(PyObject *));
        char *ns;
        if (nm == NULL) return -1;
        c->members = nm;
        ns = (char *)PyMem_RawRealloc(c->state, ncap);
        if (ns == NULL) return -1;
        c->state = ns;
        c->cap = ncap;
    }
    c->members[c->n] = o;
    c->state[c->n] = state;
    c->n++;
    return 1;
}

static inline int
is_boundary(PyObject *o)
{
    /* shared infrastructure: never leakhunt's data, and descending into it
     * would pull the whole heap into the closure */
    return PyType_Check(o) || PyModule_Check(o) || PyFunction_Check(o) ||
           PyFrame_Check(o) || PyCode_Check(o);
}

static int
visit_closure(PyObject *child, void *arg)
{
    closure *c = (closure *)arg;
    if (!is_tracked(child) || is_boundary(child)) return 0;
    if (closure_add(c, child, 0) < 0) { c->failed = 1; return -1; }
    return 0;
}

static int
visit_internal(PyObject *child, void *arg)
{
    closure *c = (closure *)arg;
    Py_ssize_t slot = ptrmap_find(&c->index, child);
    if (slot >= 0) c->internal[c->index.vals[slot]]++;
    return 0;
}

/* The shared-propagation walk keeps its own stack. */
typedef struct {
    closure *c;
    objstack work;
    int failed;
} propagate;

static int
visit_propagate(PyObject *child, void *arg)
{
    propagate *p = (propagate *)arg;
    Py_ssize_t slot = ptrmap_find(&p->c->index, child);
    if (slot >= 0) {
        Py_ssize_t i = p->c->index.vals[slot];
        if (p->c->state[i] == 0) {
            p->c->state[i] = 2;
            if (stack_push(&p->work, child) < 0) { p->failed = 1; return -1; }
        }
    }
    return 0;
}

/* Fill w->excluded. roots: objects that are leakhunt's whatever holds
 * them (the caller finds them in its registry of live owned instances).
 * The gc list, alive during the walk, holds one reference to each tracked
 * object. */
static int
compute_exclusions(walker *w, PyObject *roots)
{
    closure c;
    propagate p;
    Py_ssize_t i;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    memset(&p, 0, sizeof(p));
    if (ptrmap_init(&c.index, 256, 1) < 0) goto done;

    for (i = 0; i < PyTuple_GET_SIZE(roots); i++) {
        if (closure_add(&c, PyTuple_GET_ITEM(roots, i), 1) < 0) goto done;
    }
    /* everything tracked that the roots reach, up to the boundary. Only
     * tracked objects can hold tracked ones, and a dict with a tracked key
     * is never a str-keyed dict, so tp_traverse alone sees every edge. */
    for (i = 0; i < c.n; i++) {
        PyObject *m = c.members[i];
        if (PyObject_IS_GC(m) && Py_TYPE(m)->tp_traverse) {
            if (Py_TYPE(m)->tp_traverse(m, visit_closure, &c) < 0 || c.failed) goto done;
        }
    }
    c.internal = (Py_ssize_t *)PyMem_RawCalloc(c.n ? c.n : 1, sizeof(Py_ssize_t));
    if (c.internal == NULL) goto done;
    for (i = 0; i < c.n; i++) {
        PyObject *m = c.members[i];
        if (PyObject_IS_GC(m) && Py_TYPE(m)->tp_traverse)
            Py_TYPE(m)->tp_traverse(m, visit_internal, &c);
    }
    /* a member with a reference from outside the closure is shared, and so
     * is everything it reaches */
    for (i = 0; i < c.n; i++) {
        PyObject *m = c.members[i];
        Py_ssize_t ext;
        if (c.state[i] != 0) continue;
        ext = Py_REFCNT(m) - w->list_refs /* the gc list */ - c.internal[i];
        if (ext > 0) {
            c.state[i] = 2;
            if (stack_push(&p.work, m) < 0) goto done;
        }
    }
    p.c = &c;
    while (p.work.len > 0) {
        PyObject *m = p.work.items[--p.work.len];
        if (PyObject_IS_GC(m) && Py_TYPE(m)->tp_traverse) {
            if (Py_TYPE(m)->tp_traverse(m, visit_propagate, &p) < 0 || p.failed) goto done;
        }
    }
    for (i = 0; i < c.n; i++) {
        if (c.state[i] != 2) {
            if (ptrmap_add(&w->excluded, c.members[i], 0) < 0) goto done;
        }
    }
    rc = 0;
done:
    ptrmap_free(&c.index);
    PyMem_RawFree(c.members);
    PyMem_RawFree(c.state);
    PyMem_RawFree(c.internal);
    PyMem_RawFree(p.work.items);
    if (rc < 0 && !PyErr_Occurred()) PyErr_NoMemory();
    return rc;
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* what histogram() and graph() share                                  */

/* Set up a walk: tables, the argument containers as leakhunt's own, and
 * the exclusion of leakhunt's objects. `visited_cap` sizes the visited
 * set of the histogram (graph mode marks bits instead: _graph.h). */
static int
walk_start(walker *w, PyObject *extra_roots, PyObject *also_ours, size_t visited_cap)
{
    if (typetable_init(&w->types) < 0 ||
        ptrmap_init(&w->visited, visited_cap, 0) < 0 ||
        ptrmap_init(&w->excluded, 256, 0) < 0 || ptrmap_add(&w->excluded, extra_roots, 0) < 0 ||
        (also_ours != NULL && ptrmap_add(&w->excluded, also_ours, 0) < 0)) {
        PyErr_NoMemory();
        return -1;
    }
    return compute_exclusions(w, extra_roots);
}

/* Every gc-tracked object, when the caller passes None. Where the gc's
 * lists are known (_cpython.h, checked once at import against
 * gc.get_objects()), they are read directly: no reference is taken, so no
 * reference count is written (a forked child copies no page by listing) and
 * no list of all objects exists at all. Else gc.get_objects(), called here:
 * that list holds a reference to each object, among them tuples another
 * thread may still be filling (tuple(generator) resizes its tuple in place
 * and refuses when the count says it is shared), so it must never be alive
 * while bytecode runs. Made, used and dropped inside one call of this
 * module, which runs no bytecode and never releases the GIL, no other thread
 * can see the extra references (issue 14 item 2). A list passed in is used
 * as it is (tests, and the caller's own choice). */
static PyObject *gc_get_objects; /* gc.get_objects */
#if LH_HAVE_GC_LISTS
static lh_generation *gc_generations; /* NULL: not found, or did not check out */
#endif

typedef struct {
    PyObject *list;   /* holds a reference to each, or NULL */
    PyObject **items; /* the list's items, or a PyMem_Raw array */
    Py_ssize_t n;
} objset;

static PyObject *
all_objects_list(void)
{
    /* args not NULL: Argument Clinic's fast path, as a call from Python */
    PyObject *unused[1] = {NULL};
    return PyObject_Vectorcall(gc_get_objects, unused, 0, NULL);
}

static int
objset_get(PyObject *arg, objset *s)
{
    memset(s, 0, sizeof(*s));
    if (arg == Py_None) {
#if LH_HAVE_GC_LISTS
        if (gc_generations != NULL) {
            Py_ssize_t n = lh_gc_list_objects(gc_generations, &s->items, PY_SSIZE_T_MAX / 16);
            if (n >= 0) {
                s->n = n;
                return 0;
            }
            if (n == -1) { PyErr_NoMemory(); return -1; }
        }
#endif
        arg = all_objects_list();
        if (arg == NULL) return -1;
    }
    else if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "objs must be a list or None");
        return -1;
    }
    else {
        Py_INCREF(arg);
    }
    s->list = arg;
    s->items = ((PyListObject *)arg)->ob_item;
    s->n = PyList_GET_SIZE(arg);
    return 0;
}

static void
objset_free(objset *s)
{
    if (s->list != NULL) Py_DECREF(s->list); /* before any bytecode runs again */
    else PyMem_RawFree(s->items);
    s->list = NULL;
    s->items = NULL;
}

#if LH_HAVE_GC_LISTS
/* At import: find the generations and check that reading them lists what
 * gc.get_objects() lists (plus that list itself), else never read them. */
static int
check_gc_lists(void)
{
    PyObject *list;
    PyObject **arr = NULL;
    Py_ssize_t n;
    lh_generation *gens = lh_find_generations();
    if (gens == NULL) return 0;
    list = all_objects_list();
    if (list == NULL) return -1;
    n = lh_gc_list_objects(gens, &arr, PyList_GET_SIZE(list) * 2 + 1024);
    if (n == PyList_GET_SIZE(list) + 1) {
        Py_ssize_t i, found = 0;
        /* and every listed object is where the lists say (sampled) */
        for (i = 0; i < PyList_GET_SIZE(list); i += 97) {
            PyObject *o = PyList_GET_ITEM(list, i);
            Py_ssize_t j;
            for (j = 0; j < n; j++) {
                if (arr[j] == o) { found++; break; }
            }
            if (j == n) break;
            if (found > 64) break;
        }
        if (i >= PyList_GET_SIZE(list) || found > 64) gc_generations = gens;
    }
    if (n >= 0) PyMem_RawFree(arr);
    Py_DECREF(list);
    return 0;
}
#endif

/* Every tracked object that is not ours, and what it reaches. */
static int
walk_objects(walker *w, objset *objs)
{
    Py_ssize_t i, n = objs->n;
    for (i = 0; i < n; i++) {
        PyObject *o = objs->items[i];
        int r;
        if (w->excluded.used && ptrmap_find(&w->excluded, o) >= 0) continue;
        w->n_tracked++;
        if (w->g != NULL) r = graph_node(w, o);
        else r = count_object(w, o, NULL) < 0 ? -1 : count_children(w, o);
        if (r < 0 || w->failed || (w->stack.len && drain_stack(w) < 0) || w->failed) {
            if (!PyErr_Occurred()) PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

/* The histogram: a list of (type, count, size). */
static PyObject *
walk_rows(walker *w)
{
    PyObject *rows = PyList_New(0);
    size_t j;
    if (rows == NULL) return NULL;
    for (j = 0; j <= w->types.mask; j++) {
        typeent *e = &w->types.ents[j];
        PyObject *row;
        if (e->tp == NULL || e->count == 0) continue;
        row = Py_BuildValue("(Onn)", (PyObject *)e->tp, e->count, e->size);
        if (row == NULL || PyList_Append(rows, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(rows);
            return NULL;
        }
        Py_DECREF(row);
    }
    return rows;
}

static void
walk_free(walker *w)
{
    size_t j;
    for (j = 0; w->types.ents != NULL && j <= w->types.mask; j++) {
        PyMem_RawFree(w->types.ents[j].moff);
        PyMem_RawFree(w->types.ents[j].mlab);
    }
    PyMem_RawFree(w->types.ents);
    ptrmap_free(&w->visited);
    ptrmap_free(&w->excluded);
    PyMem_RawFree(w->stack.items);
}

PyDoc_STRVAR(histogram_doc,
"histogram(objs, extra_roots, getsizeof, gc_head) -> (rows, info)\n\n"
"Count every object in the gc list `objs` (None: every gc-tracked object,\n"
"listed inside the call and dropped before it returns) and every untracked object they\n"
"reference (at any depth, once each), by type. The objects in\n"
"`extra_roots`, and tracked objects referenced only from those, are\n"
"leakhunt's own and are skipped.\n"
"rows: list of (type, count, size); info: dict of walk statistics.");

static PyObject *
histogram(PyObject *self, PyObject *args)
{
    PyObject *objs_arg, *extra_roots, *getsizeof;
    Py_ssize_t gc_head, n;
    walker w;
    objset objs;
    PyObject *rows = NULL, *info = NULL, *result = NULL;

    if (!PyArg_ParseTuple(args, "OO!On:histogram", &objs_arg, &PyTuple_Type, &extra_roots,
                          &getsizeof, &gc_head))
        return NULL;
    if (objset_get(objs_arg, &objs) < 0) return NULL;

    memset(&w, 0, sizeof(w));
    w.getsizeof = getsizeof;
    w.shortcut_ok = 1;
    w.gc_head = gc_head;
    w.list_refs = objs.list != NULL;
    n = objs.n;
    /* the call's own argument tuple is new, tracked, and in the list */
    if (walk_start(&w, extra_roots, args, (size_t)n / 4 + 1024) < 0 ||
        walk_objects(&w, &objs) < 0 || (rows = walk_rows(&w)) == NULL)
        goto done;
    info = Py_BuildValue("{s:n,s:n,s:n}", "tracked", w.n_tracked, "untracked", w.n_untracked,
                         "excluded", (Py_ssize_t)w.excluded.used - 2);
    if (info == NULL) goto done;
    result = PyTuple_Pack(2, rows, info);
done:
    Py_XDECREF(rows);
    Py_XDECREF(info);
    walk_free(&w);
    objset_free(&objs); /* before any bytecode can run again: see objset_get */
    if (result == NULL && !PyErr_Occurred()) PyErr_NoMemory();
    return result;
}

PyDoc_STRVAR(graph_doc,
"graph(objs, extra_roots, getsizeof, gc_head, root_objs, keys=0, packed=False) -> dict\n\n"
"The histogram walk of histogram(), with every counted object a node and\n"
"every reference a labelled edge, nodes numbered in address order. Returns\n"
"a dict: rows, info, type_objects, label_names, roots (node of each of\n"
"root_objs, or -1), and the arrays ids, types, sizes, lengths, offsets,\n"
"targets, labels (array.array: 'Q' for ids, sizes and offsets, 'I' for the\n"
"others); with packed, instead `packed`: {name: (count, zlib stream)} of\n"
"each array as a snapshot file stores it (see graph_section).");

static PyObject *
graph(PyObject *self, PyObject *args)
{
    PyObject *objs_arg, *extra_roots, *getsizeof, *root_objs;
    objset objs;
    Py_ssize_t gc_head, i;
    walker w;
    graphbuf g;
    PyObject *rows = NULL, *result = NULL, *roots = NULL, *array_type = NULL;
    int keys = 0, packed = 0;

    if (!PyArg_ParseTuple(args, "OO!OnO!|ip:graph", &objs_arg, &PyTuple_Type, &extra_roots,
                          &getsizeof, &gc_head, &PyTuple_Type, &root_objs, &keys, &packed))
        return NULL;
#ifndef LH_HAVE_ZLIB
    if (packed) {
        PyErr_SetString(PyExc_ValueError, "packed graphs need zlib at build time");
        return NULL;
    }
#endif
    if (objset_get(objs_arg, &objs) < 0) return NULL;
    memset(&w, 0, sizeof(w));
    memset(&g, 0, sizeof(g));
    w.getsizeof = getsizeof;
    w.gc_head = gc_head;
    w.g = &g;
    g.keys_mode = keys;
    g.packed = packed;
    w.list_refs = objs.list != NULL;
    g.label_ids = PyDict_New();
    g.label_list = PyList_New(0);
    g.type_list = PyList_New(0);
    if (g.label_ids == NULL || g.label_list == NULL || g.type_list == NULL) goto done;
    if (!packed) { /* already imported by leakhunt._graphcap: no new module appears */
        PyObject *mod = PyImport_ImportModule("array");
        if (mod == NULL) goto done;
        array_type = PyObject_GetAttrString(mod, "array");
        Py_DECREF(mod);
        if (array_type == NULL) goto done;
    }
    if (ptrmap_init(&g.key_labels, 1024, 1) < 0 || ptrmap_init(&g.attr_labels, 1024, 1) < 0 ||
        ptrmap_init(&g.static_labels, 64, 1) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    {
        int64_t a = g_label(&g, "<key>"), b = g_label(&g, "<item>"), c = g_label(&g, ".__dict__"),
                d = g_label(&g, ".__class__");
        if (a < 0 || b < 0 || c < 0 || d < 0) goto done;
        g.lbl_key = (uint32_t)a; g.lbl_item = (uint32_t)b; g.lbl_dict = (uint32_t)c;
        g.lbl_class = (uint32_t)d;
    }
    /* pass 1: mark every object the walk meets (the bits are the visited
     * set; the map of walk_start is not used) */
    g.pass = 1;
    if (walk_start(&w, extra_roots, root_objs, 16) < 0 ||
        ptrmap_add(&w.excluded, args, 0) < 0 || /* new, tracked, in the list */
        walk_objects(&w, &objs) < 0)
        goto done;
    /* roots the gc does not track (frames made objects for this walk) */
    for (i = 0; i < PyTuple_GET_SIZE(root_objs); i++) {
        PyObject *r = PyTuple_GET_ITEM(root_objs, i);
        if (is_tracked(r) || ptrmap_find(&w.excluded, r) >= 0) continue;
        if (g_reach(&w, r) < 0 || (w.stack.len && drain_stack(&w) < 0)) {
            if (!PyErr_Occurred()) PyErr_NoMemory();
            goto done;
        }
    }
    /* pass 2: number the marked objects in address order, each with its
     * edges, straight into the arrays or their streams */
    if (hb_finish(&g.bits) < 0) {
        PyErr_SetString(PyExc_SystemError, "leakhunt: graph marks miscounted");
        goto done;
    }
    g.pass = 2;
    if (g_sink_start(&g) < 0 || g_emit_all(&w) < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    if (g.n != g.bits.n) {
        PyErr_SetString(PyExc_SystemError, "leakhunt: graph walk passes disagree on the nodes");
        goto done;
    }
    roots = PyList_New(PyTuple_GET_SIZE(root_objs));
    if (roots == NULL) goto done;
    for (i = 0; i < PyTuple_GET_SIZE(root_objs); i++) {
        PyObject *node = PyLong_FromLongLong(hb_rank(&g.bits, PyTuple_GET_ITEM(root_objs, i)));
        if (node == NULL) goto done;
        PyList_SET_ITEM(roots, i, node);
    }
    hb_free(&g.bits);
    if ((rows = walk_rows(&w)) == NULL) goto done;
    result = Py_BuildValue("{s:O,s:{s:n,s:n,s:n,s:n},s:O,s:O,s:O}", "rows", rows, "info",
                           "tracked", w.n_tracked, "untracked", w.n_untracked, "excluded",
                           (Py_ssize_t)w.excluded.used - 3, "dropped_edges", g.dropped,
                           "type_objects", g.type_list, "label_names", g.label_list, "roots",
                           roots);
    if (result == NULL) goto done;
    if (packed) {
        PyObject *streams = g_sink_packed(&g);
        if (streams == NULL || PyDict_SetItemString(result, "packed", streams) < 0) {
            Py_XDECREF(streams);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(streams);
        goto done;
    }
    /* The arrays are handed over one at a time, each buffer freed as soon
     * as its copy exists, so the peak stays near one graph, not two. */
#define HANDOVER(key, code, buf, count, item, bytes)                            \
    do {                                                                         \
        PyObject *a_ = new_array(array_type, (code), (buf), (count), (item));    \
        big_free((buf), (bytes));                                                \
        (buf) = NULL;                                                            \
        if (a_ == NULL || PyDict_SetItemString(result, (key), a_) < 0) {         \
            Py_XDECREF(a_);                                                      \
            Py_CLEAR(result);                                                    \
            goto done;                                                           \
        }                                                                        \
        Py_DECREF(a_);                                                           \
    } while (0)
    HANDOVER("targets", "I", g.targets, g.e, 4, (size_t)g.ecap * 4);
    HANDOVER("labels", "I", g.labels, g.e, 4, (size_t)g.ecap * 4);
    HANDOVER("ids", "Q", g.ids, g.n, 8, (size_t)g.cap * 8);
    HANDOVER("types", "I", g.types, g.n, 4, (size_t)g.cap * 4);
    HANDOVER("sizes", "Q", g.sizes, g.n, 4, (size_t)g.cap * 4);
    HANDOVER("lengths", "I", g.lengths, g.n, 4, (size_t)g.cap * 4);
    HANDOVER("offsets", "Q", g.offsets, g.n + 1, 4, (size_t)(g.cap + 1) * 4);
#undef HANDOVER
done:
    Py_XDECREF(rows);
    Py_XDECREF(roots);
    Py_XDECREF(array_type);
    graphbuf_free(&g);
    walk_free(&w);
    objset_free(&objs); /* before any bytecode can run again: see objset_get */
    if (result == NULL && !PyErr_Occurred()) PyErr_NoMemory();
    return result;
}

PyDoc_STRVAR(find_doc,
"find(ids) -> list\n\n"
"The gc-tracked objects whose id() is one of the ints in `ids`, in the\n"
"gc's order. The gc's lists are read in C: no reference is taken to any\n"
"other object (gc.get_objects() takes one to every object).");

static PyObject *
find_objects(PyObject *self, PyObject *ids)
{
    ptrmap want;
    objset objs;
    PyObject *it, *x, *out = NULL;
    Py_ssize_t i;
    memset(&want, 0, sizeof(want));
    if (ptrmap_init(&want, 64, 0) < 0) return PyErr_NoMemory();
    it = PyObject_GetIter(ids);
    if (it == NULL) goto fail_map;
    while ((x = PyIter_Next(it)) != NULL) {
        uintptr_t addr = (uintptr_t)PyLong_AsUnsignedLongLong(x);
        Py_DECREF(x);
        if (PyErr_Occurred()) { Py_DECREF(it); goto fail_map; }
        if (addr != 0 && ptrmap_add(&want, (const void *)addr, 0) < 0) {
            Py_DECREF(it);
            PyErr_NoMemory();
            goto fail_map;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) goto fail_map;
    out = PyList_New(0);
    if (out == NULL) goto fail_map;
    if (want.used == 0) { ptrmap_free(&want); return out; }
    if (objset_get(Py_None, &objs) < 0) { Py_CLEAR(out); goto fail_map; }
    for (i = 0; i < objs.n; i++) {
        PyObject *o = objs.items[i];
        if (o != out && ptrmap_find(&want, o) >= 0 && PyList_Append(out, o) < 0) {
            Py_CLEAR(out);
            break;
        }
    }
    objset_free(&objs);
fail_map:
    ptrmap_free(&want);
    return out;
}

#if defined(__linux__)
PyDoc_STRVAR(fork_doc,
"fork() -> pid\n\n"
"os.fork() for leakhunt.capture.background: CPython's own fork handling\n"
"(PyOS_BeforeFork, PyOS_AfterFork_Child/_Parent), without the warning\n"
"3.12+ gives when the process has threads: the child only walks the heap\n"
"and writes one file, taking no lock another thread may hold.");

static PyObject *
lh_fork(PyObject *self, PyObject *noargs)
{
    pid_t pid;
    int saved;
    PyOS_BeforeFork();
    pid = fork();
    saved = errno;
    if (pid == 0) PyOS_AfterFork_Child();
    else PyOS_AfterFork_Parent();
    if (pid < 0) {
        errno = saved;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return PyLong_FromLong((long)pid);
}
#endif

static PyMethodDef walker_methods[] = {
#if defined(__linux__)
    {"fork", lh_fork, METH_NOARGS, fork_doc},
#endif
    {"find", find_objects, METH_O, find_doc},
    {"histogram", histogram, METH_VARARGS, histogram_doc},
    {"graph", graph, METH_VARARGS, graph_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef walker_module = {
    PyModuleDef_HEAD_INIT, "leakhunt._walker",
    "Compiled heap walker for leakhunt.snapshot() (see leakhunt/_pywalk.py).",
    -1, walker_methods,
};

PyMODINIT_FUNC
PyInit__walker(void)
{
    PyObject *gc;
    str_sizeof = PyUnicode_InternFromString("__sizeof__");
    if (str_sizeof == NULL) return NULL;
    gc = PyImport_ImportModule("gc");
    if (gc == NULL) return NULL;
    gc_get_objects = PyObject_GetAttrString(gc, "get_objects");
    Py_DECREF(gc);
    if (gc_get_objects == NULL) return NULL;
    {   /* threading.local's type: its per-thread dicts are namespaces */
        PyObject *thread = PyImport_ImportModule("_thread");
        if (thread == NULL) return NULL;
        lh_local_type = (PyTypeObject *)PyObject_GetAttrString(thread, "_local");
        Py_DECREF(thread);
        if (lh_local_type == NULL) return NULL;
    }
    {   /* once now, at import: whatever a first call sets up for itself
         * (an argument parser's tuple of keyword names) is made before the
         * first snapshot, not counted by it */
        PyObject *warm = all_objects_list();
        if (warm == NULL) return NULL;
        Py_DECREF(warm);
    }
#if LH_HAVE_GC_LISTS
    if (check_gc_lists() < 0) return NULL;
#endif
    {
        PyObject *m = PyModule_Create(&walker_module);
        if (m == NULL) return NULL;
        /* 1: the private layouts of _cpython.h are read; 0: generic labels */
        if (PyModule_AddIntConstant(m, "KNOWN_LAYOUTS", LH_KNOWN_LAYOUTS) < 0 ||
            PyModule_AddIntConstant(m, "READS_GC_LISTS",
#if LH_HAVE_GC_LISTS
                                    gc_generations != NULL
#else
                                    0
#endif
                                    ) < 0 ||
            PyModule_AddIntConstant(m, "PACKED_GRAPHS",
#ifdef LH_HAVE_ZLIB
                                    1
#else
                                    0
#endif
                                    ) < 0 ||
            PyModule_AddStringConstant(m, "LAYOUTS_CHECKED_UP_TO", LH_CHECKED_UP_TO) < 0) {
            Py_DECREF(m);
            return NULL;
        }
        return m;
    }
}
