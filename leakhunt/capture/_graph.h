/*
 * leakhunt._walker, graph mode: the object graph behind "why is it alive".
 *
 * Past the usual ~500 lines on purpose: one label per kind of reference
 * (frames, closures, slots, dict items, every builtin container) is what
 * makes a path readable; each is a short static function.
 *
 * Included by _walker.c (one translation unit). The same walk as the
 * histogram, with every counted object a node and every reference an edge
 * carrying a label people understand: .attr, ['key'], [3], <key>,
 * .__closure__ cell 'x', frame f local 'x', .__self__, .__func__,
 * .__traceback__, .tb_frame...
 *
 * Two passes (issue 10: bounded memory). Pass 1 walks as the histogram
 * does and sets a bit for every object it meets (heapbits: one bit per 8
 * bytes of address space, per 4 KiB page that holds an object); the bits
 * are its visited set, and it marks the namespace dicts (.__dict__
 * targets) whose keys are names. Pass 2 visits the marked objects in
 * address order: a node's number is its bit's rank, known for every edge
 * target at once, so each node's record and edges go out in final order
 * (CSR, no sort), into memory (a HeapGraph) or into the zlib streams a
 * snapshot file stores (never uncompressed). Both passes run graph_node,
 * so they meet the same objects; pass 1 skips the labels it can.
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

/* Pages of the process's own, grown without a copy where mremap exists;
 * no Python API (the graph's compressing thread uses them: _graph.h). */
