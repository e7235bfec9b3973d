/* groupby.c - split-apply-combine with a combiner: a hash table of groups per rank holding
 * mergeable partial aggregates (count, compensated sum, mean and M2, min, max), a shuffle of
 * those partials (not rows) to the rank that owns each key, merge, finish; and frame sorting. */
#include "mpikit/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Partial aggregate of one column in one group; two of them merge exactly as if their rows
 * had been aggregated together (Chan et al. for mean and M2). */
typedef struct {
    double n, sum, comp, mean, m2, min, max;
} moments;

/* Add one value; mean and M2 (a division each) only when a std or var needs them. */
static void moments_add(moments *m, double x, int spread)
{
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
    a->min = b->min < a->min ? b->min : a->min;
    a->max = b->max > a->max ? b->max : a->max;
    a->n = n;
}

static double moments_result(const moments *m, mk_agg_kind kind)
{
    switch (kind) {
    case MK_AGG_SUM:
        return m->sum + m->comp;
    case MK_AGG_MEAN:
        return m->n > 0 ? (m->sum + m->comp) / m->n : NAN;
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
    }
    return NAN;
}

/* ---- the table of groups ---- */

typedef struct {
    int text, naggs;
    size_t ngroups, gcap, nslots; /* nslots: a power of two, at least twice ngroups */
    uint32_t *slots;              /* group index + 1, 0 = empty */
    uint64_t *hash;
    double *num;       /* numeric keys */
    const char **str;  /* text keys (copies in `store`) */
    size_t *len;
    moments *m;        /* ngroups x naggs */
    mk_frame store;    /* only its arena is used */
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

static uint64_t hash_num(double k)
{
    uint64_t bits;
    if (k == 0)
        k = 0.0; /* -0 and 0 are one group */
    memcpy(&bits, &k, sizeof bits);
    return mix(bits);
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix(h);
}

static void groups_free(groups *g)
{
    free(g->slots);
    free(g->hash);
    free(g->num);
    free((void *)g->str);
    free(g->len);
    free(g->m);
    mk_frame_free(&g->store);
}

static int groups_grow(groups *g)
{
    size_t gcap = g->gcap ? g->gcap * 2 : 64;
    uint64_t *h = realloc(g->hash, gcap * sizeof *h);
    if (h != NULL)
        g->hash = h;
    double *num = realloc(g->num, gcap * sizeof *num);
    if (num != NULL)
        g->num = num;
    const char **str = realloc((void *)g->str, gcap * sizeof *str);
    if (str != NULL)
        g->str = str;
    size_t *len = realloc(g->len, gcap * sizeof *len);
    if (len != NULL)
        g->len = len;
    moments *m = realloc(g->m, gcap * (size_t)(g->naggs ? g->naggs : 1) * sizeof *m);
    if (m != NULL)
        g->m = m;
    if (!h || !num || !str || !len || !m)
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

/* The group of a key (created with empty moments when new); -1 when out of memory. */
static long groups_find(groups *g, uint64_t h, double num, const char *str, size_t len)
{
    if (g->nslots > 0) {
        for (size_t s = h & (g->nslots - 1); g->slots[s] != 0; s = (s + 1) & (g->nslots - 1)) {
            size_t i = g->slots[s] - 1;
            if (g->hash[i] != h)
                continue;
            if (g->text ? (g->len[i] == len && memcmp(g->str[i], str, len) == 0) : g->num[i] == num)
                return (long)i;
        }
    }
    if (g->ngroups == g->gcap && (g->ngroups >= 0x7fffffff || groups_grow(g) != 0))
        return -1;
    size_t i = g->ngroups++;
    g->hash[i] = h;
    g->num[i] = num == 0 ? 0.0 : num;
    g->len[i] = len;
    g->str[i] = NULL;
    if (g->text && (g->str[i] = mk_frame_strndup(&g->store, str, len)) == NULL)
        return -1;
    memset(&g->m[i * (size_t)g->naggs], 0, (size_t)g->naggs * sizeof(moments));
    size_t s = h & (g->nslots - 1);
    while (g->slots[s] != 0)
        s = (s + 1) & (g->nslots - 1);
    g->slots[s] = (uint32_t)(i + 1);
    return (long)i;
}

/* Every row of f with a key into g. */
static int groups_add_rows(groups *g, const mk_frame *f, int keycol, const mk_agg *aggs, int naggs, mk_err *err)
{
    for (uint64_t r = 0; r < f->nrows; r++) {
        long gi;
        if (g->text) {
            const char *k = f->strs[keycol][r];
            if (k == NULL)
                continue; /* a missing key: dropped, as groupby(dropna=True) */
            uint64_t h = 0xcbf29ce484222325ULL; /* hash_str and strlen in one pass */
            size_t n = 0;
            for (; k[n] != '\0'; n++)
                h = (h ^ (unsigned char)k[n]) * 0x100000001b3ULL;
            gi = groups_find(g, mix(h), 0, k, n);
        } else {
            double k = f->cols[keycol][r];
            if (isnan(k))
                continue;
            gi = groups_find(g, hash_num(k), k, NULL, 0);
        }
        if (gi < 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby (or over 2^31 groups)");
        moments *m = &g->m[(size_t)gi * (size_t)naggs];
        for (int a = 0; a < naggs; a++) {
            int c = aggs[a].col;
            if (c < 0)
                m[a].n += 1;
            else if (mk_frame_is_text(f, c))
                m[a].n += f->strs[c][r] != NULL;
            else if (!isnan(f->cols[c][r]))
                moments_add(&m[a], f->cols[c][r], aggs[a].kind == MK_AGG_STD || aggs[a].kind == MK_AGG_VAR);
        }
    }
    return 0;
}

/* The groups as a frame: key column, then one column per aggregation; sorted by key. */
static int groups_finish(const groups *g, const char *keyname, const mk_agg *aggs, int naggs, mk_frame *out,
                         mk_err *err)
{
    memset(out, 0, sizeof *out);
    out->nrows = g->ngroups;
    if ((g->text ? mk_frame_add_text_column(out, keyname, err) : mk_frame_add_column(out, keyname, err)) < 0)
        return -1;
    for (int a = 0; a < naggs; a++) {
        if (strcmp(aggs[a].name, keyname) == 0) {
            mk_frame_free(out);
            return mk_err_set(err, MK_EXIT_USAGE, "aggregation '%s' has the key's name", aggs[a].name);
        }
        if (mk_frame_add_column(out, aggs[a].name, err) < 0) {
            mk_frame_free(out);
            return -1;
        }
    }
    for (size_t i = 0; i < g->ngroups; i++) {
        if (g->text) {
            if ((out->strs[0][i] = mk_frame_strndup(out, g->str[i], g->len[i])) == NULL) {
                mk_frame_free(out);
                return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby");
            }
        } else {
            out->cols[0][i] = g->num[i];
        }
        for (int a = 0; a < naggs; a++)
            out->cols[a + 1][i] = moments_result(&g->m[i * (size_t)naggs + (size_t)a], aggs[a].kind);
    }
    if (mk_frame_sort(out, 0, err) != 0) {
        mk_frame_free(out);
        return -1;
    }
    return 0;
}

int mk_groupby_local(const mk_frame *f, int keycol, const mk_agg *aggs, int naggs, mk_frame *out, mk_err *err)
{
    groups g;
    memset(&g, 0, sizeof g);
    g.text = mk_frame_is_text(f, keycol);
    g.naggs = naggs;
    int rc = groups_add_rows(&g, f, keycol, aggs, naggs, err);
    if (rc == 0)
        rc = groups_finish(&g, f->names[keycol], aggs, naggs, out, err);
    groups_free(&g);
    return rc;
}

/* ---- the shuffle of partial aggregates ---- */

/* Bytes of group i as it travels: the key (8 bytes, or a 4-byte length and the bytes), then
 * the moments of each aggregation. */
static size_t record_size(const groups *g, size_t i)
{
    return (g->text ? 4 + g->len[i] : sizeof(double)) + (size_t)g->naggs * sizeof(moments);
}

static char *pack_record(const groups *g, size_t i, char *p)
{
    if (g->text) {
        uint32_t n = (uint32_t)g->len[i];
        memcpy(p, &n, 4);
        memcpy(p + 4, g->str[i], n);
        p += 4 + n;
    } else {
        memcpy(p, &g->num[i], sizeof(double));
        p += sizeof(double);
    }
    memcpy(p, &g->m[i * (size_t)g->naggs], (size_t)g->naggs * sizeof(moments));
    return p + (size_t)g->naggs * sizeof(moments);
}

/* Merge received records [p, end) into g. */
static int unpack_records(groups *g, const char *p, const char *end, mk_err *err)
{
    moments m[MK_FRAME_MAX_COLS];
    size_t msize = (size_t)g->naggs * sizeof(moments);
    while (p < end) {
        long gi;
        if (g->text) {
            uint32_t n;
            memcpy(&n, p, 4);
            gi = groups_find(g, hash_str(p + 4, n), 0, p + 4, n);
            p += 4 + n;
        } else {
            double k;
            memcpy(&k, p, sizeof k);
            gi = groups_find(g, hash_num(k), k, NULL, 0);
            p += sizeof k;
        }
        if (gi < 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory merging groups");
        memcpy(m, p, msize);
        p += msize;
        for (int a = 0; a < g->naggs; a++)
            moments_merge(&g->m[(size_t)gi * (size_t)g->naggs + (size_t)a], &m[a]);
    }
    return 0;
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

int mk_groupby_shuffle(MPI_Comm comm, const mk_frame *local, int keycol, const mk_agg *aggs, int naggs,
                       mk_frame *out, mk_err *err)
{
    int size;
    MPI_Comm_size(comm, &size);
    memset(out, 0, sizeof *out);
    groups mine, owned;
    memset(&mine, 0, sizeof mine);
    memset(&owned, 0, sizeof owned);
    mine.text = owned.text = mk_frame_is_text(local, keycol);
    mine.naggs = owned.naggs = naggs;
    int *scount = calloc((size_t)size, sizeof *scount), *rcount = calloc((size_t)size, sizeof *rcount);
    int *sdispl = calloc((size_t)size, sizeof *sdispl), *rdispl = calloc((size_t)size, sizeof *rdispl);
    char *sbuf = NULL, *rbuf = NULL;
    if (!scount || !rcount || !sdispl || !rdispl)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory in the groupby shuffle");
    else if (groups_add_rows(&mine, local, keycol, aggs, naggs, err) == 0)
        sbuf = pack_by_owner(&mine, size, scount, sdispl, err);
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
        groups_finish(&owned, local->names[keycol], aggs, naggs, out, err);
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
    const double *num;
    const char *const *str;
} sort_key;

/* Total order: numbers ascending (-0 equals 0), text by bytes; missing (NaN, NULL) last. */
static int cmp_index(const void *pa, const void *pb, void *ctx)
{
    const sort_key *k = ctx;
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    int c;
    if (k->str != NULL) {
        const char *x = k->str[a], *y = k->str[b];
        c = x == NULL || y == NULL ? (x == NULL) - (y == NULL) : strcmp(x, y);
    } else {
        double x = k->num[a], y = k->num[b];
        c = isnan(x) || isnan(y) ? isnan(x) - isnan(y) : (x > y) - (x < y);
    }
    return c != 0 ? c : (a > b) - (a < b);
}

int mk_frame_sort(mk_frame *f, int col, mk_err *err)
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
    sort_key key = {f->cols[col], f->strs[col]};
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
