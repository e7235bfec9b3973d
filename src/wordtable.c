/* wordtable.c - word counts in an open-addressing hash table, the tokenizer that fills it,
 * and the MapReduce steps over ranks: shuffle by hash owner, gather of the top K. */
#include "mpikit/wordtable.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    uint64_t count;
    size_t offset;   /* into the arena; offsets survive its realloc, pointers would not */
    uint32_t len;
    uint32_t used;
} slot;

struct mk_wordtable {
    slot *slots;
    size_t capacity;  /* power of two */
    size_t size;
    uint64_t total;
    char *arena;
    size_t arena_len, arena_cap;
};

uint64_t mk_word_hash(const char *word, size_t len)
{
    /* Multiply-xorshift over 8-byte words: fast for short tokens, well mixed in the high bits. */
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0x243F6A8885A308D3ull ^ (len * m);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t k;
        memcpy(&k, word + i, 8);
        h = (h ^ k) * m;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t k = 0;
        memcpy(&k, word + i, len - i);
        h = (h ^ k) * m;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    return h;
}

mk_wordtable *mk_wordtable_new(size_t expected_words)
{
    mk_wordtable *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    size_t cap = 1024;
    while (cap < expected_words * 2)
        cap <<= 1;
    t->slots = calloc(cap, sizeof *t->slots);
    t->arena_cap = cap * 8;
    t->arena = malloc(t->arena_cap);
    if (t->slots == NULL || t->arena == NULL) {
        mk_wordtable_free(t);
        return NULL;
    }
    t->capacity = cap;
    return t;
}

void mk_wordtable_free(mk_wordtable *t)
{
    if (t == NULL)
        return;
    free(t->slots);
    free(t->arena);
    free(t);
}

static int grow(mk_wordtable *t)
{
    size_t cap = t->capacity * 2;
    slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < t->capacity; i++) {
        if (!t->slots[i].used)
            continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].used)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->capacity = cap;
    return 0;
}

static int arena_put(mk_wordtable *t, const char *word, size_t len, size_t *offset)
{
    if (t->arena_len + len > t->arena_cap) {
        size_t cap = t->arena_cap * 2;
        while (cap < t->arena_len + len)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (a == NULL)
            return -1;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, word, len);
    *offset = t->arena_len;
    t->arena_len += len;
    return 0;
}

static int add_hashed(mk_wordtable *t, const char *word, size_t len, uint64_t hash, uint64_t count)
{
    if (len > UINT32_MAX)
        return -1;
    size_t mask = t->capacity - 1, j = hash & mask;
    while (t->slots[j].used) {
        slot *s = &t->slots[j];
        if (s->hash == hash && s->len == len && memcmp(t->arena + s->offset, word, len) == 0) {
            s->count += count;
            t->total += count;
            return 0;
        }
        j = (j + 1) & mask;
    }
    size_t offset;
    if (arena_put(t, word, len, &offset) != 0)
        return -1;
    t->slots[j] = (slot){hash, count, offset, (uint32_t)len, 1};
    t->size++;
    t->total += count;
    /* Keep the load at most 1/2 so probes stay short. */
    if (t->size * 2 > t->capacity)
        return grow(t);
    return 0;
}

int mk_wordtable_add(mk_wordtable *t, const char *word, size_t len, uint64_t count)
{
    return add_hashed(t, word, len, mk_word_hash(word, len), count);
}

uint64_t mk_wordtable_get(const mk_wordtable *t, const char *word, size_t len)
{
    uint64_t hash = mk_word_hash(word, len);
    size_t mask = t->capacity - 1, j = hash & mask;
    while (t->slots[j].used) {
        const slot *s = &t->slots[j];
        if (s->hash == hash && s->len == len && memcmp(t->arena + s->offset, word, len) == 0)
            return s->count;
        j = (j + 1) & mask;
    }
    return 0;
}

