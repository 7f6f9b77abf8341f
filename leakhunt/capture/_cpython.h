/*
 * leakhunt._walker: every private CPython layout the walker reads, in one
 * place (issue 14 item 15).
 *
 * "Private" here means what the compiler cannot check for us: our own
 * copies of structs from Include/internal/ (pycore_*.h) and raw pointer
 * arithmetic around an object (the gc header, the managed-dict pre-header,
 * inline attribute values). Structs and fields declared by the Python.h we
 * compile against (PyCodeObject, PyFunctionObject, PyHeapTypeObject...) are
 * right for that version by construction and are used where they are
 * needed.
 *
 * Each layout below was checked against the headers of CPython 3.10, 3.11,
 * 3.12 and 3.13. Past the last version checked (LH_CHECKED_UP_TO), on a
 * free-threaded build, or when built with -DLH_GENERIC_LAYOUTS (the test
 * of this path), LH_KNOWN_LAYOUTS is 0 and none of it is compiled: the gc
 * bit comes from PyObject_GC_IsTracked, and graph mode names fewer edges
 * (no attribute names for values kept without a dict, no locals of
 * suspended generators or of 3.11 frames: those edges get the generic
 * "(in TYPE)" label). Python can read which: _walker.KNOWN_LAYOUTS, and
 * leakhunt warns once per process when it is 0. Nothing here is ever
 * written.
 */
#ifndef LH_CPYTHON_H
#define LH_CPYTHON_H

#define LH_CHECKED_UP_TO "3.13"

#if defined(LH_GENERIC_LAYOUTS) || defined(Py_GIL_DISABLED) || PY_VERSION_HEX >= 0x030E0000
#define LH_KNOWN_LAYOUTS 0
#else
#define LH_KNOWN_LAYOUTS 1
#endif

/* ------------------------------------------------------------ gc header */

#if LH_KNOWN_LAYOUTS
/* PyGC_Head (Include/internal/pycore_gc.h): right before the object in
 * every GIL build of 3.8-3.13. Inlined because the walk asks for every
 * reference, and the call is a measurable part of its time. */
typedef struct {
    uintptr_t gc_next;
    uintptr_t gc_prev;
} lh_gchead;

static inline int
is_tracked(PyObject *o)
{
    PyTypeObject *tp = Py_TYPE(o);
    if (!PyType_HasFeature(tp, Py_TPFLAGS_HAVE_GC)) return 0;
    if (tp->tp_is_gc != NULL && !tp->tp_is_gc(o)) return 0;
    return ((lh_gchead *)o)[-1].gc_next != 0;
}
#else
static inline int
is_tracked(PyObject *o)
{
    return PyObject_IS_GC(o) && PyObject_GC_IsTracked(o);
}
#endif

/* --------------------------------------------- the gc's generation lists */

#if LH_KNOWN_LAYOUTS
#define LH_HAVE_GC_LISTS 1
/* struct gc_generation (Include/internal/pycore_gc.h, 3.8-3.13): the
 * interpreter keeps three of them in a row. Reading the lists directly lists
 * every tracked object without the reference gc.get_objects() takes to each:
 * no refcount written, so a forked child copies no page by listing. */
typedef struct {
    lh_gchead head;
    int threshold;
    int count;
} lh_generation;

/* Generation 0's head, found from an object tracked a moment ago: it is
 * appended last, so its next is the head, and the head's prev is it. NULL
 * when that does not hold. */
static lh_generation *
lh_find_generations(void)
{
    PyObject *probe = PyList_New(0); /* tracked at creation, into generation 0 */
    lh_gchead *g, *head;
    if (probe == NULL) { PyErr_Clear(); return NULL; }
    g = &((lh_gchead *)probe)[-1];
    head = (lh_gchead *)g->gc_next;
    if (head == NULL || (head->gc_prev & ~(uintptr_t)3) != (uintptr_t)g) head = NULL;
    Py_DECREF(probe);
    return (lh_generation *)head;
}

