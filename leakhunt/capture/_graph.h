/*
 * leakhunt._walker, graph mode: the object graph behind "why is it alive".
 *
 * Past the usual ~500 lines on purpose: one label per kind of reference
 * (frames, closures, slots, dict items, every builtin container) is what
 * makes a path readable; each is a short static function.
 *
 * Included by _walker.c (one translation unit). The same walk as the
 * histogram, with every counted object a node (numbered in the order the
 * walk processes it) and every reference an edge carrying a label people
 * understand: .attr, ['key'], [3], <key>, .__closure__ cell 'x',
 * frame f local 'x', .__self__, .__func__, .__traceback__, .tb_frame...
 *
 * Nodes: a tracked object is numbered when the main loop reaches it; an
 * untracked leaf (str, int...) when first referenced; an untracked
 * container when popped from the stack. A node's edges are buffered while
 * it is processed and appended when it is done, so the edge list is
 * grouped by node in node order (CSR) with no sort.
 *
 * Edge targets are 4-byte slots of the visited map while walking: an
 * object gets its slot the first time the walk meets it (as a node or as
 * the target of an edge), and the slot's value becomes its node number once
 * it is numbered (-1 until then). When the map grows, the slots recorded so
 * far are renumbered (g_grow_map). At the end the targets become node
 * numbers in place, and the map's keys become the node addresses in place:
 * no 8-byte address per edge, no per-object table next to the map, and no
 * second per-node array while the map is alive (the map is the largest
 * structure of a capture).
 */

/* The CPython layouts graph mode reads are in _cpython.h. */

#define LH_MAX_CAND 96

/* The growing node and edge arrays. On Linux each has pages of its own:
 * mremap grows it without a copy, and munmap gives the pages back at once,
 * where a big block from the heap may be copied when it grows and leave a
 * hole the allocator keeps (measured before: 34-46 MB of RSS kept over the
 * live arrays after a 3M-node capture). tracemalloc is told about them (their own domain), so
 * its numbers stay whole. Elsewhere, PyMem_Raw. */
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
#define LH_MMAP 1
#define LH_TRACE_DOMAIN 0x6c6b6874U /* "lkht" */
#endif

static void *
big_realloc(void *p, size_t old_bytes, size_t new_bytes)
{
#ifdef LH_MMAP
    void *q;
    if (p == NULL)
        q = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    else
        q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) return NULL;
    if (p != NULL) (void)PyTraceMalloc_Untrack(LH_TRACE_DOMAIN, (uintptr_t)p);
    (void)PyTraceMalloc_Track(LH_TRACE_DOMAIN, (uintptr_t)q, new_bytes);
    return q;
#else
    (void)old_bytes;
    return PyMem_RawRealloc(p, new_bytes);
#endif
}

static void
big_free(void *p, size_t bytes)
{
    if (p == NULL) return;
#ifdef LH_MMAP
    (void)PyTraceMalloc_Untrack(LH_TRACE_DOMAIN, (uintptr_t)p);
    munmap(p, bytes);
#else
    (void)bytes;
    PyMem_RawFree(p);
#endif
}

typedef struct {
    PyObject *ptr;
    uint32_t label;
    int done; /* 1: already emitted as an explicit edge; 2: named a reference */
} lh_cand;

struct graphbuf_s {
    /* nodes */
    uint64_t *ids;     /* made in place from the node map at the end */
    uint32_t *types;
    uint32_t *sizes;   /* widened to 64 bits when handed over */
    uint32_t *lengths;
    uint32_t *offsets; /* n + 1 once finished; widened when handed over */
    Py_ssize_t n, cap;
    Py_ssize_t offsets_filled; /* offsets[0..offsets_filled) are set */
    /* edges: targets are visited-map slots until g_resolve(), then nodes */
    uint32_t *targets;
    uint32_t *labels;
    Py_ssize_t e, ecap;
    /* the node being processed: its edges, before they are appended */
    uint32_t *tmp_t;
    uint32_t *tmp_l;
    Py_ssize_t tn, tcap;
    /* labels */
    PyObject *label_ids;   /* dict: label str -> int */
    PyObject *label_list;  /* list of label str */
    ptrmap key_labels;     /* dict key object -> label id */
    ptrmap attr_labels;    /* attribute name object -> label id */
    ptrmap static_labels;  /* C string literal -> label id */
    uint32_t *index_labels; /* [i] -> label id + 1, for i < LH_MAX_INDEX_LABELS */
    int64_t lbl_any_index;  /* [*] + 1: an index past them */
    PyObject *type_list;   /* list of type objects, by type index */
    /* candidates for the current parent */
    lh_cand cand[LH_MAX_CAND];
    int ncand;
    uint32_t fallback;     /* label for a reference no candidate names */
    int keys_mode;         /* LH_KEYS_*: which dict keys become labels */
    Py_ssize_t named_labels; /* key and attribute labels made (capped) */
    uint32_t lbl_key, lbl_item, lbl_dict, lbl_class;
};
typedef struct graphbuf_s graphbuf;

/* ---------------------------------------------------------------- labels */

static int64_t
g_label_obj(graphbuf *g, PyObject *text) /* steals text */
{
    PyObject *v;
    int64_t id;
    if (text == NULL) return -1;
    v = PyDict_GetItemWithError(g->label_ids, text);
    if (v != NULL) {
        id = PyLong_AsLongLong(v);
        Py_DECREF(text);
        return id;
    }
    if (PyErr_Occurred()) { Py_DECREF(text); return -1; }
    id = PyList_GET_SIZE(g->label_list);
    v = PyLong_FromLongLong(id);
    if (v == NULL || PyDict_SetItem(g->label_ids, text, v) < 0 ||
        PyList_Append(g->label_list, text) < 0) {
        Py_XDECREF(v);
        Py_DECREF(text);
        return -1;
    }
    Py_DECREF(v);
    Py_DECREF(text);
    return id;
}

static int64_t
g_label(graphbuf *g, const char *text)
{
    return g_label_obj(g, PyUnicode_FromString(text));
}

/* A fixed label, cached by the address of its C string */
static int64_t
g_slabel(graphbuf *g, const char *text)
{
    Py_ssize_t slot = ptrmap_find(&g->static_labels, text);
    int64_t id;
    if (slot >= 0) return g->static_labels.vals[slot];
    id = g_label(g, text);
    if (id >= 0 && ptrmap_add(&g->static_labels, text, (Py_ssize_t)id) < 0) return -1;
    return id;
}