static void *
raw_grow(void *p, size_t old_bytes, size_t new_bytes)
{
#ifdef LH_MMAP
    void *q = p == NULL ? mmap(NULL, new_bytes, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                        : mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
#else
    (void)old_bytes;
    return PyMem_RawRealloc(p, new_bytes);
#endif
}

static void
raw_free(void *p, size_t bytes)
{
    if (p == NULL) return;
#ifdef LH_MMAP
    munmap(p, bytes);
#else
    (void)bytes;
    PyMem_RawFree(p);
#endif
}

/* raw_grow, told to tracemalloc (the caller holds the GIL) */
static void *
big_realloc(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q = raw_grow(p, old_bytes, new_bytes);
#ifdef LH_MMAP
    if (q == NULL) return NULL;
    if (p != NULL) (void)PyTraceMalloc_Untrack(LH_TRACE_DOMAIN, (uintptr_t)p);
    (void)PyTraceMalloc_Track(LH_TRACE_DOMAIN, (uintptr_t)q, new_bytes);
#endif
    return q;
}

static void
big_free(void *p, size_t bytes)
{
#ifdef LH_MMAP
    if (p != NULL) (void)PyTraceMalloc_Untrack(LH_TRACE_DOMAIN, (uintptr_t)p);
#endif
    raw_free(p, bytes);
}

typedef struct {
    PyObject *ptr;
    uint32_t label;
    int done; /* 1: already emitted as an explicit edge; 2: named a reference */
} lh_cand;

/* ------------------------------------------- the heap's bits: who is a node
 *
 * One bit per 8 bytes of address space, in blocks of one 4 KiB page each,
 * made for the pages that hold a node: pass 1 sets the bit of every object
 * the walk meets (the visited set), pass 2 numbers the nodes in address
 * order, so an object's node number is its bit's rank: the rank of the
 * block's first bit (set once pass 1 is done) plus a popcount within it.
 * No per-object table exists at all: a heap whose objects fill its pages
 * needs about 2 bytes per object (144 bytes per page of 4 KiB, plus the
 * directory), where a map of addresses to numbers needed 16 to 32. A
 * second bit per slot marks the namespace dicts (see graph_node). */

typedef struct {
    uint64_t mark[8];
    uint64_t ns[8];
    uintptr_t page;  /* address >> 12 */
    uint64_t base;   /* node number of the block's first object (pass 2) */
} hb_block;

typedef struct {
    hb_block *blocks;
    size_t nblocks, cap;
    uintptr_t *dkeys; /* directory: page -> 1 + block index (open addressing) */
    uint32_t *dvals;
    size_t dmask;
    uintptr_t last_page; /* the block looked up last (0: none) */
    hb_block *last;
    Py_ssize_t n;     /* marked objects (pass 2: nodes) */
} heapbits;

static inline size_t
hb_hash(uintptr_t page)
{
    /* runs of 16 pages keep consecutive slots, the runs are scattered */
    return (size_t)((page >> 4) * (uintptr_t)0x9E3779B97F4A7C15ULL + (page & 15));
}

static int
hb_grow_dir(heapbits *h)
{
    size_t newn = h->dmask ? (h->dmask + 1) * 2 : 4096, i;
    uintptr_t *nk = (uintptr_t *)PyMem_RawCalloc(newn, sizeof(uintptr_t));
    uint32_t *nv = (uint32_t *)PyMem_RawCalloc(newn, sizeof(uint32_t));
    if (nk == NULL || nv == NULL) {
        PyMem_RawFree(nk);
        PyMem_RawFree(nv);
        return -1;
    }
    for (i = 0; h->dmask && i <= h->dmask; i++) {
        if (h->dvals[i]) {
            size_t j = hb_hash(h->dkeys[i]) & (newn - 1);
            while (nv[j]) j = (j + 1) & (newn - 1);
            nk[j] = h->dkeys[i];
            nv[j] = h->dvals[i];
        }
    }
    PyMem_RawFree(h->dkeys);
    PyMem_RawFree(h->dvals);
    h->dkeys = nk;
    h->dvals = nv;
    h->dmask = newn - 1;
    return 0;
}

/* The block of `page`, made when `make`; NULL when there is none (or, with
 * `make`, on memory error) */
static inline hb_block *
hb_block_of(heapbits *h, uintptr_t page, int make)
{
    size_t j;
    if (page == h->last_page && h->last != NULL) return h->last;
    if (h->dmask == 0) {
        if (!make) return NULL;
        if (hb_grow_dir(h) < 0) return NULL;
    }
    j = hb_hash(page) & h->dmask;
    while (h->dvals[j]) {
        if (h->dkeys[j] == page) {
            h->last_page = page;
            return (h->last = &h->blocks[h->dvals[j] - 1]);
        }
        j = (j + 1) & h->dmask;
    }
    if (!make) return NULL;
    if (h->nblocks == h->cap) {
        size_t nc = h->cap ? h->cap + h->cap / 4 : 4096;
        void *p = big_realloc(h->blocks, h->cap * sizeof(hb_block), nc * sizeof(hb_block));
        if (p == NULL) return NULL;
        h->blocks = (hb_block *)p;
        h->cap = nc;
    }
    if ((h->nblocks + 1) * 2 > h->dmask + 1) {
        if (hb_grow_dir(h) < 0) return NULL;
        j = hb_hash(page) & h->dmask;
        while (h->dvals[j]) j = (j + 1) & h->dmask;
    }
    if (h->nblocks >= 0xFFFFFFFFu) return NULL;
    memset(&h->blocks[h->nblocks], 0, sizeof(hb_block));
    h->blocks[h->nblocks].page = page;
    h->dkeys[j] = page;
    h->dvals[j] = (uint32_t)++h->nblocks;
    h->last_page = page;
    return (h->last = &h->blocks[h->nblocks - 1]);
}

#define HB_PAGE(o) ((uintptr_t)(o) >> 12)
#define HB_BIT(o) (((uintptr_t)(o) >> 3) & 511)

/* Set o's bit (ns: its namespace bit): 1 if it was clear, 0 if set
 * already, -1 on memory error */
static inline int
hb_set(heapbits *h, const void *o, int ns)
{
    hb_block *b = hb_block_of(h, HB_PAGE(o), 1);
    unsigned bit = (unsigned)HB_BIT(o);
    uint64_t m = (uint64_t)1 << (bit & 63), *words;
    if (b == NULL) return -1;
    words = ns ? b->ns : b->mark;
    if (words[bit >> 6] & m) return 0;
    words[bit >> 6] |= m;
    if (!ns) h->n++;
    return 1;
}
#define hb_mark(h, o) hb_set((h), (o), 0)
#define hb_mark_ns(h, o) hb_set((h), (o), 1)

static inline int
hb_is_ns(heapbits *h, const void *o)
{
    hb_block *b = hb_block_of(h, HB_PAGE(o), 0);
    unsigned bit = (unsigned)HB_BIT(o);
    return b != NULL && (b->ns[bit >> 6] >> (bit & 63)) & 1;
}

#if defined(__GNUC__) || defined(__clang__)
#define hb_popcount(x) ((unsigned)__builtin_popcountll(x))
#define hb_ctz(x) ((unsigned)__builtin_ctzll(x))
#else
static inline unsigned
hb_ctz(uint64_t x)
{
    unsigned n = 0;
    while (!(x & 1)) { x >>= 1; n++; }
    return n;
}
static inline unsigned
hb_popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}
#endif