/* Every object in the three generations into a new PyMem_Raw array (*out),
 * no reference taken, nothing written; its length, -1 on memory error, or
 * -2 when a list runs past `bound` entries (not the layout we know). */
static Py_ssize_t
lh_gc_list_objects(lh_generation *gens, PyObject ***out, Py_ssize_t bound)
{
    Py_ssize_t n = 0, cap = 1024;
    PyObject **arr = (PyObject **)PyMem_RawMalloc((size_t)cap * sizeof(PyObject *));
    int k;
    if (arr == NULL) return -1;
    for (k = 0; k < 3; k++) {
        lh_gchead *head = &gens[k].head, *p = (lh_gchead *)head->gc_next;
        while (p != head) {
            if (p == NULL || n >= bound) { PyMem_RawFree(arr); return -2; }
            if (n == cap) {
                PyObject **na;
                cap *= 2;
                na = (PyObject **)PyMem_RawRealloc(arr, (size_t)cap * sizeof(PyObject *));
                if (na == NULL) { PyMem_RawFree(arr); return -1; }
                arr = na;
            }
            arr[n++] = (PyObject *)(p + 1);
            p = (lh_gchead *)p->gc_next;
        }
    }
    *out = arr;
    return n;
}
#else
#define LH_HAVE_GC_LISTS 0
#endif

/* -------------------------- instance attributes kept without a __dict__ */

#if LH_KNOWN_LAYOUTS && PY_VERSION_HEX >= 0x030B0000
#define LH_HAVE_MANAGED_ATTRS 1
/* PyDictKeysObject (Include/internal/pycore_dict.h) up to its indices, and
 * a str-keyed entry: the class's shared keys name the values an instance
 * keeps in itself. */
typedef struct {
    Py_ssize_t dk_refcnt;
    uint8_t dk_log2_size;
    uint8_t dk_log2_index_bytes;
    uint8_t dk_kind;
    uint32_t dk_version;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
} lh_dictkeys;

typedef struct {
    PyObject *me_key;
    PyObject *me_value;
} lh_unicode_entry;

/* The managed attributes of o, whose type has Py_TPFLAGS_MANAGED_DICT:
 * its __dict__ if one was made (else NULL), and the values kept in the
 * object (else NULL) with how many slots they have. Layouts: 3.11 keeps
 * the values pointer at [-4] and the dict at [-3]; 3.12 one tagged word at
 * [-3]; 3.13 the dict at [-3] and the values inline after the object
 * (Include/internal/pycore_object.h). */
static inline void
lh_managed_attrs(PyObject *o, PyObject **dict, PyObject ***values, Py_ssize_t *capacity)
{
    PyTypeObject *tp = Py_TYPE(o);
    *dict = NULL;
    *values = NULL;
    *capacity = PY_SSIZE_T_MAX;
#if PY_VERSION_HEX >= 0x030D0000
    *dict = ((PyObject **)o)[-3];
    if (PyType_HasFeature(tp, (1UL << 2)) /* Py_TPFLAGS_INLINE_VALUES */) {
        uint8_t *hdr = (uint8_t *)((char *)o + tp->tp_basicsize);
        if (hdr[3] /* valid */) {
            *values = (PyObject **)(hdr + 8);
            *capacity = hdr[0];
        }
    }
#elif PY_VERSION_HEX >= 0x030C0000
    {
        uintptr_t dorv = ((uintptr_t *)o)[-3];
        (void)tp;
        if (dorv & 1) *values = (PyObject **)(dorv + 1);
        else *dict = (PyObject *)dorv;
    }
#else
    (void)tp;
    *values = ((PyObject ***)o)[-4];
    *dict = ((PyObject **)o)[-3];
#endif
}

/* The i-th attribute name of a heap type's shared keys (borrowed), for
 * i < lh_shared_key_count(tp); NULL when there is none. */
