/* groupby.c - split-apply-combine with a combiner: a hash table of groups per rank holding
 * mergeable partial aggregates (count, compensated sum, mean and M2, min, max, first, last), a
 * shuffle of those partials (not rows) to the rank that owns each key, merge, finish; median and
 * nunique, which no partial summarizes, ship their values (nunique: distinct ones); and sorting. */
#include "mpikit/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Partial aggregate of one column in one group; two of them merge exactly as if their rows
 * had been aggregated together (Chan et al. for mean and M2). */
typedef struct {
    double n, sum, comp, mean, m2, min, max;
    double first, last, ifirst, ilast; /* the values of the first and last global rows */
} moments;

/* Add the value x of global row `row`; mean and M2 (a division each) only when a std or var
 * needs them. */
static void moments_add(moments *m, double x, double row, int spread, int order)
{
    if (order && (m->n == 0 || row < m->ifirst)) { /* first/last: only when asked (cheaper) */
        m->first = x;
        m->ifirst = row;
    }
    if (order && (m->n == 0 || row > m->ilast)) {
        m->last = x;
        m->ilast = row;
    }
    m->n += 1;
    double t = m->sum + x; /* Neumaier: the low bits lost by the sum go to comp */
    m->comp += fabs(m->sum) >= fabs(x) ? (m->sum - t) + x : (x - t) + m->sum;
    m->sum = t;
    if (spread) {
        double d = x - m->mean;
        m->mean += d / m->n;
        m->m2 += d * (x - m->mean);
    }
    if (m->n == 1 || x < m->min)
        m->min = x;
    if (m->n == 1 || x > m->max)
        m->max = x;
}

static void moments_merge(moments *a, const moments *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double n = a->n + b->n, d = b->mean - a->mean;
    double t = a->sum + b->sum;
    a->comp += (fabs(a->sum) >= fabs(b->sum) ? (a->sum - t) + b->sum : (b->sum - t) + a->sum) + b->comp;
    a->sum = t;
    a->m2 += b->m2 + d * d * a->n * b->n / n;
    a->mean += d * b->n / n;
    if (b->ifirst < a->ifirst) {
        a->first = b->first;
        a->ifirst = b->ifirst;
    }
    if (b->ilast > a->ilast) {
        a->last = b->last;
        a->ilast = b->ilast;
    }
    a->min = b->min < a->min ? b->min : a->min;
    a->max = b->max > a->max ? b->max : a->max;
    a->n = n;
}

/* The compensated sum; once an inf is in, the compensation is inf - inf (NaN): the sum alone. */
static double moments_sum(const moments *m)
{
    return isfinite(m->sum) ? m->sum + m->comp : m->sum;
}

static double moments_result(const moments *m, mk_agg_kind kind)
{
    switch (kind) {
    case MK_AGG_SUM:
        return moments_sum(m);
    case MK_AGG_MEAN:
        return m->n > 0 ? moments_sum(m) / m->n : NAN;
    case MK_AGG_COUNT:
        return m->n;
    case MK_AGG_MIN:
        return m->n > 0 ? m->min : NAN;
    case MK_AGG_MAX:
        return m->n > 0 ? m->max : NAN;
    case MK_AGG_VAR:
        return m->n > 1 ? m->m2 / (m->n - 1) : NAN;
    case MK_AGG_STD:
        return m->n > 1 ? sqrt(m->m2 / (m->n - 1)) : NAN;
    case MK_AGG_FIRST:
        return m->n > 0 ? m->first : NAN;
    case MK_AGG_LAST:
        return m->n > 0 ? m->last : NAN;
    case MK_AGG_MEDIAN:
    case MK_AGG_NUNIQUE:
        break; /* from the values (see values_result) */
    }
    return NAN;
}

/* The values of one column in one group, for the aggregations no partial summarizes (median,
 * nunique): they travel to the key's owner (nunique's distinct values only). */
typedef struct {
    double *v;
    size_t n, cap;
} values;

