/* wordtable.c - word counts in an open-addressing hash table, the tokenizer that fills it,
 * and the MapReduce steps over ranks: shuffle by hash owner, gather of the top K. */
#include "mpikit/wordtable.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MK_WT_X86 1
#include <immintrin.h>
#endif

/* A slot holds what a count update needs: the first 16 key bytes (zero-padded), the
 * length and the count, so a word seen before costs one cache line and no arena access.
 * Entries hold the rest (hash, the whole word's arena offset) for growth and output. */
typedef struct {
    uint64_t key[2];
    uint64_t count;
    uint32_t len;
    uint32_t entry;    /* index + 1 into entries; 0 = empty */
} slot;

typedef struct {
    uint64_t hash;
    size_t offset;     /* offsets survive the arena's realloc, pointers would not */
    uint32_t len;
} entry;

struct mk_wordtable {
    slot *slots;
    size_t capacity;   /* power of two */
    entry *entries;
    size_t size, entries_cap;
    uint64_t total;
    char *arena;
    size_t arena_len, arena_cap;
};

#define HASH_MUL 0x9E3779B97F4A7C15ull

static inline uint64_t hash_step(uint64_t h, uint64_t k)
{
    h = (h ^ k) * HASH_MUL;
    return h ^ (h >> 29);
}