size_t mk_wordtable_size(const mk_wordtable *t) { return t->size; }
uint64_t mk_wordtable_total(const mk_wordtable *t) { return t->total; }

int mk_wordtable_merge(mk_wordtable *dst, const mk_wordtable *src)
{
    for (size_t i = 0; i < src->capacity; i++) {
        const slot *s = &src->slots[i];
        if (s->used && add_hashed(dst, src->arena + s->offset, s->len, s->hash, s->count) != 0)
            return -1;
    }
    return 0;
}

static int compare_counts(const void *a, const void *b)
{
    const mk_word_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->word, y->word, n);
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

mk_word_count *mk_wordtable_sorted(const mk_wordtable *t, size_t k, size_t *n)
{
    mk_word_count *all = malloc((t->size ? t->size : 1) * sizeof *all);
    if (all == NULL)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const slot *s = &t->slots[i];
        if (s->used)
            all[m++] = (mk_word_count){t->arena + s->offset, s->len, s->count};
    }
    qsort(all, m, sizeof *all, compare_counts);
    *n = (k > 0 && k < m) ? k : m;
    return all;
}

int mk_wordtable_pack(const mk_word_count *entries, size_t n, char **buf, size_t *len)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += 12 + entries[i].len;
    char *b = malloc(bytes ? bytes : 1), *p = b;
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, &entries[i].count, 8);
        memcpy(p + 8, &entries[i].len, 4);
        memcpy(p + 12, entries[i].word, entries[i].len);
        p += 12 + entries[i].len;
    }
    *buf = b;
    *len = bytes;
    return 0;
}

int mk_wordtable_unpack_add(mk_wordtable *t, const char *buf, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        uint64_t count;
        uint32_t wlen;
        if (len - pos < 12)
            return -1;
        memcpy(&count, buf + pos, 8);
        memcpy(&wlen, buf + pos + 8, 4);
        pos += 12;
        if (wlen > len - pos)
            return -1;
        if (mk_wordtable_add(t, buf + pos, wlen, count) != 0)
            return -1;
        pos += wlen;
    }
    return 0;
}

/* ---- tokenizer ---- */

void mk_tokenizer_init(mk_tokenizer *tk, mk_wordtable *table)
{
    memset(tk, 0, sizeof *tk);
    tk->table = table;
}

void mk_tokenizer_free(mk_tokenizer *tk)
{
    free(tk->partial);
    tk->partial = NULL;
    tk->partial_len = tk->partial_cap = 0;
}

static int partial_append_lower(mk_tokenizer *tk, const unsigned char *p, size_t n)
{
    if (tk->partial_len + n > tk->partial_cap) {
        size_t cap = tk->partial_cap ? tk->partial_cap : 64;
        while (cap < tk->partial_len + n)
            cap *= 2;
        char *q = realloc(tk->partial, cap);
        if (q == NULL)
            return -1;
        tk->partial = q;
        tk->partial_cap = cap;
    }
    /* For ASCII letters, setting bit 0x20 is exactly tolower. */
    for (size_t i = 0; i < n; i++)
        tk->partial[tk->partial_len + i] = (char)(p[i] | 0x20);
    tk->partial_len += n;
    return 0;
}

static int emit_partial(mk_tokenizer *tk)
{
    int rc = mk_wordtable_add(tk->table, tk->partial, tk->partial_len, 1);
    tk->partial_len = 0;
    tk->tokens++;
    return rc;
}