/* [i] labels name list and tuple items. One label per distinct index, made
 * once and then read from a table: past LH_MAX_INDEX_LABELS, an index is
 * labelled [*] (a list of 3 million rows would otherwise make 3 million
 * label strings, formatted and looked up in a dict once per edge: a third
 * of a graph walk's time). The named labels of dict keys and attributes
 * are bounded the same way (LH_MAX_NAMED_LABELS). */
#define LH_MAX_INDEX_LABELS 65536

static int64_t
g_label_index(graphbuf *g, Py_ssize_t i)
{
    int64_t id;
    if (i >= LH_MAX_INDEX_LABELS) {
        if (g->lbl_any_index == 0) {
            id = g_label(g, "[*]");
            if (id < 0) return -1;
            g->lbl_any_index = id + 1;
        }
        return g->lbl_any_index - 1;
    }
    if (g->index_labels == NULL) {
        g->index_labels = (uint32_t *)PyMem_RawCalloc(LH_MAX_INDEX_LABELS, sizeof(uint32_t));
        if (g->index_labels == NULL) { PyErr_NoMemory(); return -1; }
    }
    if (g->index_labels[i]) return g->index_labels[i] - 1;
    id = g_label_obj(g, PyUnicode_FromFormat("[%zd]", i));
    if (id >= 0) g->index_labels[i] = (uint32_t)id + 1;
    return id;
}

/* A str, shortened for a label: keys and names come from the heap. */
static PyObject *
short_text(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n <= 40) { Py_INCREF(s); return s; }
    {
        PyObject *head = PyUnicode_Substring(s, 0, 37), *r;
        if (head == NULL) return NULL;
        r = PyUnicode_FromFormat("%U...", head);
        Py_DECREF(head);
        return r;
    }
}

/* Dict keys are data: a session token, an e-mail address, an
 * environment variable's name. Unless asked, an edge from a dict to its
 * value is labelled by the key's type, [<str>] (issue 14, "no secrets by
 * default"); keys="names" keeps identifier-shaped str keys, keys="all"
 * every key. Identifier-shaped keys of namespace dicts (the .__dict__ of a
 * module, class, instance, function) are names, not data, and are kept in
 * every mode: that is decided after the walk, once every .__dict__ edge is
 * known (g_name_namespaces). At most LH_MAX_NAMED_LABELS distinct key and
 * attribute labels are made per capture, so the labels of a dict of 10M
 * distinct keys cost what 65,536 do (issue 14 item 11); past that, keys
 * are labelled by type. */
enum { LH_KEYS_NAMESPACES = 0, LH_KEYS_NAMES = 1, LH_KEYS_ALL = 2 };
#define LH_MAX_NAMED_LABELS 65536

static int
lh_name_shaped(PyObject *key)
{
    int r;
    if (!PyUnicode_CheckExact(key) || PyUnicode_GET_LENGTH(key) > 100) return 0;
    r = PyUnicode_IsIdentifier(key);
    if (r < 0) { PyErr_Clear(); return 0; }
    return r;
}

/* [<Type>]: the label of a key by its type, one per type */
static int64_t
g_key_type_label(walker *w, PyObject *key)
{
    typeent *e = type_entry(w, Py_TYPE(key));
    if (e == NULL) return -1;
    if (e->keylabel == 0) {
        int64_t id = g_label_obj(w->g, PyUnicode_FromFormat("[<%s>]", Py_TYPE(key)->tp_name));
        if (id < 0) return -1;
        e->keylabel = (uint32_t)id + 1;
    }
    return (int64_t)e->keylabel - 1;
}

/* ['key'] for str/int/bytes keys (exact types: their repr is C code),
 * [<Type>] for any other key, or once the budget of labels is spent. */
static int64_t
g_key_text_label(walker *w, PyObject *key)
{
    graphbuf *g = w->g;
    Py_ssize_t slot = ptrmap_find(&g->key_labels, key);
    PyObject *text = NULL;
    int64_t id;
    if (slot >= 0) return g->key_labels.vals[slot];
    if (g->named_labels >= LH_MAX_NAMED_LABELS) return g_key_type_label(w, key);
    if (PyUnicode_CheckExact(key)) {
        PyObject *s = short_text(key);
        if (s == NULL) return -1;
        text = PyUnicode_FromFormat("[%R]", s);
        Py_DECREF(s);
    }
    else if (PyLong_CheckExact(key) || PyBytes_CheckExact(key) || PyFloat_CheckExact(key) ||
             key == Py_None || PyBool_Check(key)) {
        PyObject *r = PyObject_Repr(key);
        if (r == NULL) return -1;
        if (PyUnicode_GET_LENGTH(r) > 40) {
            PyObject *s = short_text(r);
            Py_DECREF(r);
            r = s;
            if (r == NULL) return -1;
        }
        text = PyUnicode_FromFormat("[%U]", r);
        Py_DECREF(r);
    }
    else {
        return g_key_type_label(w, key);
    }
    id = g_label_obj(g, text);
    if (id >= 0 && ptrmap_add(&g->key_labels, key, (Py_ssize_t)id) < 0) return -1;
    g->named_labels++;
    return id;
}

static int64_t
g_label_key(walker *w, PyObject *key)
{
    int mode = w->g->keys_mode;
    if (mode == LH_KEYS_ALL || (mode == LH_KEYS_NAMES && lh_name_shaped(key)))
        return g_key_text_label(w, key);
    return g_key_type_label(w, key);
}

/* .name for an attribute name (a str), cached by the name object */
static int64_t
g_label_attr(graphbuf *g, PyObject *name)
{
    Py_ssize_t slot;
    int64_t id;
    PyObject *s;
    if (name == NULL || !PyUnicode_Check(name)) return g->fallback;
    slot = ptrmap_find(&g->attr_labels, name);
    if (slot >= 0) return g->attr_labels.vals[slot];
    if (g->named_labels >= LH_MAX_NAMED_LABELS) return g->fallback;
    g->named_labels++;
    s = short_text(name);
    if (s == NULL) return -1;
    id = g_label_obj(g, PyUnicode_FromFormat(".%U", s));
    Py_DECREF(s);
    if (id >= 0 && ptrmap_add(&g->attr_labels, name, (Py_ssize_t)id) < 0) return -1;
    return id;
}

