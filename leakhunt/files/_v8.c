/* Past the usual ~500 lines on purpose: each hot loop below stands alone,
 * with its own index checks (the input is untrusted).
 *
 * The hot loops of reading a V8 heap snapshot: scanning the flat number
 * arrays and turning V8's edge list into leakhunt's CSR arrays. Each
 * function has a pure-Python twin in leakhunt/files/v8_read.py or
 * v8_convert.py that gives identical results (the tests compare them).
 *
 * Every function works on buffers the caller owns (array.array, bytes,
 * bytearray) and checks every index it follows: the input is a file from
 * elsewhere, never trusted. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (itemsize && view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected, got %zd",
                     what, itemsize, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- parse_ints */

PyDoc_STRVAR(parse_ints_doc,
"parse_ints(data) -> bytes\n\n"
"The unsigned decimal integers in data (separated by commas and white\n"
"space) as native uint32 values. ValueError for anything else, an empty\n"
"item, or a value above 2**32 - 1.");

static PyObject *
parse_ints(PyObject *self, PyObject *arg)
{
    Py_buffer in;
    if (get_buffer(arg, &in, 1, 0, "parse_ints") < 0)
        return NULL;
    const unsigned char *p = in.buf, *end = p + in.len;
    /* at most one number per two bytes ("1,") */
    Py_ssize_t cap = in.len / 2 + 1;
    PyObject *out = PyBytes_FromStringAndSize(NULL, cap * 4);
    if (out == NULL) {
        PyBuffer_Release(&in);
        return NULL;
    }
    uint32_t *o = (uint32_t *)PyBytes_AS_STRING(out);
    Py_ssize_t k = 0;
    int expect_number = 1, bad = 0;
    while (p < end) {
        unsigned char c = *p;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            p++;
            continue;
        }
        if (c == ',') {
            if (expect_number) { bad = 1; break; }
            expect_number = 1;
            p++;
            continue;
        }
        if (c < '0' || c > '9' || !expect_number) { bad = 1; break; }
        uint64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p - '0');
            if (v > 0xFFFFFFFFull) { bad = 1; break; }
            p++;
        }
        if (bad)
            break;
        o[k++] = (uint32_t)v;
        expect_number = 0;
    }
    PyBuffer_Release(&in);
    if (bad || (expect_number && k)) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, "not a list of unsigned 32-bit integers");
        return NULL;
    }
    if (_PyBytes_Resize(&out, k * 4) < 0)
        return NULL;
    return out;
}

/* ------------------------------------------------------------ format_uints */

PyDoc_STRVAR(format_uints_doc,
"format_uints(values) -> bytes\n\n"
"The uint32 values as decimal text separated by commas (the writer's\n"
"twin of parse_ints).");

static PyObject *
format_uints(PyObject *self, PyObject *arg)
{
    Py_buffer in;
    if (get_buffer(arg, &in, 4, 0, "format_uints") < 0)
        return NULL;
    const uint32_t *v = in.buf;
    Py_ssize_t n = in.len / 4;
    /* at most 10 digits and a comma per value */
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 11 + 1);
    if (out == NULL) {
        PyBuffer_Release(&in);
        return NULL;
    }
    char *o = PyBytes_AS_STRING(out), *start = o;
    for (Py_ssize_t i = 0; i < n; i++) {
        char digits[10];
        int k = 0;
        uint32_t x = v[i];
        do {
            digits[k++] = (char)('0' + x % 10);
            x /= 10;
        } while (x);
        if (i)
            *o++ = ',';
        while (k)
            *o++ = digits[--k];
    }
    PyBuffer_Release(&in);
    if (_PyBytes_Resize(&out, o - start) < 0)
        return NULL;
    return out;
}

/* ------------------------------------------------------------------ edges */

PyDoc_STRVAR(edges_doc,
"edges(nodes, edges, nf, ef, ecf, idf, etf, enf, tof, keep, drop_ids,\n"
"      offsets, targets, keys) -> int\n\n"
"Fill offsets (uint64, n + 1), targets (uint32) and keys (uint64: edge\n"
"type << 32 | name_or_index) with the edges whose type bit is set in\n"
"keep, leaving out an edge named s from the node whose id is drop_ids[s]\n"
"(int64, -1 for none). Returns the number of edges kept. ValueError for a\n"
"to_node that is not a node's start.");