/* Append n doubles from x (any alignment: received bytes). */
static int values_push(values *vs, const void *x, size_t n)
{
    if (n == 0)
        return 0;   /* nothing to copy, and vs->v may still be NULL */
    if (vs->n + n > vs->cap) {
        size_t cap = vs->cap ? vs->cap : 8;
        while (cap < vs->n + n)
            cap *= 2;
        double *p = realloc(vs->v, cap * sizeof *p);
        if (p == NULL)
            return -1;
        vs->v = p;
        vs->cap = cap;
    }
    memcpy(vs->v + vs->n, x, n * sizeof(double));
    vs->n += n;
    return 0;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Sort the values and keep one of each (-0 equals 0): nunique's combiner and its result. */
static void values_unique(values *vs)
{
    if (vs->n == 0)
        return;   /* a group whose values are all missing has no array: qsort must not see NULL */
    qsort(vs->v, vs->n, sizeof *vs->v, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < vs->n; i++)
        if (k == 0 || vs->v[i] != vs->v[k - 1])
            vs->v[k++] = vs->v[i];
    vs->n = k;
}

/* median (the mean of the two middle values when even, as pandas) or nunique. */
static double values_result(values *vs, mk_agg_kind kind)
{
    if (kind == MK_AGG_NUNIQUE) {
        values_unique(vs);
        return (double)vs->n;
    }
    if (vs->n == 0)
        return NAN;
    qsort(vs->v, vs->n, sizeof *vs->v, cmp_double);
    size_t h = vs->n / 2;
    return vs->n % 2 ? vs->v[h] : (vs->v[h - 1] + vs->v[h]) / 2; /* numpy's arithmetic */
}

static int holistic(mk_agg_kind kind)
{
    return kind == MK_AGG_MEDIAN || kind == MK_AGG_NUNIQUE;
}

/* ---- the table of groups ---- */

/* A group's key is the tuple of its key columns packed into bytes: per column a number (8
 * bytes, -0 made 0) or a text (its bytes and the NUL that ends it). Equal tuples pack equal, so
 * hashing and comparing are on bytes whatever the key types. */
typedef struct {
    int nkeys, naggs;
    int keycols[MK_FRAME_MAX_COLS];
    int text[MK_FRAME_MAX_COLS]; /* key k is text */
    size_t ngroups, gcap, nslots; /* nslots: a power of two, at least twice ngroups */
    uint32_t *slots;              /* group index + 1, 0 = empty */
    uint64_t *hash;
    const char **key; /* packed keys (copies in `store`) */
    size_t *klen;
    moments *m;       /* ngroups x naggs */
    values *vals;     /* ngroups x naggs; used by median and nunique only */
    int any_values;   /* an aggregation needs values */
    const mk_agg *aggs;
    mk_frame store;   /* only its arena is used */
    char *scratch;    /* the key of the current row */
    size_t scap;
} groups;

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33; /* splitmix64 finalizer */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix(h);
}

static void groups_init(groups *g, const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs,
                        int naggs)
{
    memset(g, 0, sizeof *g);
    g->nkeys = nkeys;
    g->naggs = naggs;
    g->aggs = aggs;
    for (int a = 0; a < naggs; a++)
        g->any_values |= holistic(aggs[a].kind);
    for (int k = 0; k < nkeys; k++) {
        g->keycols[k] = keycols[k];
        g->text[k] = mk_frame_is_text(f, keycols[k]);
    }
}

static void groups_free(groups *g)
{
    free(g->slots);
    free(g->hash);
    free((void *)g->key);
    free(g->klen);
    free(g->m);
    for (size_t i = 0; g->vals != NULL && i < g->ngroups * (size_t)g->naggs; i++)
        free(g->vals[i].v);
    free(g->vals);
    free(g->scratch);
    mk_frame_free(&g->store);
}

static int groups_grow(groups *g)
{
    size_t gcap = g->gcap ? g->gcap * 2 : 64;
    uint64_t *h = realloc(g->hash, gcap * sizeof *h);
    if (h != NULL)
        g->hash = h;
    const char **key = realloc((void *)g->key, gcap * sizeof *key);
    if (key != NULL)
        g->key = key;
    size_t *klen = realloc(g->klen, gcap * sizeof *klen);
    if (klen != NULL)
        g->klen = klen;
    moments *m = realloc(g->m, gcap * (size_t)(g->naggs ? g->naggs : 1) * sizeof *m);
    if (m != NULL)
        g->m = m;
    values *vals = g->any_values ? realloc(g->vals, gcap * (size_t)(g->naggs ? g->naggs : 1) * sizeof *vals) : NULL;
    if (vals != NULL)
        g->vals = vals;
    if (!h || !key || !klen || !m || (g->any_values && !vals))
        return -1;
    g->gcap = gcap;
    size_t nslots = gcap * 2;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < g->ngroups; i++) {
        size_t s = g->hash[i] & (nslots - 1);
        while (slots[s] != 0)
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = nslots;
    return 0;
}