/* ------------------------------------------------------- nodes and edges */

static int g_add_node(walker *w, PyObject *o, Py_ssize_t size);

/* The visited map, doubled; every slot recorded so far (edge targets,
 * the current node's pending edges) renumbered to its new place. The old
 * value array serves as the old-slot -> new-slot table once its values
 * have moved. */
static int
g_grow_map(walker *w)
{
    graphbuf *g = w->g;
    ptrmap *m = &w->visited;
    size_t oldn = m->mask + 1, newn = oldn * 2, i;
    uintptr_t *ok = m->keys, *nk;
    int32_t *ov = m->vals, *nv;
    Py_ssize_t e;
    if (newn > 0x7FFFFFFF) return -1; /* slots are int32 in the table */
    nk = (uintptr_t *)PyMem_RawCalloc(newn, sizeof(uintptr_t));
    nv = (int32_t *)PyMem_RawCalloc(newn, sizeof(int32_t));
    if (nk == NULL || nv == NULL) {
        PyMem_RawFree(nk);
        PyMem_RawFree(nv);
        return -1;
    }
    for (i = 0; i < oldn; i++) {
        if (ok[i]) {
            size_t j = ptr_hash(ok[i]) & (newn - 1);
            while (nk[j]) j = (j + 1) & (newn - 1);
            nk[j] = ok[i];
            nv[j] = ov[i];
            ov[i] = (int32_t)j;
        }
    }
    for (e = 0; e < g->e; e++) g->targets[e] = (uint32_t)ov[g->targets[e]];
    for (e = 0; e < g->tn; e++) g->tmp_t[e] = (uint32_t)ov[g->tmp_t[e]];
    PyMem_RawFree(ok);
    PyMem_RawFree(ov);
    m->keys = nk;
    m->vals = nv;
    m->mask = newn - 1;
    return 0;
}

/* The visited-map slot of o (see the top of this file), taken when the
 * walk first meets o (*added = 1; its node number is then -1). -1 on
 * memory error. */
static Py_ssize_t
g_slot(walker *w, PyObject *o, int *added)
{
    ptrmap *m = &w->visited;
    if ((m->used + 1) * 4 > (m->mask + 1) * 3 && g_grow_map(w) < 0) return -1;
    return ptrmap_slot(m, o, -1, added);
}

/* reach() in graph mode: every object must become a node, so no
 * reference-count shortcut; a leaf is numbered at once, a container when
 * it is popped from the stack (graph_node). */
static int
g_reach(walker *w, PyObject *child)
{
    size_t slot = ((uintptr_t)child >> 4) & 4095;
    int added;
    if (w->recent[slot] == (uintptr_t)child) return 0;
    /* frames made objects for the walk are not tracked; ours are excluded */
    if (PyFrame_Check(child) && ptrmap_find(&w->excluded, child) >= 0) return 0;
    if (g_slot(w, child, &added) < 0) { w->failed = 1; return -1; }
    w->recent[slot] = (uintptr_t)child;
    if (!added) return 0;
    w->n_untracked++;
    if (PyObject_IS_GC(child) || PyDict_Check(child) || PyCode_Check(child)) {
        if (stack_push(&w->stack, child) < 0) { w->failed = 1; return -1; }
        return 0;
    }
    {
        Py_ssize_t size;
        if (count_object(w, child, &size) < 0 || g_add_node(w, child, size) < 0) {
            w->failed = 1;
            return -1;
        }
    }
    return 0;
}

static int
g_add_node(walker *w, PyObject *o, Py_ssize_t size)
{
    graphbuf *g = w->g;
    typeent *e = type_entry(w, Py_TYPE(o));
    if (e == NULL) return -1;
    if (e->gid == 0) {
        if (PyList_Append(g->type_list, (PyObject *)e->tp) < 0) return -1;
        e->gid = PyList_GET_SIZE(g->type_list); /* 1-based; 0 = unassigned */
    }
    if (g->n + 1 > g->cap) {
        /* grow by an eighth: the graph is most of what a capture takes, and
         * realloc of a big block remaps pages rather than copying them */
        Py_ssize_t nc = g->cap ? g->cap + g->cap / 8 : 65536;
        void *p;
        size_t ob = (size_t)g->cap * sizeof(uint32_t), nb = (size_t)nc * sizeof(uint32_t);
        p = big_realloc(g->types, ob, nb);
        if (p == NULL) return -1;
        g->types = (uint32_t *)p;
        p = big_realloc(g->sizes, ob, nb);
        if (p == NULL) return -1;
        g->sizes = (uint32_t *)p;
        p = big_realloc(g->lengths, ob, nb);
        if (p == NULL) return -1;
        g->lengths = (uint32_t *)p;
        p = big_realloc(g->offsets, g->cap ? ob + sizeof(uint32_t) : 0, nb + sizeof(uint32_t));
        if (p == NULL) return -1;
        g->offsets = (uint32_t *)p;
        g->cap = nc;
    }
    g->types[g->n] = (uint32_t)(e->gid - 1);
    g->sizes[g->n] = size > 0xFFFFFFFFLL ? 0xFFFFFFFFU : (uint32_t)size;
    {
        Py_ssize_t len = 0;
        if (PyList_Check(o)) len = PyList_GET_SIZE(o);
        else if (PyTuple_Check(o)) len = PyTuple_GET_SIZE(o);
        else if (PyDict_Check(o)) len = PyDict_GET_SIZE(o);
        else if (PyAnySet_Check(o)) len = PySet_GET_SIZE(o);
        else if (PyByteArray_Check(o)) len = PyByteArray_GET_SIZE(o);
        g->lengths[g->n] = len > 0xFFFFFFFFLL ? 0xFFFFFFFFU : (uint32_t)len;
    }
    {
        int added;
        Py_ssize_t slot = g_slot(w, o, &added);
        if (slot < 0) return -1;
        w->visited.vals[slot] = (int32_t)g->n;
    }
    g->n++;
    return 0;
}