static PyObject *
edges(PyObject *self, PyObject *args)
{
    PyObject *nodes_o, *edges_o, *drop_o, *off_o, *tgt_o, *key_o;
    Py_ssize_t nf, ef, ecf, idf, etf, enf, tof;
    unsigned long long keep;
    if (!PyArg_ParseTuple(args, "OOnnnnnnnKOOOO", &nodes_o, &edges_o, &nf, &ef, &ecf, &idf,
                          &etf, &enf, &tof, &keep, &drop_o, &off_o, &tgt_o, &key_o))
        return NULL;
    if (nf <= 0 || ef <= 0 || ecf >= nf || idf >= nf || etf >= ef || enf >= ef || tof >= ef
        || ecf < 0 || idf < 0 || etf < 0 || enf < 0 || tof < 0) {
        PyErr_SetString(PyExc_ValueError, "edges: bad field offsets");
        return NULL;
    }
    Py_buffer nb, eb, db, ob, tb, kb;
    if (get_buffer(nodes_o, &nb, 4, 0, "nodes") < 0)
        return NULL;
    if (get_buffer(edges_o, &eb, 4, 0, "edges") < 0)
        goto fail_n;
    if (get_buffer(drop_o, &db, 8, 0, "drop_ids") < 0)
        goto fail_e;
    if (get_buffer(off_o, &ob, 8, 1, "offsets") < 0)
        goto fail_d;
    if (get_buffer(tgt_o, &tb, 4, 1, "targets") < 0)
        goto fail_o;
    if (get_buffer(key_o, &kb, 8, 1, "keys") < 0)
        goto fail_t;
    const uint32_t *N = nb.buf, *E = eb.buf;
    const int64_t *drop = db.buf;
    Py_ssize_t ndrop = db.len / 8;
    uint64_t *off = ob.buf, *keys = kb.buf;
    uint32_t *tgt = tb.buf;
    Py_ssize_t n = nb.len / 4 / nf, m = eb.len / 4 / ef;
    Py_ssize_t cap_t = tb.len / 4, cap_k = kb.len / 8;
    const char *err = NULL;
    if (ob.len / 8 != n + 1 || cap_t < m || cap_k < m) {
        err = "edges: output arrays too small";
        goto done;
    }
    Py_ssize_t e = 0, k = 0;
    off[0] = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t v = 0; v < n; v++) {
        const uint32_t *node = N + v * nf;
        Py_ssize_t count = node[ecf];
        int64_t id = node[idf];
        if (count > m - e) {
            err = "the nodes' edge counts run past the edges";
            break;
        }
        for (Py_ssize_t stop = e + count; e < stop; e++) {
            const uint32_t *edge = E + e * ef;
            uint32_t t = edge[etf], name = edge[enf], to = edge[tof];
            if (t >= 64 || !((keep >> t) & 1))
                continue;
            if (name < ndrop && drop[name] == id)
                continue;
            if ((uint64_t)to % (uint64_t)nf || (uint64_t)to / (uint64_t)nf >= (uint64_t)n) {
                err = "an edge's to_node is not a node's start";
                break;
            }
            tgt[k] = (uint32_t)(to / nf);
            keys[k] = ((uint64_t)t << 32) | name;
            k++;
        }
        if (err)
            break;
        off[v + 1] = (uint64_t)k;
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&kb);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&db);
    PyBuffer_Release(&eb);
    PyBuffer_Release(&nb);
    if (err) {
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    return PyLong_FromSsize_t(k);
fail_t:
    PyBuffer_Release(&tb);
fail_o:
    PyBuffer_Release(&ob);
fail_d:
    PyBuffer_Release(&db);
fail_e:
    PyBuffer_Release(&eb);
fail_n:
    PyBuffer_Release(&nb);
    return NULL;
}

/* -------------------------------------------------------------- node_keys */