/* o's node number (pass 2), or -1 when the walk did not meet o */
static inline int64_t
hb_rank(heapbits *h, const void *o)
{
    hb_block *b = hb_block_of(h, HB_PAGE(o), 0);
    unsigned bit = (unsigned)HB_BIT(o), k, word = bit >> 6;
    uint64_t r;
    if (b == NULL || !((b->mark[word] >> (bit & 63)) & 1)) return -1;
    r = b->base;
    for (k = 0; k < word; k++) r += hb_popcount(b->mark[k]);
    return (int64_t)(r + hb_popcount(b->mark[word] & (((uint64_t)1 << (bit & 63)) - 1)));
}

static int
hb_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const hb_block *)a)->page, y = ((const hb_block *)b)->page;
    return x < y ? -1 : x > y;
}

/* After pass 1: the blocks in address order, each with the number of its
 * first node, and the directory made again for their new places. */
static int
hb_finish(heapbits *h)
{
    size_t i, j;
    uint64_t base = 0;
    if (h->nblocks == 0) return 0;
    qsort(h->blocks, h->nblocks, sizeof(hb_block), hb_cmp);
    memset(h->dvals, 0, (h->dmask + 1) * sizeof(uint32_t));
    for (i = 0; i < h->nblocks; i++) {
        hb_block *b = &h->blocks[i];
        int k;
        b->base = base;
        for (k = 0; k < 8; k++) base += hb_popcount(b->mark[k]);
        j = hb_hash(b->page) & h->dmask;
        while (h->dvals[j]) j = (j + 1) & h->dmask;
        h->dkeys[j] = b->page;
        h->dvals[j] = (uint32_t)(i + 1);
    }
    h->last = NULL;
    h->last_page = 0;
    return base == (uint64_t)h->n ? 0 : -1;
}

static void
hb_free(heapbits *h)
{
    big_free(h->blocks, h->cap * sizeof(hb_block));
    PyMem_RawFree(h->dkeys);
    PyMem_RawFree(h->dvals);
    memset(h, 0, sizeof(*h));
}

/* ------------------------------------------- where nodes and edges go
 *
 * Pass 2 meets the nodes in their final order, each with its edges, whose
 * targets already have their final numbers: every array is written front
 * to back, once. Into memory (a HeapGraph for why() and hunt), or, for a
 * snapshot file, into one zlib stream per array as the file stores it
 * (graph_section: little-endian, offsets and targets as differences): the
 * graph never exists uncompressed, only a stream's last 256 KiB do. */

enum { ZA_IDS, ZA_TYPES, ZA_SIZES, ZA_LENGTHS, ZA_OFFSETS, ZA_TARGETS, ZA_LABELS, ZA_COUNT };
static const char *const za_names[ZA_COUNT] = {"ids", "types", "sizes", "lengths",
                                               "offsets", "targets", "labels"};
static const int za_item[ZA_COUNT] = {8, 4, 8, 4, 8, 4, 4};
static const int za_delta[ZA_COUNT] = {0, 0, 0, 0, 1, 1, 0};
#define ZA_STAGE (256 * 1024)

/* With zlib on Linux, one plain thread compresses while the walk goes on
 * (it touches no Python object and never needs the GIL, which the walk
 * keeps): each array has two buffers, one filled by the walk while the
 * other is compressed. Elsewhere the walk compresses each buffer itself. */
#if defined(LH_HAVE_ZLIB) && defined(__linux__)
#include <pthread.h>
#define LH_ZTHREAD 1
#endif

struct zworker_s;