static int
g_edge(walker *w, PyObject *child, int64_t label)
{
    graphbuf *g = w->g;
    int added;
    Py_ssize_t slot;
    if (label < 0) return -1;
    if (g->tn + 1 > g->tcap) {
        Py_ssize_t nc = g->tcap ? g->tcap * 2 : 256;
        void *p = PyMem_RawRealloc(g->tmp_t, (size_t)nc * sizeof(uint32_t));
        if (p == NULL) return -1;
        g->tmp_t = (uint32_t *)p;
        p = PyMem_RawRealloc(g->tmp_l, (size_t)nc * sizeof(uint32_t));
        if (p == NULL) return -1;
        g->tmp_l = (uint32_t *)p;
        g->tcap = nc;
    }
    /* a tracked child not yet numbered gets its slot here */
    slot = g_slot(w, child, &added);
    if (slot < 0) return -1;
    g->tmp_t[g->tn] = (uint32_t)slot;
    g->tmp_l[g->tn] = (uint32_t)label;
    g->tn++;
    return 0;
}

/* A reference from the node being processed: count the child if it is
 * new (as the histogram walk does), then record the edge. */
static int
g_emit(walker *w, PyObject *child, int64_t label)
{
    if (child == NULL) return 0;
    if (is_tracked(child) || PyFrame_Check(child)) {
        if (w->excluded.used && ptrmap_find(&w->excluded, child) >= 0) return 0;
    }
    if (!is_tracked(child) && reach(w, child, 0) < 0) return -1;
    return g_edge(w, child, label);
}

/* The node's buffered edges go to the edge list; nodes numbered since
 * (untracked leaves met on the way) start where this node's edges end. */
static int
g_flush(walker *w, Py_ssize_t node)
{
    graphbuf *g = w->g;
    Py_ssize_t i;
    if (g->e + g->tn > g->ecap) {
        Py_ssize_t nc = g->ecap ? g->ecap + g->ecap / 8 : 65536;
        void *p;
        while (nc < g->e + g->tn) nc += nc / 8;
        p = big_realloc(g->targets, (size_t)g->ecap * sizeof(uint32_t),
                        (size_t)nc * sizeof(uint32_t));
        if (p == NULL) return -1;
        g->targets = (uint32_t *)p;
        p = big_realloc(g->labels, (size_t)g->ecap * sizeof(uint32_t),
                        (size_t)nc * sizeof(uint32_t));
        if (p == NULL) return -1;
        g->labels = (uint32_t *)p;
        g->ecap = nc;
    }
    while (g->offsets_filled <= node) g->offsets[g->offsets_filled++] = (uint32_t)g->e;
    memcpy(g->targets + g->e, g->tmp_t, (size_t)g->tn * sizeof(uint32_t));
    memcpy(g->labels + g->e, g->tmp_l, (size_t)g->tn * sizeof(uint32_t));
    g->e += g->tn;
    g->tn = 0;
    for (i = g->offsets_filled; i < g->n; i++) g->offsets[i] = (uint32_t)g->e;
    g->offsets_filled = g->n;
    return 0;
}

/* ------------------------------------------------- naming the references */

static int
cand_add(graphbuf *g, PyObject *ptr, int64_t label)
{
    if (label < 0) return -1;
    if (ptr == NULL || g->ncand >= LH_MAX_CAND) return 0;
    g->cand[g->ncand].ptr = ptr;
    g->cand[g->ncand].label = (uint32_t)label;
    g->cand[g->ncand].done = 0;
    g->ncand++;
    return 0;
}

static int
visit_graph(PyObject *child, void *arg)
{
    walker *w = (walker *)arg;
    graphbuf *g = w->g;
    int i, reuse = -1;
    /* One candidate per reference: an object held by two members
     * (o.left = o.right = x) gets both names, in the order traversed. */
    for (i = 0; i < g->ncand; i++) {
        if (g->cand[i].ptr == child) {
            if (g->cand[i].done == 1) return 0; /* emitted explicitly */
            if (g->cand[i].done == 0) {
                g->cand[i].done = 2;
                return g_emit(w, child, g->cand[i].label);
            }
            if (reuse < 0) reuse = i;
        }
    }
    return g_emit(w, child, reuse >= 0 ? g->cand[reuse].label : g->fallback);
}

/* Slots and C members (T_OBJECT / T_OBJECT_EX) of every class in the MRO,
 * worked out once per type: (offset, label) pairs in the type's entry. */
static int
type_members(walker *w, typeent *e)
{
    graphbuf *g = w->g;
    PyObject *mro = e->tp->tp_mro;
    Py_ssize_t k, n = 0, cap = 0;
    e->memb_done = 1;
    if (mro == NULL || !PyTuple_Check(mro)) return 0;
    for (k = 0; k < PyTuple_GET_SIZE(mro); k++) {
        PyMemberDef *m = ((PyTypeObject *)PyTuple_GET_ITEM(mro, k))->tp_members;
        for (; m != NULL && m->name != NULL; m++) {
            char buf[80];
            int64_t id;
            if (m->type != T_OBJECT && m->type != T_OBJECT_EX) continue;
            if (n == cap) {
                void *p;
                cap = cap ? cap * 2 : 4;
                p = PyMem_RawRealloc(e->moff, (size_t)cap * sizeof(Py_ssize_t));
                if (p == NULL) return -1;
                e->moff = (Py_ssize_t *)p;
                p = PyMem_RawRealloc(e->mlab, (size_t)cap * sizeof(uint32_t));
                if (p == NULL) return -1;
                e->mlab = (uint32_t *)p;
            }
            PyOS_snprintf(buf, sizeof(buf), ".%s", m->name);
            id = g_label(g, buf);
            if (id < 0) return -1;
            e->moff[n] = m->offset;
            e->mlab[n] = (uint32_t)id;
            n++;
        }
    }
    e->nmemb = n;
    return 0;
}

static int
cand_members(walker *w, PyObject *o)
{
    typeent *e = type_entry(w, Py_TYPE(o));
    Py_ssize_t i;
    if (e == NULL) return -1;
    if (!e->memb_done && type_members(w, e) < 0) return -1;
    for (i = 0; i < e->nmemb; i++) {
        PyObject *v = *(PyObject **)((char *)o + e->moff[i]);
        if (v != NULL && cand_add(w->g, v, e->mlab[i]) < 0) return -1;
    }
    return 0;
}

static int emit_named(walker *w, PyObject *v, int64_t label);

/* Instance attributes: the __dict__, or (3.11+) values kept in the object
 * itself, named from the class's shared keys. */
