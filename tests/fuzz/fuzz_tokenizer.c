/* fuzz_tokenizer.c - differential fuzzing of the word-frequency tokenizer and word table
 * (src/wordtable.c).
 *
 * The text is fed to mk_tokenizer in fuzzer-chosen chunks (each in an exact-size heap block,
 * so ASan sees reads past a chunk) and the table's counts, size, total, sorted order and
 * pack/unpack round trip are compared with a naive reference: maximal runs of [A-Za-z],
 * lowercased, collected in an array and counted after a sort. The same bytes are also given
 * to mk_wordtable_unpack_add as a hostile packed buffer (what a shuffle receives), which must
 * either be rejected or add exactly the records a naive reader finds.
 *
 * Input: byte 0 = number of cut points (low 3 bits), then 2 bytes per cut point, then the text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/wordtable.h"

#define MAX_CUTS 7

typedef struct {
    const char *word; /* into a lowered copy of the text, or into a packed buffer */
    size_t len;
    uint64_t count;
} ref_word;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", what);
        abort();
    }
}

static int ref_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static int cmp_word(const void *x, const void *y)
{
    const ref_word *a = x, *b = y;
    return cmp_bytes(a->word, a->len, b->word, b->len);
}

/* Count descending, then bytes ascending: the order mk_wordtable_sorted promises. */
static int cmp_rank(const void *x, const void *y)
{
    const ref_word *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return cmp_word(x, y);
}

/* Sort by word and merge equal words (summing counts); returns the distinct count. */
static size_t ref_merge(ref_word *w, size_t n)
{
    qsort(w, n, sizeof *w, cmp_word);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && cmp_word(&w[m - 1], &w[i]) == 0)
            w[m - 1].count += w[i].count;
        else
            w[m++] = w[i];
    }
    return m;
}

/* The table holds exactly the distinct words of ref (sorted by word, merged). */
static void check_table(const mk_wordtable *t, ref_word *ref, size_t distinct, uint64_t total)
{
    check(mk_wordtable_size(t) == distinct, "distinct word count");
    check(mk_wordtable_total(t) == total, "total count");
    for (size_t i = 0; i < distinct; i++)
        check(mk_wordtable_get(t, ref[i].word, ref[i].len) == ref[i].count, "count of a word");
    /* top-K order (k = 0: all; then a cut at a fuzzer-made size) */
    qsort(ref, distinct, sizeof *ref, cmp_rank);
    for (size_t k = 0; k <= 3; k += 3) {
        size_t n = 0;
        mk_word_count *top = mk_wordtable_sorted(t, k, &n);
        check(top != NULL, "sorted: no memory");
        check(n == (k > 0 && k < distinct ? k : distinct), "sorted: length");
        for (size_t i = 0; i < n; i++)
            check(top[i].count == ref[i].count && top[i].len == ref[i].len &&
                      memcmp(top[i].word, ref[i].word, ref[i].len) == 0,
                  "sorted: order or content");
        free(top);
    }
    qsort(ref, distinct, sizeof *ref, cmp_word);
}

static void sort_cuts(size_t *cuts, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
}

/* The bytes as a packed buffer (u64 count, u32 length, bytes)*: accepted exactly when the
 * records tile it, and then every word's count is the (wrapping) sum of its records. */
static void fuzz_unpack(const unsigned char *buf, size_t len)
{
    ref_word *recs = malloc((len / 12 + 1) * sizeof *recs);
    size_t nrec = 0, pos = 0;
    int valid = 1;
    while (pos < len) {
        uint64_t count;
        uint32_t wlen;
        if (len - pos < 12) {
            valid = 0;
            break;
        }
        memcpy(&count, buf + pos, 8);
        memcpy(&wlen, buf + pos + 8, 4);
        pos += 12;
        if (wlen > len - pos) {
            valid = 0;
            break;
        }
        recs[nrec++] = (ref_word){(const char *)buf + pos, wlen, count};
        pos += wlen;
    }
    mk_wordtable *t = mk_wordtable_new(0);
    check(t != NULL, "unpack: no memory");
    int rc = mk_wordtable_unpack_add(t, (const char *)buf, len);
    check((rc == 0) == valid, "unpack verdict differs from the naive reader");
    if (valid) {
        uint64_t total = 0;
        for (size_t i = 0; i < nrec; i++)
            total += recs[i].count;
        size_t distinct = ref_merge(recs, nrec);
        check_table(t, recs, distinct, total);
    }
    mk_wordtable_free(t);
    free(recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int ncuts = data[0] & MAX_CUTS;
    size_t header = 1 + 2 * (size_t)ncuts;
    if (size < header)
        return 0;
    const unsigned char *text = data + header;
    size_t n = size - header;
    size_t cuts[MAX_CUTS];
    for (int i = 0; i < ncuts; i++) {
        size_t v = (size_t)data[1 + 2 * i] | (size_t)data[2 + 2 * i] << 8;
        cuts[i] = n ? v % (n + 1) : 0;
    }
    sort_cuts(cuts, ncuts);

    /* reference tokens: runs of ASCII letters, lowercased */
    char *lowered = malloc(n ? n : 1);
    ref_word *ref = malloc((n / 2 + 1) * sizeof *ref);
    size_t ntok = 0;
    for (size_t i = 0; i < n;) {
        if (!ref_letter(text[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < n && ref_letter(text[i])) {
            lowered[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i]);
            i++;
        }
        ref[ntok++] = (ref_word){lowered + s, i - s, 1};
    }
    size_t distinct = ref_merge(ref, ntok);

    /* the tokenizer, streamed chunk by chunk */
    mk_wordtable *t = mk_wordtable_new(0);
    check(t != NULL, "no memory");
    mk_tokenizer tk;
    mk_tokenizer_init(&tk, t);
    size_t from = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        unsigned char *chunk = malloc(to - from ? to - from : 1);
        memcpy(chunk, text + from, to - from);
        check(mk_tokenizer_feed(&tk, chunk, to - from) == 0, "feed failed");
        free(chunk);
        /* a token is open exactly when the text so far ends with a letter */
        int open = to > 0 && ref_letter(text[to - 1]);
        check(mk_tokenizer_in_token(&tk) == open, "in_token state");
        from = to;
    }
    check(mk_tokenizer_finish(&tk) == 0, "finish failed");
    check(tk.tokens == ntok, "token count");
    check_table(t, ref, distinct, ntok);

    /* pack -> unpack into a fresh table, and merge twice into another: same words */
    size_t m = 0;
    mk_word_count *all = mk_wordtable_sorted(t, 0, &m);
    char *packed = NULL;
    size_t packed_len = 0;
    check(all != NULL && mk_wordtable_pack(all, m, &packed, &packed_len) == 0, "pack failed");
    mk_wordtable *u = mk_wordtable_new(1);
    check(u != NULL && mk_wordtable_unpack_add(u, packed, packed_len) == 0, "unpack of a packed table failed");
    check_table(u, ref, distinct, ntok);
    mk_wordtable *twice = mk_wordtable_new(0);
    check(twice != NULL && mk_wordtable_merge(twice, t) == 0 && mk_wordtable_merge(twice, u) == 0, "merge failed");
    for (size_t i = 0; i < distinct; i++)
        ref[i].count *= 2;
    check_table(twice, ref, distinct, 2 * ntok);
    free(all);
    free(packed);
    mk_wordtable_free(u);
    mk_wordtable_free(twice);
    mk_tokenizer_free(&tk);
    mk_wordtable_free(t);
    free(ref);
    free(lowered);

    fuzz_unpack(text, n);
    return 0;
}