PyDoc_STRVAR(node_keys_doc,
"node_keys(nodes, nf, tf, namef, width, out) -> None\n\n"
"out[v] (uint64) = type * width + name of node v.");

static PyObject *
node_keys(PyObject *self, PyObject *args)
{
    PyObject *nodes_o, *out_o;
    Py_ssize_t nf, tf, namef;
    unsigned long long width;
    if (!PyArg_ParseTuple(args, "OnnnKO", &nodes_o, &nf, &tf, &namef, &width, &out_o))
        return NULL;
    if (nf <= 0 || tf < 0 || tf >= nf || namef < 0 || namef >= nf) {
        PyErr_SetString(PyExc_ValueError, "node_keys: bad field offsets");
        return NULL;
    }
    Py_buffer nb, ob;
    if (get_buffer(nodes_o, &nb, 4, 0, "nodes") < 0)
        return NULL;
    if (get_buffer(out_o, &ob, 8, 1, "out") < 0) {
        PyBuffer_Release(&nb);
        return NULL;
    }
    const uint32_t *N = nb.buf;
    uint64_t *out = ob.buf;
    Py_ssize_t n = nb.len / 4 / nf;
    int bad = ob.len / 8 < n;
    for (Py_ssize_t v = 0; v < n && !bad; v++)
        out[v] = (uint64_t)N[v * nf + tf] * width + N[v * nf + namef];
    PyBuffer_Release(&ob);
    PyBuffer_Release(&nb);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "node_keys: out too small");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ----------------------------------------------------------------- intern */

PyDoc_STRVAR(intern_doc,
"intern(keys, out) -> bytes\n\n"
"Number the distinct uint64 keys in order of first appearance: out[i]\n"
"(uint32) is the number of keys[i]; returns the distinct keys (native\n"
"uint64) in that order.");

static inline uint64_t
mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static PyObject *
intern_keys(PyObject *self, PyObject *args)
{
    PyObject *keys_o, *out_o;
    if (!PyArg_ParseTuple(args, "OO", &keys_o, &out_o))
        return NULL;
    Py_buffer kb, ob;
    if (get_buffer(keys_o, &kb, 8, 0, "keys") < 0)
        return NULL;
    if (get_buffer(out_o, &ob, 4, 1, "out") < 0) {
        PyBuffer_Release(&kb);
        return NULL;
    }
    Py_ssize_t m = kb.len / 8;
    if (ob.len / 4 < m) {
        PyBuffer_Release(&ob);
        PyBuffer_Release(&kb);
        PyErr_SetString(PyExc_ValueError, "intern: out too small");
        return NULL;
    }
    const uint64_t *keys = kb.buf;
    uint32_t *out = ob.buf;
    size_t size = 1024;
    size_t used = 0;
    /* slot: index + 1 into distinct, 0 = empty */
    uint32_t *slots = PyMem_Calloc(size, sizeof(uint32_t));
    size_t dcap = 256;
    uint64_t *distinct = PyMem_Malloc(dcap * sizeof(uint64_t));
    if (slots == NULL || distinct == NULL)
        goto nomem;
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t key = keys[i];
        size_t mask = size - 1, h = (size_t)mix(key) & mask;
        while (slots[h] && distinct[slots[h] - 1] != key)
            h = (h + 1) & mask;
        if (!slots[h]) {
            if (used >= 0xFFFFFFFEu)
                goto nomem;
            if (used == dcap) {
                dcap *= 2;
                uint64_t *d2 = PyMem_Realloc(distinct, dcap * sizeof(uint64_t));
                if (d2 == NULL)
                    goto nomem;
                distinct = d2;
            }
            distinct[used] = key;
            slots[h] = (uint32_t)(++used);
            if (used * 2 > size) { /* grow and rehash */
                size_t nsize = size * 2;
                uint32_t *ns = PyMem_Calloc(nsize, sizeof(uint32_t));
                if (ns == NULL)
                    goto nomem;
                for (size_t j = 0; j < used; j++) {
                    size_t hh = (size_t)mix(distinct[j]) & (nsize - 1);
                    while (ns[hh])
                        hh = (hh + 1) & (nsize - 1);
                    ns[hh] = (uint32_t)(j + 1);
                }
                PyMem_Free(slots);
                slots = ns;
                size = nsize;
            }
            out[i] = (uint32_t)(used - 1);
        }
        else {
            out[i] = slots[h] - 1;
        }
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)distinct, used * 8);
    PyMem_Free(slots);
    PyMem_Free(distinct);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&kb);
    return result;