static int
cand_instance(walker *w, PyObject *o)
{
    graphbuf *g = w->g;
    PyTypeObject *tp = Py_TYPE(o);
#if LH_HAVE_MANAGED_ATTRS
    if (PyType_HasFeature(tp, Py_TPFLAGS_MANAGED_DICT)) {
        PyObject *dict, **values;
        Py_ssize_t capacity, i, n;
        lh_managed_attrs(o, &dict, &values, &capacity);
#if PY_VERSION_HEX >= 0x030D0000
        /* 3.13: while the values are still inline, a materialized dict
         * shares them and the traverse reports the values, not the dict
         * the object holds a reference to: the edge is made here, or the
         * dict would look held outside Python and its names read as data */
        if (dict != NULL && values != NULL) {
            if (emit_named(w, dict, g->lbl_dict) < 0) return -1;
        }
        else
#endif
        if (dict != NULL && cand_add(g, dict, g->lbl_dict) < 0) return -1;
        n = values != NULL ? lh_shared_key_count(tp) : 0;
        for (i = 0; i < n && i < capacity && g->ncand < LH_MAX_CAND; i++) {
            PyObject *key = lh_shared_key(tp, i);
            if (values[i] != NULL && key != NULL) {
                if (cand_add(g, values[i], g_label_attr(g, key)) < 0) return -1;
            }
        }
        return 0;
    }
#endif
    if (tp->tp_dictoffset > 0) {
        PyObject *dict = *(PyObject **)((char *)o + tp->tp_dictoffset);
        if (dict != NULL && cand_add(g, dict, g->lbl_dict) < 0) return -1;
    }
    return 0;
}

static int
cand_function(graphbuf *g, PyObject *o)
{
    PyFunctionObject *f = (PyFunctionObject *)o;
    if (cand_add(g, f->func_code, g_slabel(g, ".__code__")) < 0 ||
        cand_add(g, f->func_globals, g_slabel(g, ".__globals__")) < 0 ||
        cand_add(g, f->func_defaults, g_slabel(g, ".__defaults__")) < 0 ||
        cand_add(g, f->func_kwdefaults, g_slabel(g, ".__kwdefaults__")) < 0 ||
        cand_add(g, f->func_closure, g_slabel(g, ".__closure__")) < 0 ||
        cand_add(g, f->func_dict, g->lbl_dict) < 0 ||
        cand_add(g, f->func_module, g_slabel(g, ".__module__")) < 0 ||
        cand_add(g, f->func_annotations, g_slabel(g, ".__annotations__")) < 0 ||
        cand_add(g, f->func_name, g_slabel(g, ".__name__")) < 0 ||
        cand_add(g, f->func_qualname, g_slabel(g, ".__qualname__")) < 0 ||
        cand_add(g, f->func_doc, g_slabel(g, ".__doc__")) < 0)
        return -1;
    return 0;
}

/* function -> each closure cell's contents, named after the free variable:
 * the edge people mean when a closure keeps something alive */
static int
emit_closure_vars(walker *w, PyObject *o)
{
    PyFunctionObject *f = (PyFunctionObject *)o;
    PyObject *names;
    Py_ssize_t i, n;
    if (f->func_closure == NULL || !PyTuple_Check(f->func_closure) || !PyCode_Check(f->func_code))
        return 0;
#if PY_VERSION_HEX >= 0x030B0000
    names = PyCode_GetFreevars((PyCodeObject *)f->func_code);
    if (names == NULL) { PyErr_Clear(); return 0; }
#else
    names = ((PyCodeObject *)f->func_code)->co_freevars;
    Py_XINCREF(names);
    if (names == NULL) return 0;
#endif
    n = PyTuple_GET_SIZE(f->func_closure);
    for (i = 0; i < n && i < PyTuple_GET_SIZE(names); i++) {
        PyObject *cell = PyTuple_GET_ITEM(f->func_closure, i);
        PyObject *v = PyCell_Check(cell) ? PyCell_GET(cell) : NULL;
        if (v != NULL) {
            int64_t id = g_label_obj(
                w->g, PyUnicode_FromFormat(".__closure__ cell '%U'", PyTuple_GET_ITEM(names, i)));
            if (id < 0 || g_emit(w, v, id) < 0) { Py_DECREF(names); return -1; }
        }
    }
    Py_DECREF(names);
    return 0;
}

/* An explicit edge named `label` to v, which the traverse that follows
 * reports again: it is marked done there. */
static int
emit_named(walker *w, PyObject *v, int64_t label)
{
    graphbuf *g = w->g;
    int j;
    if (label < 0 || g_emit(w, v, label) < 0) return -1;
    for (j = 0; j < g->ncand; j++)
        if (g->cand[j].ptr == v) g->cand[j].done = 1;
    if (g->ncand < LH_MAX_CAND) {
        if (cand_add(g, v, label) < 0) return -1;
        g->cand[g->ncand - 1].done = 1;
    }
    return 0;
}

#if LH_HAVE_IFRAME
/* The locals of an interpreter frame by name (3.11+): localsplus[i] is
 * named co_localsplusnames[i]; a cell or free variable by its cell's
 * contents. Read straight from the frame: no f_locals dict is made and no
 * user code runs. The locals part of localsplus is always current (the
 * eval loop reads and writes it in place; unbound slots are NULL). */
static int
emit_iframe_locals(walker *w, lh_iframe *f)
{
    graphbuf *g = w->g;
    PyCodeObject *co;
    PyObject *names, *kinds;
    Py_ssize_t i, n;
    co = lh_iframe_code(f);
    if (co == NULL) return 0;
    names = co->co_localsplusnames;
    kinds = co->co_localspluskinds;
    if (names == NULL || !PyTuple_Check(names) || kinds == NULL || !PyBytes_Check(kinds))
        return 0;
    n = co->co_nlocalsplus;
    if (n > PyTuple_GET_SIZE(names) || n > PyBytes_GET_SIZE(kinds)) return 0;
    for (i = 0; i < n; i++) {
        PyObject *v = f->localsplus[i];
        unsigned char kind = (unsigned char)PyBytes_AS_STRING(kinds)[i];
        if (v == NULL) continue;
        if ((kind & (LH_CO_FAST_CELL | LH_CO_FAST_FREE)) && PyCell_Check(v)) {
            v = PyCell_GET(v);
            if (v == NULL) continue;
        }
        if (emit_named(w, v,
                       g_label_obj(g, PyUnicode_FromFormat("frame %U local '%U'", co->co_name,
                                                           PyTuple_GET_ITEM(names, i)))) < 0)
            return -1;
    }
    return 0;
}