typedef struct {
    unsigned char *stage; /* raw bytes not yet compressed, filled by the walk */
    size_t staged;
    unsigned char *busy;  /* raw bytes the thread compresses (pending) */
    size_t busy_len;
    int pending;
    unsigned char *out;   /* the compressed stream so far */
    size_t out_len, out_cap;
    uint64_t prev;        /* last value, for differences */
    Py_ssize_t count;
    struct zworker_s *wk; /* NULL: compressed by the walk itself */
#ifdef LH_HAVE_ZLIB
    z_stream z;
    int z_ready;
#endif
} zarray;

#ifdef LH_HAVE_ZLIB
/* Compress len bytes at buf into a's stream: no Python API (any thread). */
static int
za_deflate(zarray *a, unsigned char *buf, size_t len, int flush)
{
    z_stream *z = &a->z;
    int r;
    z->next_in = buf;
    z->avail_in = (uInt)len;
    do {
        if (a->out_cap - a->out_len < 65536) {
            size_t nc = a->out_cap ? a->out_cap * 2 : 1 << 20;
            void *p = raw_grow(a->out, a->out_cap, nc);
            if (p == NULL) return -1;
            a->out = (unsigned char *)p;
            a->out_cap = nc;
        }
        z->next_out = a->out + a->out_len;
        z->avail_out = (uInt)(a->out_cap - a->out_len);
        r = deflate(z, flush);
        if (r == Z_STREAM_ERROR) return -1;
        a->out_len = a->out_cap - z->avail_out;
    } while (z->avail_in > 0 || (flush == Z_FINISH && r != Z_STREAM_END));
    return 0;
}
#endif

#ifdef LH_ZTHREAD
typedef struct zworker_s {
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    int queue[ZA_COUNT]; /* arrays with a buffer to compress, in order */
    int qhead, qlen;
    int stop, failed;
    zarray *za;
} zworker;

static void *
zworker_main(void *arg)
{
    zworker *wk = (zworker *)arg;
    pthread_mutex_lock(&wk->mu);
    for (;;) {
        int k, r;
        while (wk->qlen == 0 && !wk->stop) pthread_cond_wait(&wk->work, &wk->mu);
        if (wk->qlen == 0) break;
        k = wk->queue[wk->qhead];
        wk->qhead = (wk->qhead + 1) % ZA_COUNT;
        wk->qlen--;
        pthread_mutex_unlock(&wk->mu);
        r = za_deflate(&wk->za[k], wk->za[k].busy, wk->za[k].busy_len, Z_NO_FLUSH);
        pthread_mutex_lock(&wk->mu);
        if (r < 0) wk->failed = 1;
        wk->za[k].pending = 0;
        pthread_cond_broadcast(&wk->done);
    }
    pthread_mutex_unlock(&wk->mu);
    return NULL;
}

/* Start the thread; 0 without one (the walk then compresses itself). */
static int
zworker_start(zworker *wk, zarray *za)
{
    int k;
    memset(wk, 0, sizeof(*wk));
    wk->za = za;
    for (k = 0; k < ZA_COUNT; k++) {
        za[k].busy = (unsigned char *)PyMem_RawMalloc(ZA_STAGE);
        if (za[k].busy == NULL) return -1;
    }
    if (pthread_mutex_init(&wk->mu, NULL) != 0) return 0;
    if (pthread_cond_init(&wk->work, NULL) != 0 || pthread_cond_init(&wk->done, NULL) != 0 ||
        pthread_create(&wk->th, NULL, zworker_main, wk) != 0)
        return 0; /* no thread: not an error */
    wk->started = 1;
    for (k = 0; k < ZA_COUNT; k++) za[k].wk = wk;
    return 0;
}

/* Wait for every buffer handed over, then end the thread. -1 if one
 * failed to compress. */
static int
zworker_stop(zworker *wk)
{
    int failed;
    if (!wk->started) return 0;
    pthread_mutex_lock(&wk->mu);
    wk->stop = 1;
    pthread_cond_broadcast(&wk->work);
    pthread_mutex_unlock(&wk->mu);
    pthread_join(wk->th, NULL);
    failed = wk->failed;
    pthread_cond_destroy(&wk->work);
    pthread_cond_destroy(&wk->done);
    pthread_mutex_destroy(&wk->mu);
    wk->started = 0;
    return failed ? -1 : 0;
}