nomem:
    PyMem_Free(slots);
    PyMem_Free(distinct);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&kb);
    return PyErr_NoMemory();
}

/* ------------------------------------------------------------- interfaces */

PyDoc_STRVAR(interfaces_doc,
"interfaces(offsets, keys, per_node, plain, prop_type, skip_name, out) -> None\n\n"
"For each node of class plain: out[v] (uint64) = a hash of the names of\n"
"its property edges (key >> 32 == prop_type, name != skip_name), in\n"
"order; 0 for other nodes and for plain nodes without properties.");

static PyObject *
interfaces(PyObject *self, PyObject *args)
{
    PyObject *off_o, *key_o, *cls_o, *out_o;
    unsigned long plain, prop_type, skip_name;
    if (!PyArg_ParseTuple(args, "OOOkkkO", &off_o, &key_o, &cls_o, &plain, &prop_type,
                          &skip_name, &out_o))
        return NULL;
    Py_buffer ob, kb, cb, rb;
    if (get_buffer(off_o, &ob, 8, 0, "offsets") < 0)
        return NULL;
    if (get_buffer(key_o, &kb, 8, 0, "keys") < 0)
        goto f1;
    if (get_buffer(cls_o, &cb, 4, 0, "per_node") < 0)
        goto f2;
    if (get_buffer(out_o, &rb, 8, 1, "out") < 0)
        goto f3;
    const uint64_t *off = ob.buf, *keys = kb.buf;
    const uint32_t *cls = cb.buf;
    uint64_t *out = rb.buf;
    Py_ssize_t n = cb.len / 4, m = kb.len / 8;
    int bad = (ob.len / 8 != n + 1 || rb.len / 8 < n);
    for (Py_ssize_t v = 0; v < n && !bad; v++) {
        uint64_t h = 0;
        if (cls[v] == plain) {
            uint64_t a = off[v], b = off[v + 1];
            if (a > b || b > (uint64_t)m) { bad = 1; break; }
            for (uint64_t p = a; p < b; p++) {
                uint64_t k = keys[p];
                if ((k >> 32) != prop_type || (k & 0xFFFFFFFFu) == skip_name)
                    continue;
                h = mix(h ^ (k & 0xFFFFFFFFu) ^ 0x9e3779b97f4a7c15ULL) + 1;
            }
        }
        out[v] = h;
    }
    PyBuffer_Release(&rb);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&kb);
    PyBuffer_Release(&ob);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "interfaces: an index out of range");
        return NULL;
    }
    Py_RETURN_NONE;
f3:
    PyBuffer_Release(&cb);
f2:
    PyBuffer_Release(&kb);
f1:
    PyBuffer_Release(&ob);
    return NULL;
}

PyDoc_STRVAR(firsts_doc,
"firsts(idx, count) -> bytes\n\n"
"For each j < count, the first i with idx[i] == j (native uint32).");

static PyObject *
firsts(PyObject *self, PyObject *args)
{
    PyObject *idx_o;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "On", &idx_o, &count))
        return NULL;
    if (count < 0) {
        PyErr_SetString(PyExc_ValueError, "firsts: negative count");
        return NULL;
    }
    Py_buffer ib;
    if (get_buffer(idx_o, &ib, 4, 0, "idx") < 0)
        return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, count * 4);
    if (out == NULL) {
        PyBuffer_Release(&ib);
        return NULL;
    }
    uint32_t *o = (uint32_t *)PyBytes_AS_STRING(out);
    memset(o, 0xFF, count * 4);
    const uint32_t *idx = ib.buf;
    Py_ssize_t n = ib.len / 4;
    for (Py_ssize_t i = 0; i < n; i++)
        if (idx[i] < (uint64_t)count && o[idx[i]] == 0xFFFFFFFFu)
            o[idx[i]] = (uint32_t)i;
    PyBuffer_Release(&ib);
    return out;
}