/* A generator, coroutine or async generator that has not finished:
 * its frame's locals by name, from the frame it embeds. */
static int
emit_generator_locals(walker *w, PyObject *o)
{
    lh_iframe *f = lh_generator_frame(o);
    return f == NULL ? 0 : emit_iframe_locals(w, f);
}
#endif

/* frame -> its locals by name. 3.10 reads them from the frame; 3.12+ asks
 * PyFrame_GetVar (no side effect); 3.11 has no public way without the
 * f_locals side effect, so its interpreter frame is read (running frames
 * included, whose locals the frame's traverse does not report). */
static int
emit_frame_locals(walker *w, PyObject *o)
{
    graphbuf *g = w->g;
#if PY_VERSION_HEX < 0x030B0000
    PyFrameObject *f = (PyFrameObject *)o;
    PyCodeObject *co = f->f_code;
    Py_ssize_t i, nlocals, ncells, nfrees;
    if (co == NULL) return 0;
    nlocals = co->co_nlocals;
    ncells = PyTuple_GET_SIZE(co->co_cellvars);
    nfrees = PyTuple_GET_SIZE(co->co_freevars);
    for (i = 0; i < nlocals + ncells + nfrees; i++) {
        PyObject *v = f->f_localsplus[i], *name;
        int64_t id;
        if (v == NULL) continue;
        if (i < nlocals) name = PyTuple_GET_ITEM(co->co_varnames, i);
        else if (i < nlocals + ncells) name = PyTuple_GET_ITEM(co->co_cellvars, i - nlocals);
        else name = PyTuple_GET_ITEM(co->co_freevars, i - nlocals - ncells);
        if (i >= nlocals && PyCell_Check(v)) {
            PyObject *inner = PyCell_GET(v);
            if (inner == NULL) continue;
            v = inner;
        }
        id = g_label_obj(g, PyUnicode_FromFormat("frame %U local '%U'", co->co_name, name));
        if (emit_named(w, v, id) < 0) return -1;
    }
    return 0;
#elif PY_VERSION_HEX >= 0x030C0000
    PyFrameObject *f = (PyFrameObject *)o;
    PyCodeObject *co = PyFrame_GetCode(f);
    PyObject *lists[3];
    int k;
    if (co == NULL) { PyErr_Clear(); return 0; }
    lists[0] = PyCode_GetVarnames(co);
    lists[1] = PyCode_GetCellvars(co);
    lists[2] = PyCode_GetFreevars(co);
    for (k = 0; k < 3; k++) {
        Py_ssize_t i;
        if (lists[k] == NULL) { PyErr_Clear(); continue; }
        for (i = 0; i < PyTuple_GET_SIZE(lists[k]); i++) {
            PyObject *name = PyTuple_GET_ITEM(lists[k], i);
            PyObject *v = PyFrame_GetVar(f, name); /* new reference */
            int64_t id;
            if (v == NULL) { PyErr_Clear(); continue; }
            id = g_label_obj(g, PyUnicode_FromFormat("frame %U local '%U'", co->co_name, name));
            /* the frame keeps v alive; drop our reference before the walk
             * may look at its reference count */
            Py_DECREF(v);
            if (id < 0 || g_emit(w, v, id) < 0 || cand_add(g, v, id) < 0) {
                Py_XDECREF(lists[0]); Py_XDECREF(lists[1]); Py_XDECREF(lists[2]);
                Py_DECREF(co);
                return -1;
            }
            g->cand[g->ncand - 1].done = 1;
        }
    }
    Py_XDECREF(lists[0]); Py_XDECREF(lists[1]); Py_XDECREF(lists[2]);
    Py_DECREF(co);
    return 0;
#elif LH_HAVE_IFRAME
    lh_iframe *f = lh_frame_object_frame(o);
    (void)g;
    return f == NULL ? 0 : emit_iframe_locals(w, f);
#else
    (void)g; (void)o; /* 3.11 layouts unknown: generic labels */
    return 0;
#endif
}

static int
cand_type(graphbuf *g, PyObject *o)
{
    PyTypeObject *t = (PyTypeObject *)o;
    if (cand_add(g, t->tp_dict, g->lbl_dict) < 0 ||
        cand_add(g, t->tp_mro, g_slabel(g, ".__mro__")) < 0 ||
        cand_add(g, t->tp_bases, g_slabel(g, ".__bases__")) < 0 ||
        cand_add(g, (PyObject *)t->tp_base, g_slabel(g, ".__base__")) < 0)
        return -1;
    if (PyType_HasFeature(t, Py_TPFLAGS_HEAPTYPE)) {
        PyHeapTypeObject *h = (PyHeapTypeObject *)t;
        if (cand_add(g, h->ht_name, g_slabel(g, ".__name__")) < 0 ||
            cand_add(g, h->ht_qualname, g_slabel(g, ".__qualname__")) < 0 ||
            cand_add(g, h->ht_slots, g_slabel(g, ".__slots__")) < 0 ||
            cand_add(g, h->ht_module, g_slabel(g, ".__module__")) < 0)
            return -1;
    }
    return 0;
}

/* The fallback label: a reference nothing above could name. */
static int64_t
g_fallback(walker *w, PyObject *o)
{
    typeent *e = type_entry(w, Py_TYPE(o));
    if (e == NULL) return -1;
    if (e->fallback == 0) {
        int64_t id = g_label_obj(w->g, PyUnicode_FromFormat("(in %s)", Py_TYPE(o)->tp_name));
        if (id < 0) return -1;
        e->fallback = (uint32_t)id + 1;
    }
    return (int64_t)e->fallback - 1;
}

