/* Compiled graph algorithms for leakhunt.analysis, over the CSR arrays of a
 * HeapGraph (offsets: array('Q'), targets: array('I')).
 *
 * Every function here has a pure-Python twin in leakhunt/analysis (named in
 * its docstring); the twins are the test oracle and the fallback when no C
 * compiler was available at install time. Nothing here touches Python
 * objects of the heap: it reads and writes flat buffers only, so a
 * 20M-node graph costs a few bytes per node, not a Python int per node.
 * Results are written into buffers the caller allocated (array('i') * n),
 * so no temporary copy doubles the peak.
 *
 * Past the usual ~500 lines on purpose: these are independent functions,
 * each a page long, sharing the buffer checks at the top; one extension
 * module keeps one build step and one import for the whole analysis room.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_buffer b;
    int ok;
} buf;

static int
get_buf(PyObject *o, buf *out, int writable, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(o, &out->b, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) return -1;
    out->ok = 1;
    if (out->b.len % itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: a buffer of %zd-byte items expected", what, itemsize);
        return -1;
    }
    return 0;
}

static void
release(buf *bs, int count)
{
    int i;
    for (i = 0; i < count; i++)
        if (bs[i].ok) {
            PyBuffer_Release(&bs[i].b);
            bs[i].ok = 0;
        }
}

#define LEN(x, size) ((x).b.len / (size))

/* A CSR graph checked once: offsets non-decreasing, within the edges. */
static int
check_csr(const buf *ob, const buf *tb, Py_ssize_t *n_out, const char *what)
{
    const uint64_t *off = (const uint64_t *)ob->b.buf;
    Py_ssize_t n = LEN(*ob, 8) - 1, i;
    uint64_t m = (uint64_t)LEN(*tb, 4);
    if (n < 0 || off[0] != 0 || off[n] != m) {
        PyErr_Format(PyExc_ValueError, "%s: offsets and targets disagree", what);
        return -1;
    }
    for (i = 0; i < n; i++)
        if (off[i + 1] < off[i]) {
            PyErr_Format(PyExc_ValueError, "%s: offsets decrease", what);
            return -1;
        }
    *n_out = n;
    return 0;
}

static int
root_list(PyObject *roots, Py_ssize_t n, int32_t **out, Py_ssize_t *count, const char *what)
{
    Py_ssize_t i, k = PyTuple_GET_SIZE(roots);
    int32_t *r = (int32_t *)PyMem_RawMalloc((size_t)(k ? k : 1) * sizeof(int32_t));
    if (r == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (i = 0; i < k; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(roots, i));
        if (v < 0 || v >= n) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "%s: root out of range", what);
            PyMem_RawFree(r);
            return -1;
        }
        r[i] = (int32_t)v;
    }
    *out = r;
    *count = k;
    return 0;
}

/* ------------------------------------------------------------------ reverse */

PyDoc_STRVAR(reverse_doc,
"reverse(offsets, targets, roffsets, sources, edges)\n\n"
"The incoming edges in CSR form, written into roffsets (n + 1 uint64),\n"
"sources and edges (uint32, one per edge): a counting sort by target that\n"
"keeps forward-edge order. Twin: leakhunt.model.heapgraph._build_reverse.");

static PyObject *
reverse(PyObject *self, PyObject *args)
{
    PyObject *o[5];
    buf b[5] = {{{0}}};
    Py_ssize_t n, m, v;
    if (!PyArg_ParseTuple(args, "OOOOO:reverse", &o[0], &o[1], &o[2], &o[3], &o[4])) return NULL;
    if (get_buf(o[0], &b[0], 0, 8, "reverse") < 0 || get_buf(o[1], &b[1], 0, 4, "reverse") < 0 ||
        get_buf(o[2], &b[2], 1, 8, "reverse") < 0 || get_buf(o[3], &b[3], 1, 4, "reverse") < 0 ||
        get_buf(o[4], &b[4], 1, 4, "reverse") < 0 || check_csr(&b[0], &b[1], &n, "reverse") < 0)
        goto fail;
    m = LEN(b[1], 4);
    if (LEN(b[2], 8) != n + 1 || LEN(b[3], 4) != m || LEN(b[4], 4) != m) {
        PyErr_SetString(PyExc_ValueError, "reverse: output buffers of the wrong size");
        goto fail;
    }
    {
        const uint64_t *off = (const uint64_t *)b[0].b.buf;
        const uint32_t *tgt = (const uint32_t *)b[1].b.buf;
        uint64_t *roff = (uint64_t *)b[2].b.buf;
        uint32_t *src = (uint32_t *)b[3].b.buf, *edg = (uint32_t *)b[4].b.buf;
        Py_ssize_t e;
        uint64_t acc = 0;
        memset(roff, 0, (size_t)(n + 1) * 8);
        for (e = 0; e < m; e++) {
            if ((Py_ssize_t)tgt[e] >= n) {
                PyErr_SetString(PyExc_ValueError, "reverse: an edge points past the last node");
                goto fail;
            }
            roff[tgt[e] + 1]++;
        }
        for (v = 0; v <= n; v++) {
            acc += roff[v];
            roff[v] = acc;
        }
        /* roff[t] is the next free slot of t while filling; shifted back after */
        for (v = 0; v < n; v++)
            for (e = (Py_ssize_t)off[v]; e < (Py_ssize_t)off[v + 1]; e++) {
                uint32_t t = tgt[e];
                uint64_t p = roff[t]++;
                src[p] = (uint32_t)v;
                edg[p] = (uint32_t)e;
            }
        for (v = n; v > 0; v--) roff[v] = roff[v - 1];
        roff[0] = 0;
    }
    release(b, 5);
    Py_RETURN_NONE;
fail:
    release(b, 5);
    return NULL;
}

/* --------------------------------------------------------------- dominators */

PyDoc_STRVAR(dominators_doc,
"dominators(offsets, targets, roots, idom)\n\n"
"Immediate dominators (semi-NCA) below a virtual super-root over `roots`,\n"
"written into idom (int32, one per node): a node, or -1 for the\n"
"super-root and for nodes no root reaches. The in-edges it needs are built\n"
"here, in DFS-number space, and freed on return (nothing is cached on the\n"
"graph). Twin: leakhunt.analysis.dominators.immediate_dominators' Python\n"
"loops.");