PyDoc_STRVAR(assign_doc,
"assign(values, idx, table) -> None\n\n"
"values[i] = table[idx[i]] unless that is 0xFFFFFFFF (all uint32).");

static PyObject *
assign(PyObject *self, PyObject *args)
{
    PyObject *v_o, *i_o, *t_o;
    if (!PyArg_ParseTuple(args, "OOO", &v_o, &i_o, &t_o))
        return NULL;
    Py_buffer vb, ib, tb;
    if (get_buffer(v_o, &vb, 4, 1, "values") < 0)
        return NULL;
    if (get_buffer(i_o, &ib, 4, 0, "idx") < 0) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    if (get_buffer(t_o, &tb, 4, 0, "table") < 0) {
        PyBuffer_Release(&ib);
        PyBuffer_Release(&vb);
        return NULL;
    }
    uint32_t *v = vb.buf;
    const uint32_t *idx = ib.buf, *t = tb.buf;
    Py_ssize_t n = vb.len / 4, size = tb.len / 4;
    int bad = ib.len / 4 != n;
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        if (idx[i] >= (uint64_t)size) { bad = 1; break; }
        if (t[idx[i]] != 0xFFFFFFFFu)
            v[i] = t[idx[i]];
    }
    PyBuffer_Release(&tb);
    PyBuffer_Release(&ib);
    PyBuffer_Release(&vb);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "assign: an index out of range");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ remap */

PyDoc_STRVAR(remap_doc,
"remap(values, table) -> None\n\n"
"values[i] = table[values[i]] in place (both uint32); ValueError for a\n"
"value past the table.");

static PyObject *
remap(PyObject *self, PyObject *args)
{
    PyObject *v_o, *t_o;
    if (!PyArg_ParseTuple(args, "OO", &v_o, &t_o))
        return NULL;
    Py_buffer vb, tb;
    if (get_buffer(v_o, &vb, 4, 1, "values") < 0)
        return NULL;
    if (get_buffer(t_o, &tb, 4, 0, "table") < 0) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    uint32_t *v = vb.buf;
    const uint32_t *t = tb.buf;
    Py_ssize_t n = vb.len / 4, size = tb.len / 4;
    int bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (v[i] >= (uint64_t)size) { bad = 1; break; }
        v[i] = t[v[i]];
    }
    PyBuffer_Release(&tb);
    PyBuffer_Release(&vb);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "remap: value past the table");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ reach */

PyDoc_STRVAR(reach_doc,
"reach(offsets, targets, roots) -> bytearray\n\n"
"1 for every node a root reaches (a depth-first search), else 0.");

static PyObject *
reach(PyObject *self, PyObject *args)
{
    PyObject *off_o, *tgt_o, *roots_o;
    if (!PyArg_ParseTuple(args, "OOO", &off_o, &tgt_o, &roots_o))
        return NULL;
    Py_buffer ob, tb;
    if (get_buffer(off_o, &ob, 8, 0, "offsets") < 0)
        return NULL;
    if (get_buffer(tgt_o, &tb, 4, 0, "targets") < 0) {
        PyBuffer_Release(&ob);
        return NULL;
    }
    const uint64_t *off = ob.buf;
    const uint32_t *tgt = tb.buf;
    Py_ssize_t n = ob.len / 8 - 1, m = tb.len / 4;
    PyObject *seen_o = NULL, *roots = NULL;
    uint32_t *stack = NULL;
    if (n < 0)
        n = 0;
    seen_o = PyByteArray_FromStringAndSize(NULL, n);
    roots = PySequence_Fast(roots_o, "reach: roots must be a sequence");
    stack = PyMem_Malloc((n + 1) * sizeof(uint32_t));
    if (seen_o == NULL || roots == NULL || stack == NULL) {
        if (stack == NULL && seen_o && roots)
            PyErr_NoMemory();
        goto fail;
    }
    char *seen = PyByteArray_AS_STRING(seen_o);
    memset(seen, 0, n);
    Py_ssize_t sp = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(roots); i++) {
        Py_ssize_t r = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(roots, i));
        if (r == -1 && PyErr_Occurred())
            goto fail;
        if (r < 0 || r >= n) {
            PyErr_SetString(PyExc_ValueError, "reach: root out of range");
            goto fail;
        }
        if (!seen[r]) {
            seen[r] = 1;
            stack[sp++] = (uint32_t)r;
        }
    }
    int bad = 0;
    while (sp) {
        uint32_t v = stack[--sp];
        uint64_t a = off[v], b = off[v + 1];
        if (a > b || b > (uint64_t)m) { bad = 1; break; }
        for (uint64_t p = a; p < b; p++) {
            uint32_t w = tgt[p];
            if (w >= (uint64_t)n) { bad = 1; break; }
            if (!seen[w]) {
                seen[w] = 1;
                stack[sp++] = w;
            }
        }
        if (bad)
            break;
    }
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "reach: an index out of range");
        goto fail;
    }
    PyMem_Free(stack);
    Py_DECREF(roots);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&ob);
    return seen_o;