/* Process one node: count it, number it, and emit its labelled edges. */
static int
graph_node(walker *w, PyObject *o)
{
    graphbuf *g = w->g;
    Py_ssize_t size, node, i;
    traverseproc tr = Py_TYPE(o)->tp_traverse;
    int64_t fb;
    if (count_object(w, o, &size) < 0 || g_add_node(w, o, size) < 0) return -1;
    node = g->n - 1;
    g->ncand = 0;
    g->tn = 0;

    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PyList_Check(o) ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
        for (i = 0; i < n; i++) {
            PyObject *item = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            if (g_emit(w, item, g_label_index(g, i)) < 0) return -1;
        }
        if (PyTuple_CheckExact(o) || PyList_CheckExact(o)) return g_flush(w, node);
        for (i = 0; i < n; i++) {
            PyObject *item = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            if (cand_add(g, item, 0) < 0) return -1;
            if (g->ncand) g->cand[g->ncand - 1].done = 1;
        }
    }
    else if (PyDict_Check(o)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (g_emit(w, v, g_label_key(w, k)) < 0 || g_emit(w, k, g->lbl_key) < 0) return -1;
        }
        if (PyDict_CheckExact(o)) return g_flush(w, node);
        /* a subclass's own references (its __dict__, slots) follow; its
         * items, reported again by dict_traverse, are marked done */
        pos = 0;
        while (PyDict_Next(o, &pos, &k, &v) && g->ncand < LH_MAX_CAND - 2) {
            if (cand_add(g, v, 0) < 0 || cand_add(g, k, 0) < 0) return -1;
            g->cand[g->ncand - 1].done = g->cand[g->ncand - 2].done = 1;
        }
    }
    else if (PyCode_Check(o)) {
        PyCodeObject *co = (PyCodeObject *)o;
        if (g_emit(w, co->co_consts, g_slabel(g, ".co_consts")) < 0 ||
            g_emit(w, co->co_names, g_slabel(g, ".co_names")) < 0 ||
            g_emit(w, co->co_filename, g_slabel(g, ".co_filename")) < 0 ||
            g_emit(w, co->co_name, g_slabel(g, ".co_name")) < 0)
            return -1;
        return g_flush(w, node);
    }

    fb = g_fallback(w, o);
    if (fb < 0) return -1;
    g->fallback = (uint32_t)fb;
    if (PyFunction_Check(o)) {
        if (cand_function(g, o) < 0 || emit_closure_vars(w, o) < 0) return -1;
    }
    else if (PyMethod_Check(o)) {
        if (cand_add(g, PyMethod_GET_FUNCTION(o), g_slabel(g, ".__func__")) < 0 ||
            cand_add(g, PyMethod_GET_SELF(o), g_slabel(g, ".__self__")) < 0)
            return -1;
    }
    else if (PyCell_Check(o)) {
        if (cand_add(g, PyCell_GET(o), g_slabel(g, ".cell_contents")) < 0) return -1;
    }
    else if (PyModule_Check(o)) {
        if (cand_add(g, PyModule_GetDict(o), g->lbl_dict) < 0) return -1;
    }
    else if (PyType_Check(o)) {
        if (cand_type(g, o) < 0) return -1;
    }
    else if (PyTraceBack_Check(o)) {
        PyTracebackObject *tb = (PyTracebackObject *)o;
        if (cand_add(g, (PyObject *)tb->tb_next, g_slabel(g, ".tb_next")) < 0 ||
            cand_add(g, (PyObject *)tb->tb_frame, g_slabel(g, ".tb_frame")) < 0)
            return -1;
    }
    else if (PyExceptionInstance_Check(o)) {
        PyBaseExceptionObject *ex = (PyBaseExceptionObject *)o;
        if (cand_add(g, ex->args, g_slabel(g, ".args")) < 0 ||
            cand_add(g, ex->traceback, g_slabel(g, ".__traceback__")) < 0 ||
            cand_add(g, ex->context, g_slabel(g, ".__context__")) < 0 ||
            cand_add(g, ex->cause, g_slabel(g, ".__cause__")) < 0 ||
            cand_add(g, ex->dict, g->lbl_dict) < 0)
            return -1;
    }
    else if (PyFrame_Check(o)) {
        if (emit_frame_locals(w, o) < 0) return -1;
    }
#if LH_HAVE_IFRAME
    else if (PyGen_Check(o) || PyCoro_CheckExact(o) || PyAsyncGen_CheckExact(o)) {
        if (emit_generator_locals(w, o) < 0) return -1;
    }
#endif
    if (PyAnySet_Check(o)) g->fallback = g->lbl_item;
    if (!PyType_Check(o)) {
        if (cand_instance(w, o) < 0 || cand_members(w, o) < 0) return -1;
        if (PyType_HasFeature(Py_TYPE(o), Py_TPFLAGS_HEAPTYPE) &&
            cand_add(g, (PyObject *)Py_TYPE(o), g->lbl_class) < 0)
            return -1;
    }
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    if (PyModule_Check(o)) {
        /* 3.12: a module's dict only (see count_children: its _asyncio
         * reports freed iterators from its traverse, CPython gh-122695,
         * fixed in 3.13.0) */
        PyObject *d = PyModule_GetDict(o);
        if (d != NULL && (visit_graph(d, w) < 0 || w->failed)) return -1;
    }
    else
#endif
    if (tr != NULL && PyObject_IS_GC(o)) {
        if (tr(o, visit_graph, w) < 0 || w->failed) return -1;
    }
    return g_flush(w, node);
}

/* Edge targets: map slots -> node numbers, in place. A slot with no
 * node (an object met only as a target and never numbered; cannot happen
 * for what g_emit lets through, kept as a guard) is dropped and the
 * offsets closed up. */
static void
g_resolve(walker *w)
{
    graphbuf *g = w->g;
    Py_ssize_t i, node = 0, kept = 0;
    uint32_t *t = g->targets;
    while (g->offsets_filled <= g->n) g->offsets[g->offsets_filled++] = (uint32_t)g->e;
    for (i = 0; i < g->e; i++) {
        int32_t v = w->visited.vals[t[i]];
        while (node < g->n && (Py_ssize_t)g->offsets[node + 1] <= i) {
            node++;
            g->offsets[node] = (uint32_t)kept;
        }
        if (v >= 0) {
            uint32_t label = g->labels[i];
            t[kept] = (uint32_t)v;
            g->labels[kept] = label;
            kept++;
        }
    }
    while (node < g->n) g->offsets[++node] = (uint32_t)kept;
    g->e = kept;
}

/* Identifier-shaped str keys of namespace dicts get their names back
 * (see g_label_key): a dict is a namespace when some edge into it is
 * .__dict__, known only once the walk is done. Its item edges come in
 * pairs, the value's edge then the key's (<key>); the key object is found
 * from its node's address (g_ids_from_map has run; the objects are alive,
 * held by the list of all objects, and no code has run since the walk). */