static inline uint64_t hash_final(uint64_t h)
{
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

/* Multiply-xorshift over 8-byte words, the tail zero-padded: fast for short tokens. */
uint64_t mk_word_hash(const char *word, size_t len)
{
    uint64_t h = 0x243F6A8885A308D3ull ^ (len * HASH_MUL);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t k;
        memcpy(&k, word + i, 8);
        h = hash_step(h, k);
    }
    if (i < len) {
        uint64_t k = 0;
        memcpy(&k, word + i, len - i);
        h = hash_step(h, k);
    }
    return hash_final(h);
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
    t->entries_cap = cap / 2;
    t->entries = malloc(t->entries_cap * sizeof *t->entries);
    t->arena_cap = cap * 8;
    t->arena = malloc(t->arena_cap);
    if (t->slots == NULL || t->entries == NULL || t->arena == NULL) {
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
    free(t->entries);
    free(t->arena);
    free(t);
}

static int grow(mk_wordtable *t)
{
    size_t cap = t->capacity * 2;
    slot *slots = calloc(cap, sizeof *slots);
    entry *entries = realloc(t->entries, cap / 2 * sizeof *entries);
    if (entries != NULL) {
        t->entries = entries;
        t->entries_cap = cap / 2;
    }
    if (slots == NULL || entries == NULL) {
        free(slots);
        return -1;
    }
    for (size_t i = 0; i < t->capacity; i++) {
        if (t->slots[i].entry == 0)
            continue;
        size_t j = t->entries[t->slots[i].entry - 1].hash & (cap - 1);
        while (slots[j].entry != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->capacity = cap;
    return 0;
}

static int arena_put(mk_wordtable *t, const void *word, size_t len, size_t *offset)
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

static inline int slot_matches(const mk_wordtable *t, const slot *s, const uint64_t key[2], const void *word,
                               size_t len)
{
    if (s->len != len || s->key[0] != key[0] || s->key[1] != key[1])
        return 0;
    return len <= 16 ||
           memcmp(t->arena + t->entries[s->entry - 1].offset + 16, (const char *)word + 16, len - 16) == 0;
}

/* Find the slot of a word, or the empty slot where it belongs. */
static inline size_t probe(const mk_wordtable *t, const uint64_t key[2], const void *word, size_t len,
                           uint64_t hash)
{
    size_t mask = t->capacity - 1, j = hash & mask;
    for (;;) {
        const slot *s = &t->slots[j];
        if (s->entry == 0 || slot_matches(t, s, key, word, len))
            return j;
        j = (j + 1) & mask;
    }
}

/* word: len bytes; key: its first 16 bytes zero-padded. */
static int add_keyed(mk_wordtable *t, const void *word, size_t len, const uint64_t key[2], uint64_t hash,
                     uint64_t count)
{
    size_t j = probe(t, key, word, len, hash);
    if (t->slots[j].entry != 0) {
        t->slots[j].count += count;
        t->total += count;
        return 0;
    }
    if (len > UINT32_MAX || t->size >= UINT32_MAX - 1)
        return -1;
    /* Keep the load at most 1/2 so probes stay short; growing moves the empty slot. */
    if ((t->size + 1) * 2 > t->capacity) {
        if (grow(t) != 0)
            return -1;
        j = probe(t, key, word, len, hash);
    }
    size_t offset;
    if (arena_put(t, word, len, &offset) != 0)
        return -1;
    t->entries[t->size] = (entry){hash, offset, (uint32_t)len};
    t->slots[j] = (slot){{key[0], key[1]}, count, (uint32_t)len, (uint32_t)(t->size + 1)};
    t->size++;
    t->total += count;
    return 0;
}

static inline void key_of(const char *word, size_t len, uint64_t key[2])
{
    key[0] = key[1] = 0;
    memcpy(key, word, len < 16 ? len : 16);
}

int mk_wordtable_add(mk_wordtable *t, const char *word, size_t len, uint64_t count)
{
    uint64_t key[2];
    key_of(word, len, key);
    return add_keyed(t, word, len, key, mk_word_hash(word, len), count);
}

uint64_t mk_wordtable_get(const mk_wordtable *t, const char *word, size_t len)
{
    uint64_t key[2];
    key_of(word, len, key);
    size_t j = probe(t, key, word, len, mk_word_hash(word, len));
    return t->slots[j].entry ? t->slots[j].count : 0;
}

size_t mk_wordtable_size(const mk_wordtable *t) { return t->size; }
uint64_t mk_wordtable_total(const mk_wordtable *t) { return t->total; }

int mk_wordtable_merge(mk_wordtable *dst, const mk_wordtable *src)
{
    for (size_t i = 0; i < src->capacity; i++) {
        const slot *s = &src->slots[i];
        if (s->entry == 0)
            continue;
        const entry *x = &src->entries[s->entry - 1];
        if (add_keyed(dst, src->arena + x->offset, x->len, s->key, x->hash, s->count) != 0)
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
        if (s->entry != 0)
            all[m++] = (mk_word_count){t->arena + t->entries[s->entry - 1].offset, s->len, s->count};
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

/* Short tokens are collected in a batch whose slots are prefetched before any is
 * updated: the cache misses of a large vocabulary overlap instead of queueing. */
#define BATCH 16
typedef struct {
    uint64_t key[2];
    uint64_t hash;
    uint32_t len;
} pending;

/* Count a batch of short tokens (len <= 16, so the key is the whole word). A word seen
 * before is found and counted inline with the table's fields held in locals (the
 * profile's hottest lines were reloads of them); only new words take add_keyed. */
static int flush_batch(mk_tokenizer *tk, const pending *batch, int n)
{
    mk_wordtable *t = tk->table;
    slot *slots = t->slots;
    size_t mask = t->capacity - 1;
    uint64_t hits = 0;
    for (int b = 0; b < n; b++) {
        const pending *p = &batch[b];
        size_t j = p->hash & mask;
        for (;;) {
            slot *s = &slots[j];
            /* An empty slot has length 0 and never matches a token (length >= 1). */
            if (s->key[0] == p->key[0] && s->key[1] == p->key[1] && s->len == p->len) {
                s->count++;
                hits++;
                goto next;
            }
            if (s->entry == 0)
                break;
            j = (j + 1) & mask;
        }
        if (add_keyed(t, p->key, p->len, p->key, p->hash, 1) != 0)
            return -1;
        slots = t->slots;   /* a new word may have grown the table */
        mask = t->capacity - 1;
    next:;
    }
    t->total += hits;
    tk->tokens += (uint64_t)n;
    return 0;
}

/* Bit i set when p[i] is an ASCII letter, for a 64-byte block. */
typedef uint64_t (*letter_mask_fn)(const unsigned char *p);

static uint64_t letters_portable(const unsigned char *p)
{
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)mk_is_letter(p[i]) << i;
    return m;
}

#ifdef MK_WT_X86
__attribute__((target("avx2"))) static uint64_t letters_avx2(const unsigned char *p)
{
    const __m256i lower = _mm256_set1_epi8(0x20), a = _mm256_set1_epi8('a'), z = _mm256_set1_epi8(25);
    uint64_t m = 0;
    for (int h = 0; h < 2; h++) {
        __m256i v = _mm256_sub_epi8(_mm256_or_si256(_mm256_loadu_si256((const __m256i *)(p + 32 * h)), lower), a);
        /* unsigned v <= 25  <=>  min(v, 25) == v */
        __m256i in = _mm256_cmpeq_epi8(_mm256_min_epu8(v, z), v);
        m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(in) << (32 * h);
    }
    return m;
}

__attribute__((target("avx512f,avx512bw"))) static uint64_t letters_avx512(const unsigned char *p)
{
    __m512i v = _mm512_sub_epi8(_mm512_or_si512(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8(0x20)),
                                _mm512_set1_epi8('a'));
    return _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(25));
}
#endif

static letter_mask_fn pick_letter_mask(void)
{
#ifdef MK_WT_X86
    if (__builtin_cpu_supports("avx512bw"))
        return letters_avx512;
    if (__builtin_cpu_supports("avx2"))
        return letters_avx2;
#endif
    return letters_portable;
}

/* Masks keeping the first len bytes of a 16-byte key, per 8-byte half (little-endian). */
static const uint64_t key_mask[17][2] = {
    {0, 0},
#define M(n) (~0ull >> (64 - 8 * (n))) /* n = 1..8 */
    {M(1), 0}, {M(2), 0}, {M(3), 0}, {M(4), 0}, {M(5), 0}, {M(6), 0}, {M(7), 0}, {M(8), 0},
    {~0ull, M(1)}, {~0ull, M(2)}, {~0ull, M(3)}, {~0ull, M(4)},
    {~0ull, M(5)}, {~0ull, M(6)}, {~0ull, M(7)}, {~0ull, M(8)},
#undef M
};

/* mk_word_hash's starting value per length, so the scan saves a multiply. */
#define LEN_SEED(n) (0x243F6A8885A308D3ull ^ ((n) * HASH_MUL))
static const uint64_t hash_seed[17] = {
    LEN_SEED(0),  LEN_SEED(1),  LEN_SEED(2),  LEN_SEED(3),  LEN_SEED(4),  LEN_SEED(5),
    LEN_SEED(6),  LEN_SEED(7),  LEN_SEED(8),  LEN_SEED(9),  LEN_SEED(10), LEN_SEED(11),
    LEN_SEED(12), LEN_SEED(13), LEN_SEED(14), LEN_SEED(15), LEN_SEED(16),
};
#undef LEN_SEED

/* The key (first 16 bytes lowercased, zero-padded) and hash of a short token, equal to
 * key_of and mk_word_hash of the lowercased word. `room` bytes may be read at src. */
static inline void short_token(pending *p, const unsigned char *src, size_t len, size_t room)
{
    uint64_t a, b;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (room >= 16) {
        /* Two whole-word loads, masked to the token: byte stores followed by word loads
         * would stall on store forwarding. Every byte kept is a letter, so | 0x20 lowercases.
         * The halves stay in registers for the hash and are stored once. */
        const uint64_t lower = 0x2020202020202020ull;
        memcpy(&a, src, 8);
        memcpy(&b, src + 8, 8);
        a = (a | lower) & key_mask[len][0];
        b = (b | lower) & key_mask[len][1];
    } else
#endif
    {
        (void)room;
        unsigned char w[16] = {0};
        for (size_t j = 0; j < len; j++)
            w[j] = src[j] | 0x20;
        memcpy(&a, w, 8);
        memcpy(&b, w + 8, 8);
    }
    uint64_t h = hash_step(hash_seed[len], a);
    if (len > 8)
        h = hash_step(h, b);
    p->key[0] = a;
    p->key[1] = b;
    p->len = (uint32_t)len;
    p->hash = hash_final(h);
}

/* Count one token longer than a key directly (rare in text). */
static int long_token(mk_tokenizer *tk, const unsigned char *src, size_t len)
{
    return (partial_append_lower(tk, src, len) != 0 || emit_partial(tk) != 0) ? -1 : 0;
}

int mk_tokenizer_feed(mk_tokenizer *tk, const unsigned char *buf, size_t n)
{
    size_t pos = 0;
    pending batch[BATCH];
    int nb = 0;
    if (tk->partial_len > 0) {
        while (pos < n && mk_is_letter(buf[pos]))
            pos++;
        if (partial_append_lower(tk, buf, pos) != 0)
            return -1;
        if (pos == n)
            return 0;
        if (emit_partial(tk) != 0)
            return -1;
    }
    /* Invariant: buf[pos - 1], if any, is not a letter, so a letter bit with no letter
     * below it starts a token. */
    letter_mask_fn letters = pick_letter_mask();
    const slot *slots = tk->table->slots;
    size_t mask = tk->table->capacity - 1;
    unsigned char tail[64];
    while (pos < n) {
        size_t avail = n - pos;
        const unsigned char *block = buf + pos;
        if (avail < 64) { /* zero padding reads as non-letters */
            memset(tail, 0, sizeof tail);
            memcpy(tail, block, avail);
            block = tail;
        }
        uint64_t L = letters(block);
        uint64_t starts = L & ~(L << 1);
        size_t next = pos + (avail < 64 ? avail : 64);
        while (starts != 0) {
            int s = __builtin_ctzll(starts);
            starts &= starts - 1;
            uint64_t rest = ~L >> s;
            size_t start = pos + (size_t)s, end;
            if (rest != 0) {
                end = start + (size_t)__builtin_ctzll(rest);
            } else { /* runs past this block: rare, finish it byte by byte */
                end = pos + 64;
                while (end < n && mk_is_letter(buf[end]))
                    end++;
                next = end;
            }
            if (end == n) { /* may continue in the next buffer */
                if (flush_batch(tk, batch, nb) != 0)
                    return -1;
                return partial_append_lower(tk, buf + start, end - start);
            }
            size_t len = end - start;
            if (len > 16) {
                if (long_token(tk, buf + start, len) != 0)
                    return -1;
                continue;
            }
            pending *p = &batch[nb++];
            short_token(p, buf + start, len, n - start);
            __builtin_prefetch(&slots[p->hash & mask], 1);
            if (nb == BATCH) {
                nb = 0;
                if (flush_batch(tk, batch, BATCH) != 0)
                    return -1;
                slots = tk->table->slots;
                mask = tk->table->capacity - 1;
            }
        }
        pos = next;
    }
    return flush_batch(tk, batch, nb);
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
        for (size_t e = 0; e < t->size; e++)
            fill[owner_of(t->entries[e].hash, nranks)] += 12 + t->entries[e].len;
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
        if (t->slots[i].entry == 0)
            continue;
        const entry *x = &t->entries[t->slots[i].entry - 1];
        int owner = owner_of(x->hash, nranks);
        char *p = sendbuf + fill[owner];
        memcpy(p, &t->slots[i].count, 8);
        memcpy(p + 8, &x->len, 4);
        memcpy(p + 12, t->arena + x->offset, x->len);
        fill[owner] += 12 + x->len;
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
        /* Size for what arrived (each entry takes at least 13 bytes), not for k * ranks. */
        *storage = mk_wordtable_new(total / 13 + 16);
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