fail:
    PyMem_Free(stack);
    Py_XDECREF(roots);
    Py_XDECREF(seen_o);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&ob);
    return NULL;
}

/* -------------------------------------------------------------- drop_into */

PyDoc_STRVAR(drop_into_doc,
"drop_into(offsets, targets, labels, mark) -> int\n\n"
"Remove, in place, every edge from an unmarked node into a marked one;\n"
"returns the new edge count (the caller truncates targets and labels).");

static PyObject *
drop_into(PyObject *self, PyObject *args)
{
    PyObject *off_o, *tgt_o, *lab_o, *mark_o;
    if (!PyArg_ParseTuple(args, "OOOO", &off_o, &tgt_o, &lab_o, &mark_o))
        return NULL;
    Py_buffer ob, tb, lb, mb;
    if (get_buffer(off_o, &ob, 8, 1, "offsets") < 0)
        return NULL;
    if (get_buffer(tgt_o, &tb, 4, 1, "targets") < 0)
        goto f1;
    if (get_buffer(lab_o, &lb, 4, 1, "labels") < 0)
        goto f2;
    if (get_buffer(mark_o, &mb, 1, 0, "mark") < 0)
        goto f3;
    uint64_t *off = ob.buf;
    uint32_t *tgt = tb.buf, *lab = lb.buf;
    const char *mark = mb.buf;
    Py_ssize_t n = ob.len / 8 - 1, m = tb.len / 4;
    int bad = (mb.len < n || lb.len / 4 != m || n < 0);
    uint64_t k = 0, a = 0;
    for (Py_ssize_t v = 0; v < n && !bad; v++) {
        uint64_t b = off[v + 1];
        if (b < a || b > (uint64_t)m) { bad = 1; break; }
        for (uint64_t p = a; p < b; p++) {
            uint32_t w = tgt[p];
            if (w >= (uint64_t)n) { bad = 1; break; }
            if (!mark[v] && mark[w])
                continue;
            tgt[k] = w;
            lab[k] = lab[p];
            k++;
        }
        a = b;
        off[v + 1] = k;
    }
    PyBuffer_Release(&mb);
    PyBuffer_Release(&lb);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&ob);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "drop_into: an index out of range");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(k);
f3:
    PyBuffer_Release(&lb);
f2:
    PyBuffer_Release(&tb);
f1:
    PyBuffer_Release(&ob);
    return NULL;
}

/* --------------------------------------------------------- count_elements */

PyDoc_STRVAR(count_elements_doc,
"count_elements(offsets, labels, element, lengths) -> None\n\n"
"lengths[v] (uint64) = the number of out-edges of v whose label has\n"
"element[label] set.");