/* The full stage goes to the thread, once its last one is compressed. */
static int
za_hand_off(zarray *a, int k)
{
    zworker *wk = a->wk;
    unsigned char *t;
    pthread_mutex_lock(&wk->mu);
    while (a->pending && !wk->failed) pthread_cond_wait(&wk->done, &wk->mu);
    if (wk->failed) {
        pthread_mutex_unlock(&wk->mu);
        return -1;
    }
    t = a->busy;
    a->busy = a->stage;
    a->busy_len = a->staged;
    a->stage = t;
    a->staged = 0;
    a->pending = 1;
    wk->queue[(wk->qhead + wk->qlen) % ZA_COUNT] = k;
    wk->qlen++;
    pthread_cond_signal(&wk->work);
    pthread_mutex_unlock(&wk->mu);
    return 0;
}
#endif

static int
za_flush_stage(zarray *a, int k)
{
    (void)k;
#ifdef LH_ZTHREAD
    if (a->wk != NULL) return za_hand_off(a, k);
#endif
#ifdef LH_HAVE_ZLIB
    if (za_deflate(a, a->stage, a->staged, Z_NO_FLUSH) < 0) return -1;
#endif
    a->staged = 0;
    return 0;
}

static inline int
za_push(zarray *a, int k, uint64_t v)
{
    unsigned char *p;
    if (za_delta[k]) {
        uint64_t d = v - a->prev;
        a->prev = v;
        v = d;
    }
    if (a->staged + 8 > ZA_STAGE && za_flush_stage(a, k) < 0) return -1;
    p = a->stage + a->staged;
    if (za_item[k] == 8) {
        p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
        p[4] = (unsigned char)(v >> 32); p[5] = (unsigned char)(v >> 40);
        p[6] = (unsigned char)(v >> 48); p[7] = (unsigned char)(v >> 56);
    }
    else {
        p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
    }
    a->staged += (size_t)za_item[k];
    a->count++;
    return 0;
}

/* The rest of the array into its stream, which ends (after the thread
 * has stopped). */
static int
za_finish(zarray *a)
{
#ifdef LH_HAVE_ZLIB
    return za_deflate(a, a->stage, a->staged, Z_FINISH);
#else
    (void)a;
    return -1;
#endif
}

static void
za_free(zarray *a)
{
#ifdef LH_HAVE_ZLIB
    if (a->z_ready) deflateEnd(&a->z);
    a->z_ready = 0;
#endif
    PyMem_RawFree(a->stage);
    PyMem_RawFree(a->busy);
    raw_free(a->out, a->out_cap);
    a->stage = a->busy = a->out = NULL;
    a->out_cap = a->out_len = 0;
}