static inline Py_ssize_t
lh_shared_key_count(PyTypeObject *tp)
{
    lh_dictkeys *keys;
    if (!PyType_HasFeature(tp, Py_TPFLAGS_HEAPTYPE)) return 0;
    keys = (lh_dictkeys *)((PyHeapTypeObject *)tp)->ht_cached_keys;
    return keys == NULL ? 0 : keys->dk_nentries;
}

static inline PyObject *
lh_shared_key(PyTypeObject *tp, Py_ssize_t i)
{
    lh_dictkeys *keys = (lh_dictkeys *)((PyHeapTypeObject *)tp)->ht_cached_keys;
    lh_unicode_entry *ent =
        (lh_unicode_entry *)(&keys->dk_indices[(size_t)1 << keys->dk_log2_index_bytes]);
    return ent[i].me_key;
}
#else
#define LH_HAVE_MANAGED_ATTRS 0
#endif

/* ------------------------------------------------- interpreter frames */

#if LH_KNOWN_LAYOUTS && PY_VERSION_HEX >= 0x030B0000
#define LH_HAVE_IFRAME 1
/* _PyInterpreterFrame (Include/internal/pycore_frame.h) up to its locals,
 * per version. A generator embeds one (gi_iframe); a 3.11 frame object
 * points at one. */
typedef struct {
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *f_executable; /* the code object, or None */
    void *previous;
    PyObject *f_funcobj, *f_globals, *f_builtins, *f_locals, *frame_obj;
    void *instr_ptr;
    int stacktop;
    uint16_t return_offset;
    char owner;
#elif PY_VERSION_HEX >= 0x030C0000
    PyCodeObject *f_code;
    void *previous;
    PyObject *f_funcobj, *f_globals, *f_builtins, *f_locals, *frame_obj;
    void *prev_instr;
    int stacktop;
    uint16_t return_offset;
    char owner;
#else
    PyObject *f_func, *f_globals, *f_builtins, *f_locals;
    PyCodeObject *f_code;
    PyObject *frame_obj;
    void *previous;
    void *prev_instr;
    int stacktop;
    char is_entry; /* bool */
    char owner;
#endif
    PyObject *localsplus[1];
} lh_iframe;

#define LH_CO_FAST_CELL 0x40 /* Include/internal/pycore_code.h, 3.11-3.13 */
#define LH_CO_FAST_FREE 0x80

/* The code object an interpreter frame runs, or NULL. */
static inline PyCodeObject *
lh_iframe_code(lh_iframe *f)
{
#if PY_VERSION_HEX >= 0x030D0000
    if (f->f_executable == NULL || !PyCode_Check(f->f_executable)) return NULL;
    return (PyCodeObject *)f->f_executable;
#else
    if (f->f_code == NULL || !PyCode_Check(f->f_code)) return NULL;
    return f->f_code;
#endif
}

/* The frame of a generator, coroutine or async generator that was created
 * or is suspended (frame state < 0 on 3.11-3.13); NULL for a running or
 * finished one (a running one's frame is named through its thread). */
static inline lh_iframe *
lh_generator_frame(PyObject *o)
{
    PyGenObject *gen = (PyGenObject *)o; /* the three share this head */
    if (gen->gi_frame_state >= 0) return NULL;
    return (lh_iframe *)gen->gi_iframe;
}

#if PY_VERSION_HEX < 0x030C0000
/* 3.11's PyFrameObject (Include/internal/pycore_frame.h), up to f_frame */
typedef struct {
    PyObject_HEAD
    PyFrameObject *f_back;
    lh_iframe *f_frame;
} lh_frameobj;

static inline lh_iframe *
lh_frame_object_frame(PyObject *o)
{
    return ((lh_frameobj *)o)->f_frame;
}
#endif
#else
#define LH_HAVE_IFRAME 0
#endif

#endif /* LH_CPYTHON_H */