static PyObject *
count_elements(PyObject *self, PyObject *args)
{
    PyObject *off_o, *lab_o, *el_o, *len_o;
    if (!PyArg_ParseTuple(args, "OOOO", &off_o, &lab_o, &el_o, &len_o))
        return NULL;
    Py_buffer ob, lb, eb, nb;
    if (get_buffer(off_o, &ob, 8, 0, "offsets") < 0)
        return NULL;
    if (get_buffer(lab_o, &lb, 4, 0, "labels") < 0)
        goto f1;
    if (get_buffer(el_o, &eb, 1, 0, "element") < 0)
        goto f2;
    if (get_buffer(len_o, &nb, 8, 1, "lengths") < 0)
        goto f3;
    const uint64_t *off = ob.buf;
    const uint32_t *lab = lb.buf;
    const char *el = eb.buf;
    uint64_t *len = nb.buf;
    Py_ssize_t n = ob.len / 8 - 1, m = lb.len / 4, nel = eb.len;
    int bad = (nb.len / 8 < n || n < 0);
    for (Py_ssize_t v = 0; v < n && !bad; v++) {
        uint64_t a = off[v], b = off[v + 1], c = 0;
        if (a > b || b > (uint64_t)m) { bad = 1; break; }
        for (uint64_t p = a; p < b; p++) {
            if (lab[p] >= (uint64_t)nel) { bad = 1; break; }
            c += el[lab[p]] != 0;
        }
        len[v] = c;
    }
    PyBuffer_Release(&nb);
    PyBuffer_Release(&eb);
    PyBuffer_Release(&lb);
    PyBuffer_Release(&ob);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "count_elements: an index out of range");
        return NULL;
    }
    Py_RETURN_NONE;
f3:
    PyBuffer_Release(&eb);
f2:
    PyBuffer_Release(&lb);
f1:
    PyBuffer_Release(&ob);
    return NULL;
}

/* ---------------------------------------------------------------- tally */

PyDoc_STRVAR(tally_doc,
"tally(classes, sizes, counts, totals) -> None\n\n"
"For each node: counts[classes[i]] += 1 and totals[classes[i]] += sizes[i]\n"
"(classes uint32, sizes, counts and totals uint64).");

static PyObject *
tally(PyObject *self, PyObject *args)
{
    PyObject *c_o, *s_o, *n_o, *t_o;
    if (!PyArg_ParseTuple(args, "OOOO", &c_o, &s_o, &n_o, &t_o))
        return NULL;
    Py_buffer cb, sb, nb, tb;
    if (get_buffer(c_o, &cb, 4, 0, "classes") < 0)
        return NULL;
    if (get_buffer(s_o, &sb, 8, 0, "sizes") < 0)
        goto f1;
    if (get_buffer(n_o, &nb, 8, 1, "counts") < 0)
        goto f2;
    if (get_buffer(t_o, &tb, 8, 1, "totals") < 0)
        goto f3;
    const uint32_t *c = cb.buf;
    const uint64_t *s = sb.buf;
    uint64_t *cnt = nb.buf, *tot = tb.buf;
    Py_ssize_t n = cb.len / 4, k = nb.len / 8;
    int bad = (sb.len / 8 != n || tb.len / 8 != k);
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        if (c[i] >= (uint64_t)k) { bad = 1; break; }
        cnt[c[i]] += 1;
        tot[c[i]] += s[i];
    }
    PyBuffer_Release(&tb);
    PyBuffer_Release(&nb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&cb);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "tally: an index out of range");
        return NULL;
    }
    Py_RETURN_NONE;
f3:
    PyBuffer_Release(&nb);
f2:
    PyBuffer_Release(&sb);
f1:
    PyBuffer_Release(&cb);
    return NULL;
}

/* ------------------------------------------------------ delta encoding */
/* Not V8's: the compiled half of the graph section's delta-coded arrays
 * (graph_section.py, snapshot format 1.2), kept in the one compiled module
 * of leakhunt.files. */

PyDoc_STRVAR(delta_encode_doc,
"delta_encode(values, start, stop) -> bytes\n\n"
"values[i] - values[i - 1] for i in range(start, stop) (values[start] itself\n"
"when start is 0), wrapping modulo 2**32 or 2**64 as the items' width says\n"
"(4 or 8 bytes), as native unsigned integers.");