static PyObject *
dominators(PyObject *self, PyObject *args)
{
    PyObject *o[3], *roots;
    buf b[3] = {{{0}}};
    Py_ssize_t n, nroots = 0, i, count = 1, m, cap = 0;
    int32_t *rootv = NULL, *num = NULL, *vertex = NULL, *parent = NULL, *semi = NULL;
    int32_t *best = NULL, *anc = NULL, *stack = NULL, *path = NULL, *src = NULL;
    uint32_t *roff = NULL;
    uint64_t *stack_pos = NULL;
    char *is_root = NULL;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "OOO!O:dominators", &o[0], &o[1], &PyTuple_Type, &roots, &o[2]))
        return NULL;
    if (get_buf(o[0], &b[0], 0, 8, "dominators") < 0 || get_buf(o[1], &b[1], 0, 4, "dominators") < 0 ||
        get_buf(o[2], &b[2], 1, 4, "dominators") < 0 || check_csr(&b[0], &b[1], &n, "dominators") < 0)
        goto done;
    m = LEN(b[1], 4);
    if (LEN(b[2], 4) != n || m >= (Py_ssize_t)UINT32_MAX || n >= (Py_ssize_t)INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "dominators: idom of the wrong size, or a graph too big");
        goto done;
    }
    if (root_list(roots, n, &rootv, &nroots, "dominators") < 0) goto done;
    num = PyMem_RawMalloc((size_t)(n + 1) * sizeof(int32_t));
    vertex = PyMem_RawMalloc((size_t)(n + 1) * sizeof(int32_t));
    parent = PyMem_RawMalloc((size_t)(n + 1) * sizeof(int32_t));
    is_root = PyMem_RawCalloc((size_t)n + 1, 1);
    if (!num || !vertex || !parent || !is_root) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const uint64_t *off = (const uint64_t *)b[0].b.buf;
        const uint32_t *tgt = (const uint32_t *)b[1].b.buf;
        int32_t *idom = (int32_t *)b[2].b.buf;
        Py_ssize_t r, top;

        for (i = 0; i < m; i++)
            if ((Py_ssize_t)tgt[i] >= n) {
                PyErr_SetString(PyExc_ValueError, "dominators: an edge points past the last node");
                goto done;
            }
        for (i = 0; i < n; i++) num[i] = -1;
        vertex[0] = -1;
        parent[0] = -1;
        /* Depth-first preorder from the super-root (number 0), roots in order,
         * out-edges in order: an explicit stack of (node, next edge) that
         * grows as deep as the search goes (heaps are shallow and wide). */
        for (r = 0; r < nroots; r++) is_root[rootv[r]] = 1;
        for (r = 0; r < nroots; r++) {
            int32_t root = rootv[r];
            if (num[root] >= 0) continue;
            num[root] = (int32_t)count;
            vertex[count] = root;
            parent[count] = 0;
            count++;
            top = 0;
            if (cap == 0) {
                cap = 1024;
                stack = PyMem_RawMalloc((size_t)cap * sizeof(int32_t));
                stack_pos = PyMem_RawMalloc((size_t)cap * sizeof(uint64_t));
                if (!stack || !stack_pos) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
            stack[0] = root;
            stack_pos[0] = off[root];
            while (top >= 0) {
                int32_t v = stack[top], w;
                uint64_t e = stack_pos[top], end = off[v + 1];
                while (e < end && num[tgt[e]] >= 0) e++;
                if (e == end) {
                    top--;
                    continue;
                }
                stack_pos[top] = e + 1;
                w = (int32_t)tgt[e];
                num[w] = (int32_t)count;
                vertex[count] = w;
                parent[count] = num[v];
                count++;
                if (off[w] == off[w + 1]) continue; /* a leaf: never opened */
                if (++top == cap) {
                    Py_ssize_t bigger = cap * 2;
                    int32_t *s2 = PyMem_RawRealloc(stack, (size_t)bigger * sizeof(int32_t));
                    uint64_t *p2;
                    if (s2 == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    stack = s2;
                    p2 = PyMem_RawRealloc(stack_pos, (size_t)bigger * sizeof(uint64_t));
                    if (p2 == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    stack_pos = p2;
                    cap = bigger;
                }
                stack[top] = w;
                stack_pos[top] = off[w];
            }
        }
        PyMem_RawFree(stack_pos);
        stack_pos = NULL;
        /* In-edges in number space, of reached nodes from reached nodes
         * only (a predecessor no root reaches proves nothing). */
        roff = PyMem_RawCalloc((size_t)count + 1, sizeof(uint32_t));
        if (roff == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (i = 1; i < count; i++) {
            int32_t v = vertex[i];
            uint64_t e;
            for (e = off[v]; e < off[v + 1]; e++) roff[num[tgt[e]] + 1]++;
        }
        for (i = 0; i < count; i++) roff[i + 1] += roff[i];
        src = PyMem_RawMalloc((size_t)(roff[count] ? roff[count] : 1) * sizeof(int32_t));
        if (src == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (i = 1; i < count; i++) {
            int32_t v = vertex[i];
            uint64_t e;
            for (e = off[v]; e < off[v + 1]; e++) src[roff[num[tgt[e]]]++] = (int32_t)i;
        }
        for (i = count; i > 0; i--) roff[i] = roff[i - 1];
        roff[0] = 0;
        /* idom is written last: until then it serves as the eval path */
        path = idom;
        semi = PyMem_RawMalloc((size_t)count * sizeof(int32_t));
        best = PyMem_RawMalloc((size_t)count * sizeof(int32_t));
        anc = num; /* num is not needed past here: number space from now on */
        num = NULL;
        if (!semi || !best) {
            PyErr_NoMemory();
            goto done;
        }
        for (i = 0; i < count; i++) {
            semi[i] = best[i] = (int32_t)i;
            anc[i] = parent[i];
        }
        for (i = count - 1; i > 0; i--) {
            int32_t s = parent[i];
            uint32_t p;
            if (is_root[vertex[i]]) {
                /* a root: the super-root is a predecessor, nothing is smaller */
                semi[i] = best[i] = 0;
                continue;
            }
            for (p = roff[i]; p < roff[i + 1]; p++) {
                int32_t v = src[p], a, bb;
                if (v < i) {
                    if (v < s) s = v;
                    continue;
                }
                a = anc[v];
                if (a > i) {
                    Py_ssize_t k = 0;
                    int32_t x = v;
                    while (a > i) {
                        path[k++] = x;
                        x = a;
                        a = anc[x];
                    }
                    bb = best[x];
                    while (k > 0) {
                        int32_t y = path[--k];
                        anc[y] = a;
                        if (bb < best[y]) best[y] = bb;
                        else bb = best[y];
                    }
                } else {
                    bb = best[v];
                }
                if (bb < s) s = bb;
            }
            semi[i] = best[i] = s;
        }
        /* nearest common ancestor: parent becomes idom, in number space */
        for (i = 1; i < count; i++) {
            int32_t x = parent[i], s2 = semi[i];
            while (x > s2) x = parent[x];
            parent[i] = x;
        }
        for (i = 0; i < n; i++) idom[i] = -1;
        for (i = 1; i < count; i++) idom[vertex[i]] = vertex[parent[i]];
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_RawFree(rootv);
    PyMem_RawFree(num);
    PyMem_RawFree(anc);
    PyMem_RawFree(vertex);
    PyMem_RawFree(parent);
    PyMem_RawFree(stack);
    PyMem_RawFree(stack_pos);
    PyMem_RawFree(roff);
    PyMem_RawFree(src);
    PyMem_RawFree(semi);
    PyMem_RawFree(best);
    PyMem_RawFree(is_root);
    release(b, 3);
    return result;
}

/* ----------------------------------------------------------------- retained */

PyDoc_STRVAR(retained_doc,
"retained(idom, sizes, out)\n\n"
"The retained size of each node (its dominator subtree's shallow sizes),\n"
"written into out (uint64, one per node); ValueError when idom is not a\n"
"forest. Twin: leakhunt.analysis.dominators.retained_sizes' Python loop.");

static PyObject *
retained(PyObject *self, PyObject *args)
{
    PyObject *o[3];
    buf b[3] = {{{0}}};
    int32_t *pending = NULL, *ready = NULL;
    Py_ssize_t n, i, top = 0, done_n = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOO:retained", &o[0], &o[1], &o[2])) return NULL;
    if (get_buf(o[0], &b[0], 0, 4, "retained") < 0 || get_buf(o[1], &b[1], 0, 8, "retained") < 0 ||
        get_buf(o[2], &b[2], 1, 8, "retained") < 0)
        goto done;
    n = LEN(b[0], 4);
    if (LEN(b[1], 8) != n || LEN(b[2], 8) != n) {
        PyErr_SetString(PyExc_ValueError, "retained: idom, sizes and out need one entry per node");
        goto done;
    }
    pending = PyMem_RawCalloc((size_t)(n ? n : 1), sizeof(int32_t));
    ready = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!pending || !ready) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const int32_t *idom = (const int32_t *)b[0].b.buf;
        const uint64_t *sizes = (const uint64_t *)b[1].b.buf;
        uint64_t *ret = (uint64_t *)b[2].b.buf;
        for (i = 0; i < n; i++) {
            int32_t d = idom[i];
            if (d < -1 || d >= n) {
                PyErr_SetString(PyExc_ValueError, "idom holds a node index out of range");
                goto done;
            }
            if (d >= 0) pending[d]++;
            ret[i] = sizes[i];
        }
        for (i = n - 1; i >= 0; i--)
            if (!pending[i]) ready[top++] = (int32_t)i;
        /* leaves first: a node is added to its dominator once all its own
         * dominator-children have been added (Kahn's order) */
        while (top > 0) {
            int32_t v = ready[--top], d = idom[v];
            done_n++;
            if (d >= 0) {
                ret[d] += ret[v];
                if (--pending[d] == 0) ready[top++] = d;
            }
        }
        if (done_n != n) {
            PyErr_SetString(PyExc_ValueError, "idom is not a tree: it has a cycle");
            goto done;
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_RawFree(pending);
    PyMem_RawFree(ready);
    release(b, 3);
    return result;
}

/* --------------------------------------------------------------- bfs, reach */

PyDoc_STRVAR(bfs_doc,
"bfs(offsets, targets, roots, want, remaining, max_depth) -> (seen, parent, parent_edge)\n\n"
"Breadth-first search from `roots` (in order), out-edges in order. `want`\n"
"flags one byte per node; the search stops once `remaining` wanted nodes\n"
"are seen or at `max_depth` (-1: no limit). Returns bytearray seen and the\n"
"bytes of native int32 parent and int64 parent-edge arrays (-1: none).\n"
"Twin: leakhunt.analysis.retainers.bfs_tree's Python loop.");

static PyObject *
bfs(PyObject *self, PyObject *args)
{
    PyObject *o[3], *roots;
    buf b[3] = {{{0}}};
    Py_ssize_t remaining, max_depth, n, i, head = 0, tail = 0, level_end, depth = 0, nroots = 0;
    PyObject *seen = NULL, *parent = NULL, *pedge = NULL, *result = NULL;
    int32_t *queue = NULL, *rootv = NULL;

    if (!PyArg_ParseTuple(args, "OOO!Onn:bfs", &o[0], &o[1], &PyTuple_Type, &roots, &o[2],
                          &remaining, &max_depth))
        return NULL;
    if (get_buf(o[0], &b[0], 0, 8, "bfs") < 0 || get_buf(o[1], &b[1], 0, 4, "bfs") < 0 ||
        get_buf(o[2], &b[2], 0, 1, "bfs") < 0 || check_csr(&b[0], &b[1], &n, "bfs") < 0)
        goto done;
    if (b[2].b.len < n) {
        PyErr_SetString(PyExc_ValueError, "bfs: offsets and want disagree on the node count");
        goto done;
    }
    if (root_list(roots, n, &rootv, &nroots, "bfs") < 0) goto done;
    seen = PyByteArray_FromStringAndSize(NULL, n);
    parent = PyBytes_FromStringAndSize(NULL, n * 4);
    pedge = PyBytes_FromStringAndSize(NULL, n * 8);
    queue = (int32_t *)PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (seen == NULL || parent == NULL || pedge == NULL || queue == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    {
        const uint64_t *off = (const uint64_t *)b[0].b.buf;
        const uint32_t *tgt = (const uint32_t *)b[1].b.buf;
        const char *want = (const char *)b[2].b.buf;
        char *sn = PyByteArray_AS_STRING(seen);
        int32_t *par = (int32_t *)PyBytes_AS_STRING(parent);
        int64_t *pe = (int64_t *)PyBytes_AS_STRING(pedge);
        memset(sn, 0, (size_t)n);
        for (i = 0; i < n; i++) {
            par[i] = -1;
            pe[i] = -1;
        }
        for (i = 0; i < nroots; i++) {
            int32_t r = rootv[i];
            if (!sn[r]) {
                sn[r] = 1;
                queue[tail++] = r;
                if (want[r]) remaining--;
            }
        }
        level_end = tail;
        while (head < tail && remaining > 0 && (max_depth < 0 || depth < max_depth)) {
            int32_t v = queue[head++];
            uint64_t e;
            for (e = off[v]; e < off[v + 1]; e++) {
                uint32_t x = tgt[e];
                if ((Py_ssize_t)x >= n || sn[x]) continue;
                sn[x] = 1;
                par[x] = v;
                pe[x] = (int64_t)e;
                queue[tail++] = (int32_t)x;
                if (want[x] && --remaining == 0) break;
            }
            if (head == level_end) {
                level_end = tail;
                depth++;
            }
        }
    }
    result = PyTuple_Pack(3, seen, parent, pedge);
done:
    PyMem_RawFree(queue);
    PyMem_RawFree(rootv);
    Py_XDECREF(seen);
    Py_XDECREF(parent);
    Py_XDECREF(pedge);
    release(b, 3);
    return result;
}

PyDoc_STRVAR(reach_doc,
"reach(offsets, targets, roots, blocked) -> bytearray\n\n"
"The nodes reachable from `roots` without entering a node whose `blocked`\n"
"flag (one byte per node) is set: one flag per node. Twin:\n"
"leakhunt.analysis.dominators.reachable's Python loop.");

static PyObject *
reach(PyObject *self, PyObject *args)
{
    PyObject *o[3], *roots;
    buf b[3] = {{{0}}};
    PyObject *seen = NULL, *result = NULL;
    int32_t *stack = NULL, *rootv = NULL;
    Py_ssize_t n, i, top = 0, nroots = 0;

    if (!PyArg_ParseTuple(args, "OOO!O:reach", &o[0], &o[1], &PyTuple_Type, &roots, &o[2]))
        return NULL;
    if (get_buf(o[0], &b[0], 0, 8, "reach") < 0 || get_buf(o[1], &b[1], 0, 4, "reach") < 0 ||
        get_buf(o[2], &b[2], 0, 1, "reach") < 0 || check_csr(&b[0], &b[1], &n, "reach") < 0)
        goto done;
    if (b[2].b.len < n) {
        PyErr_SetString(PyExc_ValueError, "reach: offsets and blocked disagree on the node count");
        goto done;
    }
    if (root_list(roots, n, &rootv, &nroots, "reach") < 0) goto done;
    seen = PyByteArray_FromStringAndSize(NULL, n);
    stack = (int32_t *)PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (seen == NULL || stack == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    {
        const uint64_t *off = (const uint64_t *)b[0].b.buf;
        const uint32_t *tgt = (const uint32_t *)b[1].b.buf;
        const char *blocked = (const char *)b[2].b.buf;
        char *sn = PyByteArray_AS_STRING(seen);
        memset(sn, 0, (size_t)n);
        for (i = 0; i < nroots; i++) {
            int32_t r = rootv[i];
            if (!sn[r] && !blocked[r]) {
                sn[r] = 1;
                stack[top++] = r; /* each node is pushed once: n slots suffice */
            }
        }
        while (top > 0) {
            int32_t v = stack[--top];
            uint64_t e;
            for (e = off[v]; e < off[v + 1]; e++) {
                uint32_t x = tgt[e];
                if ((Py_ssize_t)x >= n || sn[x] || blocked[x]) continue;
                sn[x] = 1;
                stack[top++] = (int32_t)x;
            }
        }
    }
    result = seen;
    seen = NULL;
done:
    PyMem_RawFree(stack);
    PyMem_RawFree(rootv);
    Py_XDECREF(seen);
    release(b, 3);
    return result;
}

/* --------------------------------------------------------------- signatures */

/* A hash set of signature keys (parent sig, masked label text, type name),
 * all three small ints, interned to consecutive ids. */
typedef struct {
    int32_t *keys; /* 3 per id */
    Py_ssize_t count, cap_keys;
    int32_t *slots; /* id + 1, 0: empty */
    Py_ssize_t mask;
} sigtab;

static uint64_t
key_hash(int32_t p, int32_t l, int32_t t)
{
    uint64_t h = (uint64_t)(uint32_t)p * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uint32_t)l * 0xC2B2AE3D27D4EB4FULL + (h >> 29);
    h ^= (uint64_t)(uint32_t)t * 0x165667B19E3779F9ULL + (h >> 31);
    return h ^ (h >> 32);
}

static int
tab_rehash(sigtab *s, Py_ssize_t want)
{
    Py_ssize_t cap = 64, i;
    while (cap < 2 * want) cap *= 2;
    PyMem_RawFree(s->slots);
    s->slots = PyMem_RawCalloc((size_t)cap, sizeof(int32_t));
    if (s->slots == NULL) return -1;
    s->mask = cap - 1;
    for (i = 0; i < s->count; i++) {
        int32_t *k = s->keys + 3 * i;
        uint64_t h = key_hash(k[0], k[1], k[2]) & (uint64_t)s->mask;
        while (s->slots[h]) h = (h + 1) & (uint64_t)s->mask;
        s->slots[h] = (int32_t)(i + 1);
    }
    return 0;
}

/* The id of the key, interned if new; -1 on memory error. */
static int32_t
tab_intern(sigtab *s, int32_t p, int32_t l, int32_t t)
{
    uint64_t h = key_hash(p, l, t) & (uint64_t)s->mask;
    int32_t slot;
    while ((slot = s->slots[h]) != 0) {
        int32_t *k = s->keys + 3 * (slot - 1);
        if (k[0] == p && k[1] == l && k[2] == t) return slot - 1;
        h = (h + 1) & (uint64_t)s->mask;
    }
    if (s->count >= INT32_MAX - 1) return -1;
    if (s->count == s->cap_keys) {
        Py_ssize_t cap = s->cap_keys * 2 + 64;
        int32_t *k = PyMem_RawRealloc(s->keys, (size_t)cap * 3 * sizeof(int32_t));
        if (k == NULL) return -1;
        s->keys = k;
        s->cap_keys = cap;
    }
    s->keys[3 * s->count] = p;
    s->keys[3 * s->count + 1] = l;
    s->keys[3 * s->count + 2] = t;
    s->count++;
    if (2 * s->count > s->mask) {
        if (tab_rehash(s, s->count) < 0) return -1;
    } else {
        s->slots[h] = (int32_t)s->count;
    }
    return (int32_t)(s->count - 1);
}

PyDoc_STRVAR(signatures_doc,
"signatures(nodes, memo, parent, parent_edge, labels, types, masked, masked_ns,\n"
"           dict_label, type_gid, keys, out, need, unreach, label_names, star)\n"
"           -> bytes\n\n"
"The path signature id of each node in `nodes` (uint32), written into out\n"
"(int32). A signature is (signature of the BFS parent, masked label of the\n"
"edge into the node, global type id), interned in `keys` (int32 triples,\n"
"the ids so far); the new triples come back as bytes. memo (int32 per node,\n"
"-1: unknown) must hold the signatures of the roots; a node no root\n"
"reaches gets unreach[its type] (int32 per type). memo is filled in along the way. masked and masked_ns map a\n"
"label id to its masked text id (the _ns form after a .__dict__ edge); a\n"
"-1 there is a label the caller has not masked yet: then nothing is\n"
"computed (memo marks the nodes checked with -2), `need` (one byte per label) gets bit 1 (plain) or 2 (_ns) for\n"
"every such label met, and None is returned: mask them and call again.\n"
"Labels a big heap has by the million, one per item ([1234], and outside\n"
"namespace dicts ['u1234']), are masked here to the text id `star` ([*]),\n"
"as leakhunt.analysis.signatures._mask does. Twin:\n"
"leakhunt.analysis.signatures._Side.signature_ids' Python loop.");

/* Whether a label is one _mask turns into [*] here: [digits], or (plain
 * only) a quoted key of ASCII letters, digits, _ and - with a digit in it. */
static int
star_label(PyObject *name, int ns)
{
    Py_ssize_t len, i;
    const char *s;
    int digit = 0, alpha_only = 1, nonempty = 0;
    if (!PyUnicode_Check(name) || !PyUnicode_IS_ASCII(name)) return 0;
    s = (const char *)PyUnicode_DATA(name);
    len = PyUnicode_GET_LENGTH(name);
    if (len < 3 || s[0] != '[' || s[len - 1] != ']') return 0;
    for (i = 1; i < len - 1 && s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (i == len - 1) return 1;
    if (ns || len < 5 || s[1] != '\'' || s[len - 2] != '\'') return 0;
    for (i = 2; i < len - 2; i++) {
        char c = s[i];
        if (c == '_' || c == '-') continue;
        nonempty = 1;
        if (c >= '0' && c <= '9') {
            digit = 1;
            alpha_only = 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return 0;
        }
    }
    return nonempty && digit && !alpha_only;
}

static PyObject *
signatures(PyObject *self, PyObject *args)
{
    PyObject *o[13], *names;
    buf b[13] = {{{0}}};
    Py_ssize_t dict_label, star, n, k, nl, nt, i, missing = 0;
    sigtab tab = {0};
    int32_t *chain = NULL;
    Py_ssize_t chain_cap = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOOOnOOOOOO!n:signatures", &o[0], &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6], &o[7], &dict_label, &o[8], &o[9], &o[10], &o[11], &o[12],
                          &PyTuple_Type, &names, &star))
        return NULL;
    if (get_buf(o[0], &b[0], 0, 4, "signatures") < 0 || get_buf(o[1], &b[1], 1, 4, "signatures") < 0 ||
        get_buf(o[2], &b[2], 0, 4, "signatures") < 0 || get_buf(o[3], &b[3], 0, 8, "signatures") < 0 ||
        get_buf(o[4], &b[4], 0, 4, "signatures") < 0 || get_buf(o[5], &b[5], 0, 4, "signatures") < 0 ||
        get_buf(o[6], &b[6], 1, 4, "signatures") < 0 || get_buf(o[7], &b[7], 1, 4, "signatures") < 0 ||
        get_buf(o[8], &b[8], 0, 4, "signatures") < 0 || get_buf(o[9], &b[9], 0, 4, "signatures") < 0 ||
        get_buf(o[10], &b[10], 1, 4, "signatures") < 0 || get_buf(o[11], &b[11], 1, 1, "signatures") < 0 ||
        get_buf(o[12], &b[12], 0, 4, "signatures") < 0)
        goto done;
    n = LEN(b[1], 4);
    k = LEN(b[0], 4);
    nl = LEN(b[6], 4);
    nt = LEN(b[8], 4);
    if (LEN(b[2], 4) != n || LEN(b[3], 8) != n || LEN(b[5], 4) != n || LEN(b[7], 4) != nl ||
        b[11].b.len != nl || LEN(b[10], 4) != k || LEN(b[9], 4) % 3 || LEN(b[12], 4) != nt ||
        PyTuple_GET_SIZE(names) != nl) {
        PyErr_SetString(PyExc_ValueError, "signatures: buffers of the wrong size");
        goto done;
    }
    {
        const uint32_t *nodes = (const uint32_t *)b[0].b.buf;
        int32_t *memo = (int32_t *)b[1].b.buf;
        const int32_t *parent = (const int32_t *)b[2].b.buf;
        const int64_t *pedge = (const int64_t *)b[3].b.buf;
        const uint32_t *labels = (const uint32_t *)b[4].b.buf;
        const uint32_t *types = (const uint32_t *)b[5].b.buf;
        int32_t *masked = (int32_t *)b[6].b.buf, *masked_ns = (int32_t *)b[7].b.buf;
        const int32_t *gid = (const int32_t *)b[8].b.buf;
        int32_t *out = (int32_t *)b[10].b.buf;
        unsigned char *need = (unsigned char *)b[11].b.buf;
        const int32_t *unreach = (const int32_t *)b[12].b.buf;
        Py_ssize_t nedges = LEN(b[4], 4), base;
        tab.count = tab.cap_keys = LEN(b[9], 4) / 3;
        tab.keys = PyMem_RawMalloc((size_t)(tab.count ? tab.count : 1) * 3 * sizeof(int32_t));
        if (tab.keys == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (tab.count) memcpy(tab.keys, b[9].b.buf, (size_t)tab.count * 3 * sizeof(int32_t));
        if (tab_rehash(&tab, tab.count + 64) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        base = tab.count;
        /* Pass 1: every label on the unknown part of a path must be masked. */
        for (i = 0; i < k; i++) {
            uint32_t v = nodes[i];
            if (v >= (uint32_t)n) {
                PyErr_SetString(PyExc_ValueError, "signatures: node out of range");
                goto done;
            }
            while (memo[v] == -1) {
                int64_t e = pedge[v];
                int32_t u;
                if (e < 0) { /* roots have their memo: no root reaches v */
                    if (types[v] >= (uint32_t)nt || unreach[types[v]] < 0) {
                        PyErr_SetString(PyExc_ValueError, "signatures: no unreachable signature");
                        goto done;
                    }
                    memo[v] = unreach[types[v]];
                    break;
                }
                if (e >= nedges) {
                    PyErr_SetString(PyExc_ValueError, "signatures: edge out of range");
                    goto done;
                }
                u = parent[v];
                if (u < 0 || u >= n) {
                    PyErr_SetString(PyExc_ValueError, "signatures: parent out of range");
                    goto done;
                }
                {
                    uint32_t lab = labels[e];
                    int64_t pe = pedge[u];
                    int ns = pe >= 0 && pe < nedges && labels[pe] == (uint32_t)dict_label;
                    if (lab >= (uint32_t)nl) {
                        PyErr_SetString(PyExc_ValueError, "signatures: label out of range");
                        goto done;
                    }
                    int32_t *m = ns ? masked_ns : masked;
                    if (m[lab] < 0 && star_label(PyTuple_GET_ITEM(names, lab), ns)) m[lab] = (int32_t)star;
                    if (m[lab] < 0) {
                        need[lab] |= ns ? 2 : 1;
                        missing++;
                    }
                }
                /* -2: checked; a chain shared by many targets is checked once */
                memo[v] = -2;
                v = (uint32_t)u;
            }
        }
        if (missing) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        /* Pass 2: up to the nearest known signature, then down, interning. */
        for (i = 0; i < k; i++) {
            uint32_t v = nodes[i];
            Py_ssize_t depth = 0;
            int32_t sig;
            while (memo[v] < 0) {
                if (depth == chain_cap) {
                    Py_ssize_t cap = chain_cap * 2 + 64;
                    int32_t *c = PyMem_RawRealloc(chain, (size_t)cap * sizeof(int32_t));
                    if (c == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    chain = c;
                    chain_cap = cap;
                }
                chain[depth++] = (int32_t)v;
                v = (uint32_t)parent[v];
            }
            sig = memo[v];
            while (depth > 0) {
                int32_t w = chain[--depth], u = parent[w];
                uint32_t lab = labels[pedge[w]];
                int64_t pe = pedge[u];
                int ns = pe >= 0 && labels[pe] == (uint32_t)dict_label;
                uint32_t t = types[w];
                if (t >= (uint32_t)nt) {
                    PyErr_SetString(PyExc_ValueError, "signatures: type out of range");
                    goto done;
                }
                sig = tab_intern(&tab, sig, ns ? masked_ns[lab] : masked[lab], gid[t]);
                if (sig < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
                memo[w] = sig;
            }
            out[i] = sig;
        }
        result = PyBytes_FromStringAndSize((const char *)(tab.keys + 3 * base),
                                           (tab.count - base) * 3 * (Py_ssize_t)sizeof(int32_t));
    }
done:
    PyMem_RawFree(chain);
    PyMem_RawFree(tab.keys);
    PyMem_RawFree(tab.slots);
    release(b, 13);
    return result;
}

/* -------------------------------------------------------------------- tally */

PyDoc_STRVAR(tally_doc,
"tally(sigs, nodes, sizes, counts, totals)\n\n"
"For each signature id s in sigs (int32, one per node in `nodes`, uint32):\n"
"counts[s] += 1 and totals[s] += sizes[node] (int64 and uint64 buffers\n"
"with one entry per signature id). Twin: a Counter and a loop in\n"
"leakhunt.analysis.growth.");

static PyObject *
tally(PyObject *self, PyObject *args)
{
    PyObject *o[5];
    buf b[5] = {{{0}}};
    Py_ssize_t k, n, ns, i;
    if (!PyArg_ParseTuple(args, "OOOOO:tally", &o[0], &o[1], &o[2], &o[3], &o[4])) return NULL;
    if (get_buf(o[0], &b[0], 0, 4, "tally") < 0 || get_buf(o[1], &b[1], 0, 4, "tally") < 0 ||
        get_buf(o[2], &b[2], 0, 8, "tally") < 0 || get_buf(o[3], &b[3], 1, 8, "tally") < 0 ||
        get_buf(o[4], &b[4], 1, 8, "tally") < 0)
        goto fail;
    k = LEN(b[0], 4);
    n = LEN(b[2], 8);
    ns = LEN(b[3], 8);
    if (LEN(b[1], 4) != k || LEN(b[4], 8) != ns) {
        PyErr_SetString(PyExc_ValueError, "tally: buffers of the wrong size");
        goto fail;
    }
    {
        const int32_t *sigs = (const int32_t *)b[0].b.buf;
        const uint32_t *nodes = (const uint32_t *)b[1].b.buf;
        const uint64_t *sizes = (const uint64_t *)b[2].b.buf;
        int64_t *counts = (int64_t *)b[3].b.buf;
        uint64_t *totals = (uint64_t *)b[4].b.buf;
        for (i = 0; i < k; i++) {
            int32_t s = sigs[i];
            if (s < 0 || s >= ns || nodes[i] >= (uint32_t)n) {
                PyErr_SetString(PyExc_ValueError, "tally: index out of range");
                goto fail;
            }
            counts[s]++;
            totals[s] += sizes[nodes[i]];
        }
    }
    release(b, 5);
    Py_RETURN_NONE;
fail:
    release(b, 5);
    return NULL;
}

/* ------------------------------------------------------------------ by_type */

PyDoc_STRVAR(by_type_doc,
"by_type(types, codes, ngroups, want) -> tuple of bytes\n\n"
"The nodes of each group of types, in node order: codes maps a type index\n"
"to its group (int32, -1: none); the result holds one uint32 array's bytes\n"
"per group, and want (one byte per node) gets 1 for every node picked.\n"
"Twin: leakhunt.analysis.signatures._targets' Python loop.");

static PyObject *
by_type(PyObject *self, PyObject *args)
{
    PyObject *o[3], *result = NULL;
    buf b[3] = {{{0}}};
    Py_ssize_t ngroups, n, nt, i, *count = NULL, *pos = NULL;
    if (!PyArg_ParseTuple(args, "OOnO:by_type", &o[0], &o[1], &ngroups, &o[2])) return NULL;
    if (get_buf(o[0], &b[0], 0, 4, "by_type") < 0 || get_buf(o[1], &b[1], 0, 4, "by_type") < 0 ||
        get_buf(o[2], &b[2], 1, 1, "by_type") < 0)
        goto done;
    n = LEN(b[0], 4);
    nt = LEN(b[1], 4);
    if (b[2].b.len != n || ngroups < 0) {
        PyErr_SetString(PyExc_ValueError, "by_type: buffers of the wrong size");
        goto done;
    }
    count = PyMem_RawCalloc((size_t)ngroups + 1, sizeof(Py_ssize_t));
    pos = PyMem_RawCalloc((size_t)ngroups + 1, sizeof(Py_ssize_t));
    result = PyTuple_New(ngroups);
    if (!count || !pos || !result) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        Py_CLEAR(result);
        goto done;
    }
    {
        const uint32_t *types = (const uint32_t *)b[0].b.buf;
        const int32_t *codes = (const int32_t *)b[1].b.buf;
        char *want = (char *)b[2].b.buf;
        for (i = 0; i < nt; i++)
            if (codes[i] >= ngroups) {
                PyErr_SetString(PyExc_ValueError, "by_type: a code past the groups");
                Py_CLEAR(result);
                goto done;
            }
        for (i = 0; i < n; i++) {
            int32_t c = types[i] < (uint32_t)nt ? codes[types[i]] : -1;
            if (c >= 0) count[c]++;
        }
        for (i = 0; i < ngroups; i++) {
            PyObject *g = PyBytes_FromStringAndSize(NULL, count[i] * 4);
            if (g == NULL) {
                Py_CLEAR(result);
                goto done;
            }
            PyTuple_SET_ITEM(result, i, g);
        }
        for (i = 0; i < n; i++) {
            int32_t c = types[i] < (uint32_t)nt ? codes[types[i]] : -1;
            if (c >= 0) {
                ((uint32_t *)PyBytes_AS_STRING(PyTuple_GET_ITEM(result, c)))[pos[c]++] = (uint32_t)i;
                want[i] = 1;
            }
        }
    }
done:
    PyMem_RawFree(count);
    PyMem_RawFree(pos);
    release(b, 3);
    return result;
}

PyDoc_STRVAR(upper_doc,
"upper(buffer, itemsize) -> int\n\n"
"The largest unsigned item (itemsize 4 or 8) of a buffer, -1 when empty:\n"
"HeapGraph's range checks without a Python int per item. Twin: max().");

static PyObject *
upper(PyObject *self, PyObject *args)
{
    PyObject *o;
    Py_ssize_t size, i, n;
    buf b = {{0}};
    uint64_t top = 0;
    if (!PyArg_ParseTuple(args, "On:upper", &o, &size)) return NULL;
    if (size != 4 && size != 8) {
        PyErr_SetString(PyExc_ValueError, "upper: itemsize must be 4 or 8");
        return NULL;
    }
    if (get_buf(o, &b, 0, size, "upper") < 0) {
        release(&b, 1);
        return NULL;
    }
    n = b.b.len / size;
    if (size == 4)
        for (i = 0; i < n; i++) {
            uint32_t x = ((const uint32_t *)b.b.buf)[i];
            if (x > top) top = x;
        }
    else
        for (i = 0; i < n; i++) {
            uint64_t x = ((const uint64_t *)b.b.buf)[i];
            if (x > top) top = x;
        }
    release(&b, 1);
    if (n == 0) return PyLong_FromLong(-1);
    return PyLong_FromUnsignedLongLong(top);
}

/* -------------------------------------------------------------------- churn */

PyDoc_STRVAR(churn_doc,
"churn(ids_a, sizes_a, nodes_a, ids_b, sizes_b, nodes_b, fresh) -> (new, deleted, new_bytes, deleted_bytes)\n\n"
"Objects of one type new in B and deleted since A, told apart by (address,\n"
"size): a B node whose id and size no A node of the list had is new; an A\n"
"node matched by no B node is deleted. fresh (one byte per B node) gets 1\n"
"for each new node. Twin: leakhunt.analysis.diff._churn_py.");

static PyObject *
churn(PyObject *self, PyObject *args)
{
    PyObject *o[7];
    buf b[7] = {{{0}}};
    Py_ssize_t na, nb, ka, kb, i, cap = 16, kept = 0;
    uint64_t *slot_id = NULL, *slot_size = NULL, new_bytes = 0, kept_bytes = 0, all_a = 0;
    char *used = NULL;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOO:churn", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6]))
        return NULL;
    if (get_buf(o[0], &b[0], 0, 8, "churn") < 0 || get_buf(o[1], &b[1], 0, 8, "churn") < 0 ||
        get_buf(o[2], &b[2], 0, 4, "churn") < 0 || get_buf(o[3], &b[3], 0, 8, "churn") < 0 ||
        get_buf(o[4], &b[4], 0, 8, "churn") < 0 || get_buf(o[5], &b[5], 0, 4, "churn") < 0 ||
        get_buf(o[6], &b[6], 1, 1, "churn") < 0)
        goto done;
    na = LEN(b[0], 8);
    nb = LEN(b[3], 8);
    ka = LEN(b[2], 4);
    kb = LEN(b[5], 4);
    if (LEN(b[1], 8) != na || LEN(b[4], 8) != nb || b[6].b.len != nb) {
        PyErr_SetString(PyExc_ValueError, "churn: buffers of the wrong size");
        goto done;
    }
    while (cap < 2 * ka + 16) cap *= 2;
    slot_id = PyMem_RawMalloc((size_t)cap * 8);
    slot_size = PyMem_RawMalloc((size_t)cap * 8);
    used = PyMem_RawCalloc((size_t)cap, 1); /* 0 empty, 1 unmatched, 2 matched */
    if (!slot_id || !slot_size || !used) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const uint64_t *ida = (const uint64_t *)b[0].b.buf, *sza = (const uint64_t *)b[1].b.buf;
        const uint64_t *idb = (const uint64_t *)b[3].b.buf, *szb = (const uint64_t *)b[4].b.buf;
        const uint32_t *nda = (const uint32_t *)b[2].b.buf, *ndb = (const uint32_t *)b[5].b.buf;
        char *fresh = (char *)b[6].b.buf;
        uint64_t mask = (uint64_t)cap - 1;
        for (i = 0; i < ka; i++) {
            uint32_t v = nda[i];
            uint64_t id, h;
            if (v >= (uint32_t)na) {
                PyErr_SetString(PyExc_ValueError, "churn: node out of range");
                goto done;
            }
            id = ida[v];
            all_a += sza[v];
            h = (id * 0x9E3779B97F4A7C15ULL) >> 17 & mask;
            while (used[h] && !(slot_id[h] == id && slot_size[h] == sza[v])) h = (h + 1) & mask;
            /* ids are unique in one snapshot: a repeat (a hand-built graph)
             * counts once */
            used[h] = 1;
            slot_id[h] = id;
            slot_size[h] = sza[v];
        }
        for (i = 0; i < kb; i++) {
            uint32_t v = ndb[i];
            uint64_t id, h;
            if (v >= (uint32_t)nb) {
                PyErr_SetString(PyExc_ValueError, "churn: node out of range");
                goto done;
            }
            id = idb[v];
            h = (id * 0x9E3779B97F4A7C15ULL) >> 17 & mask;
            while (used[h] && !(slot_id[h] == id && slot_size[h] == szb[v])) h = (h + 1) & mask;
            if (used[h] == 1) {
                used[h] = 2;
                kept++;
                kept_bytes += szb[v];
            } else {
                fresh[v] = 1;
                new_bytes += szb[v];
            }
        }
        {
            Py_ssize_t distinct_a = 0;
            for (i = 0; i < cap; i++) distinct_a += used[i] != 0;
            result = Py_BuildValue("nnKK", kb - kept, distinct_a - kept, (unsigned long long)new_bytes,
                                   (unsigned long long)(all_a >= kept_bytes ? all_a - kept_bytes : 0));
        }
    }
done:
    PyMem_RawFree(slot_id);
    PyMem_RawFree(slot_size);
    PyMem_RawFree(used);
    release(b, 7);
    return result;
}

/* --------------------------------------------------------------------- pick */

PyDoc_STRVAR(pick_doc,
"pick(sigs, nodes, flags) -> (bytes, bytes)\n\n"
"The entries of sigs (int32) and nodes (uint32, one per sig) whose\n"
"signature is flagged (flags: one byte per signature id), in order, as the\n"
"bytes of an int32 and a uint32 array. Twin: itertools.compress in\n"
"leakhunt.analysis.signatures._members.");

static PyObject *
pick(PyObject *self, PyObject *args)
{
    PyObject *o[3], *rs = NULL, *rn = NULL, *result = NULL;
    buf b[3] = {{{0}}};
    Py_ssize_t k, nf, i, j = 0, count = 0;
    if (!PyArg_ParseTuple(args, "OOO:pick", &o[0], &o[1], &o[2])) return NULL;
    if (get_buf(o[0], &b[0], 0, 4, "pick") < 0 || get_buf(o[1], &b[1], 0, 4, "pick") < 0 ||
        get_buf(o[2], &b[2], 0, 1, "pick") < 0)
        goto done;
    k = LEN(b[0], 4);
    nf = b[2].b.len;
    if (LEN(b[1], 4) != k) {
        PyErr_SetString(PyExc_ValueError, "pick: one node per signature");
        goto done;
    }
    {
        const int32_t *sigs = (const int32_t *)b[0].b.buf;
        const uint32_t *nodes = (const uint32_t *)b[1].b.buf;
        const char *flags = (const char *)b[2].b.buf;
        for (i = 0; i < k; i++) {
            if (sigs[i] < 0 || sigs[i] >= nf) {
                PyErr_SetString(PyExc_ValueError, "pick: signature out of range");
                goto done;
            }
            count += flags[sigs[i]] != 0;
        }
        rs = PyBytes_FromStringAndSize(NULL, count * 4);
        rn = PyBytes_FromStringAndSize(NULL, count * 4);
        if (rs == NULL || rn == NULL) goto done;
        for (i = 0; i < k; i++)
            if (flags[sigs[i]]) {
                ((int32_t *)PyBytes_AS_STRING(rs))[j] = sigs[i];
                ((uint32_t *)PyBytes_AS_STRING(rn))[j] = nodes[i];
                j++;
            }
    }
    result = PyTuple_Pack(2, rs, rn);
done:
    Py_XDECREF(rs);
    Py_XDECREF(rn);
    release(b, 3);
    return result;
}

/* ---------------------------------------------------------------- lost_size */

PyDoc_STRVAR(lost_size_doc,
"lost_size(live, after, sizes) -> int\n\n"
"The summed sizes (uint64) of the nodes flagged in live and not in after\n"
"(one byte per node each). Twin: the XOR of two big ints in\n"
"leakhunt.analysis.dominators.retained_size_of.");

static PyObject *
lost_size(PyObject *self, PyObject *args)
{
    PyObject *o[3];
    buf b[3] = {{{0}}};
    Py_ssize_t n, i;
    uint64_t total = 0;
    if (!PyArg_ParseTuple(args, "OOO:lost_size", &o[0], &o[1], &o[2])) return NULL;
    if (get_buf(o[0], &b[0], 0, 1, "lost_size") < 0 || get_buf(o[1], &b[1], 0, 1, "lost_size") < 0 ||
        get_buf(o[2], &b[2], 0, 8, "lost_size") < 0)
        goto fail;
    n = LEN(b[2], 8);
    if (b[0].b.len != n || b[1].b.len != n) {
        PyErr_SetString(PyExc_ValueError, "lost_size: one flag per node");
        goto fail;
    }
    {
        const char *live = (const char *)b[0].b.buf, *after = (const char *)b[1].b.buf;
        const uint64_t *sizes = (const uint64_t *)b[2].b.buf;
        for (i = 0; i < n; i++)
            if (live[i] && !after[i]) total += sizes[i];
    }
    release(b, 3);
    return PyLong_FromUnsignedLongLong((unsigned long long)total);
fail:
    release(b, 3);
    return NULL;
}

static PyMethodDef methods[] = {
    {"lost_size", lost_size, METH_VARARGS, lost_size_doc},
    {"pick", pick, METH_VARARGS, pick_doc},
    {"churn", churn, METH_VARARGS, churn_doc},
    {"upper", upper, METH_VARARGS, upper_doc},
    {"bfs", bfs, METH_VARARGS, bfs_doc},
    {"by_type", by_type, METH_VARARGS, by_type_doc},
    {"dominators", dominators, METH_VARARGS, dominators_doc},
    {"reach", reach, METH_VARARGS, reach_doc},
    {"retained", retained, METH_VARARGS, retained_doc},
    {"reverse", reverse, METH_VARARGS, reverse_doc},
    {"signatures", signatures, METH_VARARGS, signatures_doc},
    {"tally", tally, METH_VARARGS, tally_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "leakhunt.analysis._graphalgo",
    "Compiled graph algorithms over a HeapGraph's CSR arrays (twins in leakhunt.analysis).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__graphalgo(void)
{
    return PyModule_Create(&module);
}