/* The group of a packed key (created with empty moments when new); -1 when out of memory. */
static long groups_find(groups *g, uint64_t h, const char *key, size_t len)
{
    if (g->nslots > 0) {
        for (size_t s = h & (g->nslots - 1); g->slots[s] != 0; s = (s + 1) & (g->nslots - 1)) {
            size_t i = g->slots[s] - 1;
            if (g->hash[i] == h && g->klen[i] == len && memcmp(g->key[i], key, len) == 0)
                return (long)i;
        }
    }
    if (g->ngroups == g->gcap && (g->ngroups >= 0x7fffffff || groups_grow(g) != 0))
        return -1;
    size_t i = g->ngroups++;
    g->hash[i] = h;
    g->klen[i] = len;
    if ((g->key[i] = mk_frame_strndup(&g->store, key, len)) == NULL)
        return -1;
    memset(&g->m[i * (size_t)g->naggs], 0, (size_t)g->naggs * sizeof(moments));
    if (g->any_values)
        memset(&g->vals[i * (size_t)g->naggs], 0, (size_t)g->naggs * sizeof(values));
    size_t s = h & (g->nslots - 1);
    while (g->slots[s] != 0)
        s = (s + 1) & (g->nslots - 1);
    g->slots[s] = (uint32_t)(i + 1);
    return (long)i;
}

/* Room for `need` bytes of key in g->scratch; -1 when out of memory. */
static int scratch_room(groups *g, size_t need)
{
    if (need <= g->scap)
        return 0;
    size_t cap = need * 2 > 256 ? need * 2 : 256;
    char *p = realloc(g->scratch, cap);
    if (p == NULL)
        return -1;
    g->scratch = p;
    g->scap = cap;
    return 0;
}

/* Pack row r's key into g->scratch and hash it in the same pass (*hash = hash_bytes of the
 * packed bytes): its length, 0 when a key is missing (the row is dropped, as
 * groupby(dropna=True)), (size_t)-1 when out of memory. */
static size_t pack_key(groups *g, const mk_frame *f, uint64_t r, uint64_t *hash)
{
    size_t len = 0;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int k = 0; k < g->nkeys; k++) {
        int c = g->keycols[k];
        if (g->text[k]) {
            const char *s = f->strs[c][r];
            if (s == NULL)
                return 0;
            for (size_t i = 0;; i++) { /* the text and its NUL: copy, hash, find the end at once */
                if (len == g->scap && scratch_room(g, len + 1) != 0)
                    return (size_t)-1;
                g->scratch[len++] = s[i];
                h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
                if (s[i] == '\0')
                    break;
            }
        } else {
            double v = f->cols[c][r];
            if (isnan(v))
                return 0;
            if (v == 0)
                v = 0.0; /* -0 and 0 are one group */
            if (scratch_room(g, len + sizeof v) != 0)
                return (size_t)-1;
            memcpy(g->scratch + len, &v, sizeof v);
            for (size_t i = 0; i < sizeof v; i++)
                h = (h ^ (unsigned char)g->scratch[len + i]) * 0x100000001b3ULL;
            len += sizeof v;
        }
    }
    *hash = mix(h);
    return len;
}