static int
g_name_namespaces(walker *w)
{
    graphbuf *g = w->g;
    typeent *st;
    uint32_t redacted;
    uint8_t *ns;
    Py_ssize_t e, v;
    if (g->keys_mode == LH_KEYS_ALL || g->e == 0) return 0;
    st = type_entry(w, &PyUnicode_Type);
    if (st == NULL) return -1;
    if (st->keylabel == 0) return 0; /* no str key was labelled [<str>] */
    redacted = st->keylabel - 1;
    ns = (uint8_t *)PyMem_RawCalloc((size_t)g->n / 8 + 1, 1);
    if (ns == NULL) return -1;
    for (e = 0; e < g->e; e++)
        if (g->labels[e] == g->lbl_dict) ns[g->targets[e] >> 3] |= (uint8_t)(1u << (g->targets[e] & 7));
    /* A threading.local's per-thread dicts are namespaces too (their keys
     * are attribute names): they hang off the local itself or, through its
     * table of dummies, one dict below it. Marking a non-dict changes
     * nothing (only dict item pairs are renamed below). */
    for (v = 0; v < g->n; v++) {
        PyTypeObject *tp = (PyTypeObject *)PyList_GET_ITEM(g->type_list, g->types[v]);
        Py_ssize_t e2;
        if (strcmp(tp->tp_name, "_thread._local") != 0) continue;
        for (e = g->offsets[v]; (uint64_t)e < g->offsets[v + 1]; e++) {
            uint32_t t = g->targets[e];
            ns[t >> 3] |= (uint8_t)(1u << (t & 7));
            if ((PyTypeObject *)PyList_GET_ITEM(g->type_list, g->types[t]) != &PyDict_Type) continue;
            for (e2 = g->offsets[t]; (uint64_t)e2 < g->offsets[t + 1]; e2++)
                ns[g->targets[e2] >> 3] |= (uint8_t)(1u << (g->targets[e2] & 7));
        }
    }
    for (v = 0; v < g->n; v++) {
        uint64_t end;
        if (!(ns[v >> 3] & (1u << (v & 7)))) continue;
        end = g->offsets[v + 1];
        for (e = g->offsets[v]; (uint64_t)e + 1 < end; e++) {
            PyObject *key;
            int64_t id;
            if (g->labels[e] != redacted || g->labels[e + 1] != g->lbl_key) continue;
            key = (PyObject *)(uintptr_t)g->ids[g->targets[e + 1]];
            if (!lh_name_shaped(key)) continue;
            id = g_key_text_label(w, key);
            if (id < 0) { PyMem_RawFree(ns); return -1; }
            g->labels[e] = (uint32_t)id;
        }
    }
    PyMem_RawFree(ns);
    return 0;
}

/* The nodes' addresses, made in place from the visited map: each key moves to the slot of its node number, following
 * the permutation's cycles, so the map's key array becomes `ids` with no
 * second per-node array alive next to the map. Every node has a slot, so
 * n <= slots. The map is gone afterwards. */
static int
g_ids_from_map(walker *w)
{
    graphbuf *g = w->g;
    uintptr_t *keys = w->visited.keys;
    int32_t *vals = w->visited.vals;
    size_t j, slots = w->visited.mask + 1;
    void *p;
    for (j = 0; j < slots; j++) {
        uintptr_t k = keys[j];
        int32_t d = vals[j];
        if (d == -2) continue; /* already placed */
        keys[j] = 0;
        vals[j] = -1;
        if (k == 0 || d < 0) continue; /* empty, or no node */
        for (;;) {
            uintptr_t k2 = keys[d];
            int32_t d2 = vals[d];
            keys[d] = k;
            vals[d] = -2;
            if (k2 == 0 || d2 < 0) break;
            k = k2;
            d = d2;
        }
    }
    PyMem_RawFree(vals);
    w->visited.vals = NULL;
    w->visited.keys = NULL;
    p = PyMem_RawRealloc(keys, (size_t)(g->n ? g->n : 1) * sizeof(uint64_t));
    g->ids = (uint64_t *)(p != NULL ? p : keys); /* a failed shrink keeps the block */
    return 0;
}

static void
graphbuf_free(graphbuf *g)
{
    PyMem_RawFree(g->ids);
    big_free(g->types, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->sizes, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->lengths, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->offsets, (size_t)(g->cap + 1) * sizeof(uint32_t));
    big_free(g->targets, (size_t)g->ecap * sizeof(uint32_t));
    big_free(g->labels, (size_t)g->ecap * sizeof(uint32_t));
    PyMem_RawFree(g->tmp_t);
    PyMem_RawFree(g->tmp_l);
    PyMem_RawFree(g->index_labels);
    g->index_labels = NULL;
    ptrmap_free(&g->key_labels);
    ptrmap_free(&g->attr_labels);
    ptrmap_free(&g->static_labels);
    Py_XDECREF(g->label_ids);
    Py_XDECREF(g->label_list);
    Py_XDECREF(g->type_list);
}

/* An array.array of typecode `code` (itemsize 4 or 8) holding the n
 * uint32 or uint64 items at src (`src_item`: 4 or 8; 4 into 8 widens).
 * Made at its final size and filled in place: the walk's buffer is copied
 * once, straight into what the HeapGraph keeps. */
static PyObject *
new_array(PyObject *array_type, const char *code, const void *src, Py_ssize_t n, int src_item)
{
    PyObject *one, *arr;
    Py_buffer view;
    Py_ssize_t i;
    one = PyObject_CallFunction(array_type, "s(i)", code, 0);
    if (one == NULL) return NULL;
    arr = PySequence_Repeat(one, n);
    Py_DECREF(one);
    if (arr == NULL) return NULL;
    if (PyObject_GetBuffer(arr, &view, PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    if (view.itemsize == src_item) {
        memcpy(view.buf, src, (size_t)n * (size_t)src_item);
    }
    else if (view.itemsize == 8 && src_item == 4) {
        uint64_t *out = (uint64_t *)view.buf;
        const uint32_t *in = (const uint32_t *)src;
        for (i = 0; i < n; i++) out[i] = in[i];
    }
    else {
        PyBuffer_Release(&view);
        Py_DECREF(arr);
        PyErr_Format(PyExc_SystemError, "array '%s' has item size %zd", code, view.itemsize);
        return NULL;
    }
    PyBuffer_Release(&view);
    return arr;
}