int mk_tokenizer_feed(mk_tokenizer *tk, const unsigned char *buf, size_t n)
{
    size_t i = 0;
    char word[64];
    if (tk->partial_len > 0) {
        while (i < n && mk_is_letter(buf[i]))
            i++;
        if (partial_append_lower(tk, buf, i) != 0)
            return -1;
        if (i == n)
            return 0;
        if (emit_partial(tk) != 0)
            return -1;
    }
    while (i < n) {
        while (i < n && !mk_is_letter(buf[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && mk_is_letter(buf[i]))
            i++;
        size_t len = i - start;
        if (i == n) /* may continue in the next buffer */
            return partial_append_lower(tk, buf + start, len);
        if (len <= sizeof word) {
            for (size_t j = 0; j < len; j++)
                word[j] = (char)(buf[start + j] | 0x20);
            if (mk_wordtable_add(tk->table, word, len, 1) != 0)
                return -1;
            tk->tokens++;
        } else if (partial_append_lower(tk, buf + start, len) != 0 || emit_partial(tk) != 0) {
            return -1;
        }
    }
    return 0;
}

int mk_tokenizer_in_token(const mk_tokenizer *tk) { return tk->partial_len > 0; }

int mk_tokenizer_finish(mk_tokenizer *tk)
{
    return tk->partial_len > 0 ? emit_partial(tk) : 0;
}

void mk_tokenizer_discard(mk_tokenizer *tk) { tk->partial_len = 0; }

/* ---- over ranks ---- */

static int owner_of(uint64_t hash, int nranks)
{
    /* Multiply-shift maps the high bits evenly onto [0, nranks). */
    return (int)(((hash >> 32) * (uint64_t)nranks) >> 32);
}

int mk_wordtable_shuffle(MPI_Comm comm, mk_wordtable **local, mk_err *err)
{
    int nranks, rank;
    MPI_Comm_size(comm, &nranks);
    MPI_Comm_rank(comm, &rank);
    if (nranks == 1)
        return 0;
    mk_wordtable *t = *local;
    int *sendcounts = calloc((size_t)nranks, sizeof(int)), *sdispls = calloc((size_t)nranks, sizeof(int));
    int *recvcounts = calloc((size_t)nranks, sizeof(int)), *rdispls = calloc((size_t)nranks, sizeof(int));
    size_t *fill = calloc((size_t)nranks, sizeof *fill);
    char *sendbuf = NULL, *recvbuf = NULL;
    mk_wordtable *shard = NULL;
    size_t send_total = 0, recv_total = 0;
    if (sendcounts == NULL || sdispls == NULL || recvcounts == NULL || rdispls == NULL || fill == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "shuffle: out of memory");
    if (err->code == 0) {
        for (size_t i = 0; i < t->capacity; i++)
            if (t->slots[i].used)
                fill[owner_of(t->slots[i].hash, nranks)] += 12 + t->slots[i].len;
        for (int r = 0; r < nranks; r++) {
            if (fill[r] > INT_MAX || send_total + fill[r] > INT_MAX) {
                mk_err_set(err, MK_EXIT_FAILURE, "shuffle: more than 2 GiB of words leave rank %d", rank);
                break;
            }
            sendcounts[r] = (int)fill[r];
            sdispls[r] = (int)send_total;
            send_total += fill[r];
        }
    }
    if (err->code == 0 && (sendbuf = malloc(send_total ? send_total : 1)) == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "shuffle: out of memory");
    if (mk_err_agree(comm, err) != 0)
        goto out;

    for (int r = 0; r < nranks; r++)
        fill[r] = (size_t)sdispls[r];
    for (size_t i = 0; i < t->capacity; i++) {
        const slot *s = &t->slots[i];
        if (!s->used)
            continue;
        char *p = sendbuf + fill[owner_of(s->hash, nranks)];
        memcpy(p, &s->count, 8);
        memcpy(p + 8, &s->len, 4);
        memcpy(p + 12, t->arena + s->offset, s->len);
        fill[owner_of(s->hash, nranks)] += 12 + s->len;
    }
    MPI_Alltoall(sendcounts, 1, MPI_INT, recvcounts, 1, MPI_INT, comm);
    for (int r = 0; r < nranks; r++) {
        if (recv_total + (size_t)recvcounts[r] > INT_MAX) {
            mk_err_set(err, MK_EXIT_FAILURE, "shuffle: more than 2 GiB of words arrive at rank %d", rank);
            break;
        }
        rdispls[r] = (int)recv_total;
        recv_total += (size_t)recvcounts[r];
    }
    if (err->code == 0 && (recvbuf = malloc(recv_total ? recv_total : 1)) == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "shuffle: out of memory");
    if (mk_err_agree(comm, err) != 0)
        goto out;
    if (MPI_Alltoallv(sendbuf, sendcounts, sdispls, MPI_CHAR, recvbuf, recvcounts, rdispls, MPI_CHAR, comm) !=
        MPI_SUCCESS)
        mk_err_set(err, MK_EXIT_FAILURE, "shuffle: MPI_Alltoallv failed");
    free(sendbuf);
    sendbuf = NULL;
    if (err->code == 0) {
        shard = mk_wordtable_new(t->size / (size_t)nranks + 16);
        if (shard == NULL || mk_wordtable_unpack_add(shard, recvbuf, recv_total) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "shuffle: out of memory merging words");
    }
    if (mk_err_agree(comm, err) == 0) {
        mk_wordtable_free(t);
        *local = shard;
        shard = NULL;
    }
out:
    mk_wordtable_free(shard);
    free(recvbuf);
    free(sendbuf);
    free(fill);
    free(rdispls);
    free(recvcounts);
    free(sdispls);
    free(sendcounts);
    return err->code == 0 ? 0 : -1;
}

int mk_wordtable_gather_top(MPI_Comm comm, int root, const mk_wordtable *shard, size_t k,
                            mk_word_count **out, size_t *n, mk_wordtable **storage, mk_err *err)
{
    int nranks, rank;
    MPI_Comm_size(comm, &nranks);
    MPI_Comm_rank(comm, &rank);
    *out = NULL;
    *n = 0;
    *storage = NULL;
    char *packed = NULL, *all = NULL;
    size_t packed_len = 0, m = 0;
    int *counts = NULL, *displs = NULL;

    mk_word_count *mine = mk_wordtable_sorted(shard, k, &m);
    if (mine == NULL || mk_wordtable_pack(mine, m, &packed, &packed_len) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "gather: out of memory");
    else if (packed_len > INT_MAX)
        mk_err_set(err, MK_EXIT_FAILURE, "gather: more than 2 GiB of words on rank %d", rank);
    free(mine);
    if (rank == root) {
        counts = calloc((size_t)nranks, sizeof(int));
        displs = calloc((size_t)nranks, sizeof(int));
        if (counts == NULL || displs == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "gather: out of memory");
    }
    if (mk_err_agree(comm, err) != 0)
        goto out;
    int len = (int)packed_len;
    MPI_Gather(&len, 1, MPI_INT, counts, 1, MPI_INT, root, comm);
    size_t total = 0;
    if (rank == root) {
        for (int r = 0; r < nranks; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
            if (total > INT_MAX) {
                mk_err_set(err, MK_EXIT_FAILURE, "gather: more than 2 GiB of words for rank %d", root);
                break;
            }
        }
        if (err->code == 0 && (all = malloc(total ? total : 1)) == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "gather: out of memory");
    }
    if (mk_err_agree(comm, err) != 0)
        goto out;
    MPI_Gatherv(packed, len, MPI_CHAR, all, counts, displs, MPI_CHAR, root, comm);
    if (rank == root) {
        *storage = mk_wordtable_new(k ? k * (size_t)nranks : 1024);
        if (*storage == NULL || mk_wordtable_unpack_add(*storage, all, total) != 0 ||
            (*out = mk_wordtable_sorted(*storage, k, n)) == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "gather: out of memory");
    }
    mk_err_agree(comm, err);
out:
    if (err->code != 0) {
        free(*out);
        *out = NULL;
        mk_wordtable_free(*storage);
        *storage = NULL;
    }
    free(all);
    free(displs);
    free(counts);
    free(packed);
    return err->code == 0 ? 0 : -1;
}