/* Every row of f (global rows row0, row0 + 1, ...) with a key into g. */
static int groups_add_rows(groups *g, const mk_frame *f, uint64_t row0, const mk_agg *aggs, int naggs, mk_err *err)
{
    for (uint64_t r = 0; r < f->nrows; r++) {
        uint64_t h = 0;
        size_t len = pack_key(g, f, r, &h);
        if (len == 0)
            continue;
        /* (the analyzer loses that scratch_room stored its buffer in g->scratch) */
        long gi = len == (size_t)-1 ? -1 : groups_find(g, h, g->scratch, len); // NOLINT(clang-analyzer-unix.Malloc)
        if (gi < 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby (or over 2^31 groups)");
        moments *m = &g->m[(size_t)gi * (size_t)naggs];
        for (int a = 0; a < naggs; a++) {
            int c = aggs[a].col;
            if (c < 0)
                m[a].n += 1;
            else if (mk_frame_is_text(f, c))
                m[a].n += f->strs[c][r] != NULL;
            else if (!isnan(f->cols[c][r])) {
                moments_add(&m[a], f->cols[c][r], (double)(row0 + r),
                            aggs[a].kind == MK_AGG_STD || aggs[a].kind == MK_AGG_VAR,
                            aggs[a].kind == MK_AGG_FIRST || aggs[a].kind == MK_AGG_LAST);
                if (holistic(aggs[a].kind) &&
                    values_push(&g->vals[(size_t)gi * (size_t)naggs + (size_t)a], &f->cols[c][r], 1) != 0)
                    return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby");
            }
        }
    }
    return 0;
}

/* The columns of a groupby result (first the keys, then the aggregations), of nrows rows. */
static int add_result_columns(const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs, int naggs,
                              uint64_t nrows, mk_frame *out, mk_err *err)
{
    memset(out, 0, sizeof *out);
    out->nrows = nrows;
    for (int k = 0; k < nkeys; k++) {
        const char *name = f->names[keycols[k]];
        if (mk_frame_find(out, name) >= 0)
            return mk_err_set(err, MK_EXIT_USAGE, "--groupby: column '%s' named twice", name);
        if ((mk_frame_is_text(f, keycols[k]) ? mk_frame_add_text_column(out, name, err)
                                              : mk_frame_add_column(out, name, err)) < 0)
            return -1;
    }
    for (int a = 0; a < naggs; a++) {
        if (mk_frame_find(out, aggs[a].name) >= 0)
            return mk_err_set(err, MK_EXIT_USAGE, "aggregation '%s' has a key's name", aggs[a].name);
        if (mk_frame_add_column(out, aggs[a].name, err) < 0)
            return -1;
    }
    return 0;
}

int mk_groupby_columns(const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs, int naggs,
                       mk_frame *out, mk_err *err)
{
    if (add_result_columns(f, keycols, nkeys, aggs, naggs, 0, out, err) != 0) {
        mk_frame_free(out);
        return -1;
    }
    return 0;
}

/* The groups as a frame: key columns, then one column per aggregation; sorted by the keys. */
static int groups_finish(const groups *g, const mk_frame *f, const mk_agg *aggs, int naggs, mk_frame *out,
                         mk_err *err)
{
    if (add_result_columns(f, g->keycols, g->nkeys, aggs, naggs, g->ngroups, out, err) != 0) {
        mk_frame_free(out);
        return -1;
    }
    for (size_t i = 0; i < g->ngroups; i++) {
        const char *p = g->key[i];
        for (int k = 0; k < g->nkeys; k++) {
            if (g->text[k]) {
                size_t n = strlen(p);
                if ((out->strs[k][i] = mk_frame_strndup(out, p, n)) == NULL) {
                    mk_frame_free(out);
                    return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby");
                }
                p += n + 1;
            } else {
                memcpy(&out->cols[k][i], p, sizeof(double));
                p += sizeof(double);
            }
        }
        for (int a = 0; a < naggs; a++) {
            size_t ga = i * (size_t)naggs + (size_t)a;
            out->cols[g->nkeys + a][i] = holistic(aggs[a].kind) ? values_result(&g->vals[ga], aggs[a].kind)
                                                                : moments_result(&g->m[ga], aggs[a].kind);
        }
    }
    int cols[MK_FRAME_MAX_COLS];
    for (int k = 0; k < g->nkeys; k++)
        cols[k] = k;
    if (mk_frame_sort_by(out, cols, g->nkeys, err) != 0) {
        mk_frame_free(out);
        return -1;
    }
    return 0;
}

int mk_groupby_local(const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs, int naggs,
                     mk_frame *out, mk_err *err)
{
    groups g;
    groups_init(&g, f, keycols, nkeys, aggs, naggs);
    memset(out, 0, sizeof *out);
    int rc = groups_add_rows(&g, f, 0, aggs, naggs, err);
    if (rc == 0)
        rc = groups_finish(&g, f, aggs, naggs, out, err);
    groups_free(&g);
    return rc;
}

/* ---- the shuffle of partial aggregates ---- */

/* Bytes of group i as it travels: the packed key's length (4 bytes) and bytes, the moments of
 * each aggregation, then for each median or nunique a count (8 bytes) and the values. */
static size_t record_size(const groups *g, size_t i)
{
    size_t n = 4 + g->klen[i] + (size_t)g->naggs * sizeof(moments);
    for (int a = 0; a < g->naggs; a++)
        if (holistic(g->aggs[a].kind))
            n += sizeof(uint64_t) + g->vals[i * (size_t)g->naggs + (size_t)a].n * sizeof(double);
    return n;
}

static char *pack_record(const groups *g, size_t i, char *p)
{
    uint32_t n = (uint32_t)g->klen[i];
    memcpy(p, &n, 4);
    memcpy(p + 4, g->key[i], n);
    p += 4 + n;
    memcpy(p, &g->m[i * (size_t)g->naggs], (size_t)g->naggs * sizeof(moments));
    p += (size_t)g->naggs * sizeof(moments);
    for (int a = 0; a < g->naggs; a++) {
        if (!holistic(g->aggs[a].kind))
            continue;
        const values *vs = &g->vals[i * (size_t)g->naggs + (size_t)a];
        uint64_t n64 = vs->n;
        memcpy(p, &n64, sizeof n64);
        if (vs->n > 0)
            memcpy(p + sizeof n64, vs->v, vs->n * sizeof(double));
        p += sizeof n64 + vs->n * sizeof(double);
    }
    return p;
}

/* Merge received records [p, end) into g. */
static int unpack_records(groups *g, const char *p, const char *end, mk_err *err)
{
    moments m[MK_FRAME_MAX_COLS];
    size_t msize = (size_t)g->naggs * sizeof(moments);
    while (p < end) {
        uint32_t n;
        memcpy(&n, p, 4);
        long gi = groups_find(g, hash_bytes(p + 4, n), p + 4, n);
        p += 4 + n;
        if (gi < 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory merging groups");
        memcpy(m, p, msize);
        p += msize;
        for (int a = 0; a < g->naggs; a++) {
            size_t ga = (size_t)gi * (size_t)g->naggs + (size_t)a;
            moments_merge(&g->m[ga], &m[a]);
            if (!holistic(g->aggs[a].kind))
                continue;
            uint64_t nv;
            memcpy(&nv, p, sizeof nv);
            values *vs = &g->vals[ga];
            if (nv > 0 && values_push(vs, p + sizeof nv, (size_t)nv) != 0)
                return mk_err_set(err, MK_EXIT_FAILURE, "out of memory merging groups");
            p += sizeof nv + (size_t)nv * sizeof(double);
        }
    }
    return 0;
}
/* nunique's combiner: a rank sends each distinct value of a group once. */
static void groups_combine_values(groups *g)
{
    for (size_t i = 0; i < g->ngroups; i++)
        for (int a = 0; a < g->naggs; a++)
            if (g->aggs[a].kind == MK_AGG_NUNIQUE)
                values_unique(&g->vals[i * (size_t)g->naggs + (size_t)a]);
}

/* The partials of g, grouped by owner rank (hash % size): a send buffer with counts and displs. */
static char *pack_by_owner(const groups *g, int size, int *scount, int *sdispl, mk_err *err)
{
    uint64_t *bytes = calloc((size_t)size, sizeof *bytes), total = 0;
    if (bytes == NULL) {
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory in the groupby shuffle");
        return NULL;
    }
    for (size_t i = 0; i < g->ngroups; i++)
        bytes[g->hash[i] % (uint64_t)size] += record_size(g, i);
    for (int r = 0; r < size; r++)
        total += bytes[r];
    char *buf = total <= 0x7fffffff ? malloc(total ? total : 1) : NULL;
    char **fill = calloc((size_t)size, sizeof *fill);
    if (buf == NULL || fill == NULL) {
        free(bytes);
        free(buf);
        free(fill);
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory (or over 2 GiB of groups) in the groupby shuffle");
        return NULL;
    }
    int off = 0;
    for (int r = 0; r < size; r++) {
        scount[r] = (int)bytes[r];
        sdispl[r] = off;
        fill[r] = buf + off;
        off += scount[r];
    }
    for (size_t i = 0; i < g->ngroups; i++) {
        int r = (int)(g->hash[i] % (uint64_t)size);
        fill[r] = pack_record(g, i, fill[r]);
    }
    free(bytes);
    free(fill);
    return buf;
}

int mk_groupby_shuffle(MPI_Comm comm, const mk_frame *local, const int *keycols, int nkeys, const mk_agg *aggs,
                       int naggs, mk_frame *out, mk_err *err)
{
    int size;
    MPI_Comm_size(comm, &size);
    memset(out, 0, sizeof *out);
    groups mine, owned;
    groups_init(&mine, local, keycols, nkeys, aggs, naggs);
    groups_init(&owned, local, keycols, nkeys, aggs, naggs);
    /* first and last need global row numbers: ranks hold consecutive rows in rank order */
    uint64_t row0 = 0, nrows = local->nrows;
    MPI_Exscan(&nrows, &row0, 1, MPI_UINT64_T, MPI_SUM, comm);
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        row0 = 0; /* MPI_Exscan leaves rank 0's result undefined */
    int *scount = calloc((size_t)size, sizeof *scount), *rcount = calloc((size_t)size, sizeof *rcount);
    int *sdispl = calloc((size_t)size, sizeof *sdispl), *rdispl = calloc((size_t)size, sizeof *rdispl);
    char *sbuf = NULL, *rbuf = NULL;
    if (!scount || !rcount || !sdispl || !rdispl)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory in the groupby shuffle");
    else if (groups_add_rows(&mine, local, row0, aggs, naggs, err) == 0)
        sbuf = (groups_combine_values(&mine), pack_by_owner(&mine, size, scount, sdispl, err));
    if (mk_err_agree(comm, err) != 0)
        goto done;
    MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, comm);
    uint64_t total = 0;
    for (int r = 0; r < size; r++) {
        rdispl[r] = (int)total;
        total += (uint64_t)rcount[r];
    }
    rbuf = total <= 0x7fffffff ? malloc(total ? total : 1) : NULL;
    if (rbuf == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory receiving the groupby shuffle");
    if (mk_err_agree(comm, err) != 0)
        goto done;
    MPI_Alltoallv(sbuf, scount, sdispl, MPI_BYTE, rbuf, rcount, rdispl, MPI_BYTE, comm);
    if (unpack_records(&owned, rbuf, rbuf + total, err) == 0)
        groups_finish(&owned, local, aggs, naggs, out, err);
    mk_err_agree(comm, err);
done:
    groups_free(&mine);
    groups_free(&owned);
    free(scount);
    free(rcount);
    free(sdispl);
    free(rdispl);
    free(sbuf);
    free(rbuf);
    return err->code != 0 ? -1 : 0;
}

/* ---- sorting ---- */

typedef struct {
    const mk_frame *f;
    const int *cols;
    int ncols;
} sort_key;

/* Total order over the sort columns in turn: numbers ascending (-0 equals 0), text by bytes
 * (Python's order of str); missing (NaN, NULL) last; then the row (a stable sort). */
static int cmp_index(const void *pa, const void *pb, void *ctx)
{
    const sort_key *k = ctx;
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    for (int i = 0; i < k->ncols; i++) {
        int col = k->cols[i], c;
        if (mk_frame_is_text(k->f, col)) {
            const char *x = k->f->strs[col][a], *y = k->f->strs[col][b];
            c = x == NULL || y == NULL ? (x == NULL) - (y == NULL) : strcmp(x, y);
        } else {
            double x = k->f->cols[col][a], y = k->f->cols[col][b];
            c = isnan(x) || isnan(y) ? isnan(x) - isnan(y) : (x > y) - (x < y);
        }
        if (c != 0)
            return c;
    }
    return (a > b) - (a < b);
}

int mk_frame_sort_by(mk_frame *f, const int *cols, int ncols, mk_err *err)
{
    uint64_t n = f->nrows;
    uint64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    void *tmp = malloc((n ? n : 1) * sizeof(double));
    if (idx == NULL || tmp == NULL) {
        free(idx);
        free(tmp);
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory sorting");
    }
    for (uint64_t i = 0; i < n; i++)
        idx[i] = i;
    sort_key key = {f, cols, ncols};
    qsort_r(idx, n, sizeof *idx, cmp_index, &key);
    for (int c = 0; c < f->ncols; c++) {
        if (mk_frame_is_text(f, c)) {
            const char **t = tmp;
            for (uint64_t i = 0; i < n; i++)
                t[i] = f->strs[c][idx[i]];
            memcpy((void *)f->strs[c], t, n * sizeof *t);
        } else {
            double *t = tmp;
            for (uint64_t i = 0; i < n; i++)
                t[i] = f->cols[c][idx[i]];
            memcpy(f->cols[c], t, n * sizeof *t);
        }
    }
    free(idx);
    free(tmp);
    return 0;
}

int mk_frame_sort(mk_frame *f, int col, mk_err *err)
{
    return mk_frame_sort_by(f, &col, 1, err);
}