static PyObject *
delta_encode(PyObject *self, PyObject *args)
{
    PyObject *values_o, *out;
    Py_buffer vb;
    Py_ssize_t start, stop, i, n;
    if (!PyArg_ParseTuple(args, "Onn:delta_encode", &values_o, &start, &stop)) return NULL;
    if (get_buffer(values_o, &vb, 0, 0, "values") < 0) return NULL;
    n = vb.len / (vb.itemsize ? vb.itemsize : 1);
    if ((vb.itemsize != 4 && vb.itemsize != 8) || start < 0 || stop < start || stop > n) {
        PyBuffer_Release(&vb);
        PyErr_SetString(PyExc_ValueError, "delta_encode: 4- or 8-byte items, 0 <= start <= stop <= len");
        return NULL;
    }
    out = PyBytes_FromStringAndSize(NULL, (stop - start) * vb.itemsize);
    if (out == NULL) { PyBuffer_Release(&vb); return NULL; }
    if (vb.itemsize == 8) {
        const uint64_t *v = (const uint64_t *)vb.buf;
        uint64_t *d = (uint64_t *)PyBytes_AS_STRING(out);
        for (i = start; i < stop; i++) d[i - start] = v[i] - (i ? v[i - 1] : 0);
    }
    else {
        const uint32_t *v = (const uint32_t *)vb.buf;
        uint32_t *d = (uint32_t *)PyBytes_AS_STRING(out);
        for (i = start; i < stop; i++) d[i - start] = v[i] - (i ? v[i - 1] : 0);
    }
    PyBuffer_Release(&vb);
    return out;
}

PyDoc_STRVAR(delta_decode_doc,
"delta_decode(values) -> None\n\n"
"Running sums of a writable buffer of 4- or 8-byte unsigned integers, in\n"
"place, wrapping as delta_encode did.");

static PyObject *
delta_decode(PyObject *self, PyObject *arg)
{
    Py_buffer vb;
    Py_ssize_t i, n;
    if (get_buffer(arg, &vb, 0, 1, "values") < 0) return NULL;
    if (vb.itemsize != 4 && vb.itemsize != 8) {
        PyBuffer_Release(&vb);
        PyErr_SetString(PyExc_ValueError, "delta_decode: 4- or 8-byte items");
        return NULL;
    }
    n = vb.len / vb.itemsize;
    if (vb.itemsize == 8) {
        uint64_t *v = (uint64_t *)vb.buf;
        for (i = 1; i < n; i++) v[i] += v[i - 1];
    }
    else {
        uint32_t *v = (uint32_t *)vb.buf;
        for (i = 1; i < n; i++) v[i] += v[i - 1];
    }
    PyBuffer_Release(&vb);
    Py_RETURN_NONE;
}

static PyMethodDef v8_methods[] = {
    {"parse_ints", parse_ints, METH_O, parse_ints_doc},
    {"format_uints", format_uints, METH_O, format_uints_doc},
    {"edges", edges, METH_VARARGS, edges_doc},
    {"node_keys", node_keys, METH_VARARGS, node_keys_doc},
    {"intern", intern_keys, METH_VARARGS, intern_doc},
    {"interfaces", interfaces, METH_VARARGS, interfaces_doc},
    {"firsts", firsts, METH_VARARGS, firsts_doc},
    {"assign", assign, METH_VARARGS, assign_doc},
    {"remap", remap, METH_VARARGS, remap_doc},
    {"reach", reach, METH_VARARGS, reach_doc},
    {"drop_into", drop_into, METH_VARARGS, drop_into_doc},
    {"count_elements", count_elements, METH_VARARGS, count_elements_doc},
    {"tally", tally, METH_VARARGS, tally_doc},
    {"delta_encode", delta_encode, METH_VARARGS, delta_encode_doc},
    {"delta_decode", delta_decode, METH_O, delta_decode_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef v8_module = {
    PyModuleDef_HEAD_INIT, "leakhunt.files._v8",
    "Compiled loops for reading V8 heap snapshots (see v8_read.py, v8_convert.py).",
    -1, v8_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__v8(void)
{
    return PyModule_Create(&v8_module);
}