struct graphbuf_s {
    int pass;          /* 1: mark every object; 2: number and emit them */
    heapbits bits;     /* pass 1's marks, pass 2's node numbers */
    int in_local;      /* pass 1: the node is a threading.local */
    Py_ssize_t dropped; /* pass 2: edges to objects that are no node */
    /* nodes, into memory (a HeapGraph) */
    uint64_t *ids;
    uint32_t *types;
    uint32_t *sizes;   /* widened to 64 bits when handed over */
    uint32_t *lengths;
    uint32_t *offsets; /* n + 1; widened when handed over */
    Py_ssize_t n, cap; /* cap: the nodes pass 1 marked */
    /* edges, into memory */
    uint32_t *targets;
    uint32_t *labels;
    Py_ssize_t e, ecap;
    /* or every array into its zlib stream (a snapshot file) */
    int packed;
    zarray za[ZA_COUNT];
#ifdef LH_ZTHREAD
    zworker zw;        /* compresses while the walk goes on */
#endif
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
 * every mode: pass 1 marks the targets of every .__dict__ edge, pass 2
 * names their keys (graph_node). At most LH_MAX_NAMED_LABELS distinct key and
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


/* ------------------------------------------------------- nodes and edges */

static int g_add_node(walker *w, PyObject *o, Py_ssize_t size);

/* What the walk counts as a container: processed by graph_node, which
 * reports its references; anything else is a leaf with no edges. */
static inline int
g_is_container(PyObject *o)
{
    return is_tracked(o) || PyObject_IS_GC(o) || PyDict_Check(o) || PyCode_Check(o);
}

/* reach() in graph mode. Pass 1: every object must become a node, so no
 * reference-count shortcut: its bit is set, and a container is pushed to
 * be processed (graph_node) for what it references. Pass 2 meets every
 * object in address order, so nothing is reached through an edge. */
static int
g_reach(walker *w, PyObject *child)
{
    size_t slot = ((uintptr_t)child >> 4) & 4095;
    int added;
    if (w->g->pass == 2) return 0;
    if (w->recent[slot] == (uintptr_t)child) return 0;
    /* frames made objects for the walk are not tracked; ours are excluded */
    if (PyFrame_Check(child) && ptrmap_find(&w->excluded, child) >= 0) return 0;
    added = hb_mark(&w->g->bits, child);
    if (added < 0) { w->failed = 1; return -1; }
    w->recent[slot] = (uintptr_t)child;
    if (!added) return 0;
    w->n_untracked++;
    if (g_is_container(child) && stack_push(&w->stack, child) < 0) { w->failed = 1; return -1; }
    return 0;
}

/* Pass 2: node o, the next in address order, goes to the arrays. */
static int
g_add_node(walker *w, PyObject *o, Py_ssize_t size)
{
    graphbuf *g = w->g;
    typeent *e = type_entry(w, Py_TYPE(o));
    Py_ssize_t len = 0;
    uint64_t sz = size < 0 ? 0 : (uint64_t)size;
    if (e == NULL) return -1;
    if (e->gid == 0) {
        if (PyList_Append(g->type_list, (PyObject *)e->tp) < 0) return -1;
        e->gid = PyList_GET_SIZE(g->type_list); /* 1-based; 0 = unassigned */
    }
    if (g->n >= g->cap) { /* the walk numbered more than pass 1 marked */
        PyErr_SetString(PyExc_SystemError, "leakhunt: graph walk passes disagree on the nodes");
        return -1;
    }
    if (PyList_Check(o)) len = PyList_GET_SIZE(o);
    else if (PyTuple_Check(o)) len = PyTuple_GET_SIZE(o);
    else if (PyDict_Check(o)) len = PyDict_GET_SIZE(o);
    else if (PyAnySet_Check(o)) len = PySet_GET_SIZE(o);
    else if (PyByteArray_Check(o)) len = PyByteArray_GET_SIZE(o);
    if (len > 0xFFFFFFFFLL) len = 0xFFFFFFFFLL;
    if (g->packed) {
        zarray *z = g->za;
        if (za_push(&z[ZA_IDS], ZA_IDS, (uint64_t)(uintptr_t)o) < 0 ||
            za_push(&z[ZA_TYPES], ZA_TYPES, (uint64_t)(e->gid - 1)) < 0 ||
            za_push(&z[ZA_SIZES], ZA_SIZES, sz) < 0 ||
            za_push(&z[ZA_LENGTHS], ZA_LENGTHS, (uint64_t)len) < 0)
            return -1;
    }
    else {
        g->ids[g->n] = (uint64_t)(uintptr_t)o;
        g->types[g->n] = (uint32_t)(e->gid - 1);
        g->sizes[g->n] = sz > 0xFFFFFFFFULL ? 0xFFFFFFFFU : (uint32_t)sz;
        g->lengths[g->n] = (uint32_t)len;
    }
    g->n++;
    return 0;
}

/* An edge from the node being processed. Pass 1 records none: it only
 * marks the namespace dicts (the targets of .__dict__ edges, and what a
 * threading.local holds: its per-thread dicts, directly or one dict
 * below). Pass 2 buffers it with its target's node number. */
static int
g_edge(walker *w, PyObject *child, int64_t label)
{
    graphbuf *g = w->g;
    int64_t target;
    if (label < 0) return -1;
    if (g->pass == 1) {
        if ((uint32_t)label == g->lbl_dict && hb_mark_ns(&g->bits, child) < 0) return -1;
        if (g->in_local) {
            if (hb_mark_ns(&g->bits, child) < 0) return -1;
            if (PyDict_CheckExact(child)) {
                Py_ssize_t pos = 0;
                PyObject *k, *v;
                while (PyDict_Next(child, &pos, &k, &v))
                    if (hb_mark_ns(&g->bits, v) < 0 || hb_mark_ns(&g->bits, k) < 0) return -1;
            }
        }
        return 0;
    }
    target = hb_rank(&g->bits, child);
    if (target < 0) {
        /* a tracked object outside the gc's lists, which are the walk's
         * nodes: gc.freeze()'s permanent generation (3.12 freezes a few
         * hundred objects of its static types at startup). Not a node, so
         * no edge, as gc.get_objects() does not list it either. */
        g->dropped++;
        return 0;
    }
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
    g->tmp_t[g->tn] = (uint32_t)target;
    g->tmp_l[g->tn] = (uint32_t)label;
    g->tn++;
    return 0;
}

/* A reference from the node being processed: reach the child if it is
 * untracked (pass 1), then the edge. */
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

/* The node's buffered edges go out after it (pass 2). */
static int
g_flush(walker *w)
{
    graphbuf *g = w->g;
    Py_ssize_t i;
    if (g->pass == 1) {
        g->tn = 0;
        return 0;
    }
    if (g->packed) {
        zarray *z = g->za;
        for (i = 0; i < g->tn; i++) {
            if (za_push(&z[ZA_TARGETS], ZA_TARGETS, g->tmp_t[i]) < 0 ||
                za_push(&z[ZA_LABELS], ZA_LABELS, g->tmp_l[i]) < 0)
                return -1;
        }
        g->e += g->tn;
        if (za_push(&z[ZA_OFFSETS], ZA_OFFSETS, (uint64_t)g->e) < 0) return -1;
    }
    else {
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
        memcpy(g->targets + g->e, g->tmp_t, (size_t)g->tn * sizeof(uint32_t));
        memcpy(g->labels + g->e, g->tmp_l, (size_t)g->tn * sizeof(uint32_t));
        g->e += g->tn;
        g->offsets[g->n] = (uint32_t)g->e;
    }
    g->tn = 0;
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
    Py_ssize_t size, i;
    traverseproc tr = Py_TYPE(o)->tp_traverse;
    int64_t fb;
    if (g->pass == 1) {
        if (hb_mark(&g->bits, o) < 0) return -1;
        g->in_local = Py_TYPE(o) == lh_local_type;
    }
    else if (count_object(w, o, &size) < 0 || g_add_node(w, o, size) < 0) {
        return -1;
    }
    g->ncand = 0;
    g->tn = 0;

    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PyList_Check(o) ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
        for (i = 0; i < n; i++) {
            PyObject *item = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            if (g_emit(w, item, g->pass == 1 ? 0 : g_label_index(g, i)) < 0) return -1;
        }
        if (PyTuple_CheckExact(o) || PyList_CheckExact(o)) return g_flush(w);
        for (i = 0; i < n; i++) {
            PyObject *item = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            if (cand_add(g, item, 0) < 0) return -1;
            if (g->ncand) g->cand[g->ncand - 1].done = 1;
        }
    }
    else if (PyDict_Check(o)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        /* Identifier-shaped str keys of namespace dicts are names (see
         * g_label_key); pass 1 marked the namespaces. */
        int ns = g->pass == 2 && g->keys_mode != LH_KEYS_ALL && hb_is_ns(&g->bits, o);
        while (PyDict_Next(o, &pos, &k, &v)) {
            int64_t label = 0;
            if (g->pass == 2) {
                label = g_label_key(w, k);
                if (ns && label >= 0 && lh_name_shaped(k)) {
                    typeent *st = type_entry(w, &PyUnicode_Type);
                    if (st == NULL) return -1;
                    if (st->keylabel && label == (int64_t)st->keylabel - 1)
                        label = g_key_text_label(w, k);
                }
            }
            if (g_emit(w, v, label) < 0 || g_emit(w, k, g->lbl_key) < 0) return -1;
        }
        if (PyDict_CheckExact(o)) return g_flush(w);
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
        return g_flush(w);
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
    return g_flush(w);
}

static void
graphbuf_free(graphbuf *g)
{
    int k;
    hb_free(&g->bits);
    big_free(g->ids, (size_t)g->cap * sizeof(uint64_t));
    big_free(g->types, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->sizes, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->lengths, (size_t)g->cap * sizeof(uint32_t));
    big_free(g->offsets, (size_t)(g->cap + 1) * sizeof(uint32_t));
    big_free(g->targets, (size_t)g->ecap * sizeof(uint32_t));
    big_free(g->labels, (size_t)g->ecap * sizeof(uint32_t));
    g->ids = NULL;
    g->types = g->sizes = g->lengths = g->offsets = g->targets = g->labels = NULL;
#ifdef LH_ZTHREAD
    (void)zworker_stop(&g->zw); /* before its buffers go */
#endif
    for (k = 0; k < ZA_COUNT; k++) za_free(&g->za[k]);
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

/* After pass 1: room for the n nodes it marked, in memory or as streams. */
static int
g_sink_start(graphbuf *g)
{
    Py_ssize_t n = g->bits.n;
    int k;
    g->cap = n > 0 ? n : 1; /* the arrays' size (a node too many is caught) */
    n = g->cap;
    if (g->packed) {
#ifdef LH_HAVE_ZLIB
        for (k = 0; k < ZA_COUNT; k++) {
            zarray *a = &g->za[k];
            a->stage = (unsigned char *)PyMem_RawMalloc(ZA_STAGE);
            if (a->stage == NULL) return -1;
            /* level 1: what graph_section used (3x faster than 6, ~10% bigger) */
            if (deflateInit(&a->z, 1) != Z_OK) return -1;
            a->z_ready = 1;
        }
#ifdef LH_ZTHREAD
        if (zworker_start(&g->zw, g->za) < 0) return -1;
#endif
        return za_push(&g->za[ZA_OFFSETS], ZA_OFFSETS, 0);
#else
        (void)k;
        return -1;
#endif
    }
    (void)k;
    g->ids = (uint64_t *)big_realloc(NULL, 0, (size_t)n * sizeof(uint64_t));
    g->types = (uint32_t *)big_realloc(NULL, 0, (size_t)n * sizeof(uint32_t));
    g->sizes = (uint32_t *)big_realloc(NULL, 0, (size_t)n * sizeof(uint32_t));
    g->lengths = (uint32_t *)big_realloc(NULL, 0, (size_t)n * sizeof(uint32_t));
    g->offsets = (uint32_t *)big_realloc(NULL, 0, (size_t)(n + 1) * sizeof(uint32_t));
    if (!g->ids || !g->types || !g->sizes || !g->lengths || !g->offsets) return -1;
    g->offsets[0] = 0;
    return 0;
}

/* Pass 2: every marked object in address order, numbered as it comes. */
static int
g_emit_all(walker *w)
{
    graphbuf *g = w->g;
    heapbits *h = &g->bits;
    size_t b;
    for (b = 0; b < h->nblocks; b++) {
        int k;
        for (k = 0; k < 8; k++) {
            uint64_t m = h->blocks[b].mark[k];
            while (m) {
                unsigned bit = (unsigned)(k * 64) + hb_ctz(m);
                PyObject *o = (PyObject *)((h->blocks[b].page << 12) | ((uintptr_t)bit << 3));
                m &= m - 1;
                if (g_is_container(o)) {
                    if (graph_node(w, o) < 0) return -1;
                }
                else {
                    Py_ssize_t size;
                    g->tn = 0;
                    if (count_object(w, o, &size) < 0 || g_add_node(w, o, size) < 0 ||
                        g_flush(w) < 0)
                        return -1;
                }
                if (w->failed) return -1;
            }
        }
    }
    return 0;
}

/* The streams, finished, as {name: (count, bytes)}; each freed once its
 * bytes exist. */
static PyObject *
g_sink_packed(graphbuf *g)
{
    PyObject *d;
    int k;
#ifdef LH_ZTHREAD
    if (zworker_stop(&g->zw) < 0) return PyErr_NoMemory();
#endif
    d = PyDict_New();
    if (d == NULL) return NULL;
    for (k = 0; k < ZA_COUNT; k++) {
        zarray *a = &g->za[k];
        PyObject *item;
        if (za_finish(a) < 0) { Py_DECREF(d); return PyErr_NoMemory(); }
        item = Py_BuildValue("(ny#)", a->count, (const char *)a->out, (Py_ssize_t)a->out_len);
        za_free(a);
        if (item == NULL || PyDict_SetItemString(d, za_names[k], item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(item);
    }
    return d;
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
