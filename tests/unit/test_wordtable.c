/* Unit tests: tokenizer, word table, merge, top-K ties, pack/unpack. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/rng.h"
#include "mpikit/wordtable.h"

static uint64_t get(const mk_wordtable *t, const char *w) { return mk_wordtable_get(t, w, strlen(w)); }

static void test_tokenizer_rules(void **state)
{
    (void)state;
    mk_wordtable *t = mk_wordtable_new(0);
    mk_tokenizer tk;
    mk_tokenizer_init(&tk, t);
    const char *text = "The THE the, o'er don't\xc3\xa9t\xc3\xa9 x1y  A-b\r\n";
    assert_int_equal(mk_tokenizer_feed(&tk, (const unsigned char *)text, strlen(text)), 0);
    assert_int_equal(mk_tokenizer_finish(&tk), 0);
    assert_int_equal(get(t, "the"), 3);
    assert_int_equal(get(t, "o"), 1);
    assert_int_equal(get(t, "er"), 1);
    assert_int_equal(get(t, "don"), 1);
    assert_int_equal(get(t, "t"), 2);   /* "don't" and the t between two UTF-8 e-acutes */
    assert_int_equal(get(t, "x"), 1);
    assert_int_equal(get(t, "y"), 1);
    assert_int_equal(get(t, "a"), 1);
    assert_int_equal(get(t, "b"), 1);
    assert_int_equal(tk.tokens, 12);
    assert_int_equal(mk_wordtable_total(t), 12);
    mk_tokenizer_free(&tk);
    mk_wordtable_free(t);
}

/* Feeding a text in arbitrary pieces gives the same table as feeding it whole. */
static void test_tokenizer_split_anywhere(void **state)
{
    (void)state;
    char text[3000];
    for (size_t i = 0; i < sizeof text; i++) {
        uint64_t r = mk_rng_below(5, i, 10);
        text[i] = (char)(r < 7 ? "abcdEFG"[r] : (r == 7 ? ' ' : (r == 8 ? '\n' : '\'')));
    }
    /* one token longer than the tokenizer's on-stack buffer */
    memset(text + 100, 'Q', 300);
    mk_wordtable *whole = mk_wordtable_new(0);
    mk_tokenizer tk;
    mk_tokenizer_init(&tk, whole);
    mk_tokenizer_feed(&tk, (const unsigned char *)text, sizeof text);
    mk_tokenizer_finish(&tk);
    mk_tokenizer_free(&tk);
    for (uint64_t seed = 0; seed < 50; seed++) {
        mk_wordtable *pieces = mk_wordtable_new(0);
        mk_tokenizer_init(&tk, pieces);
        size_t pos = 0;
        while (pos < sizeof text) {
            size_t n = 1 + (size_t)mk_rng_below(seed, pos, 200);
            if (n > sizeof text - pos)
                n = sizeof text - pos;
            mk_tokenizer_feed(&tk, (const unsigned char *)text + pos, n);
            pos += n;
        }
        mk_tokenizer_finish(&tk);
        mk_tokenizer_free(&tk);
        assert_int_equal(mk_wordtable_size(pieces), mk_wordtable_size(whole));
        assert_int_equal(mk_wordtable_total(pieces), mk_wordtable_total(whole));
        size_t n;
        mk_word_count *all = mk_wordtable_sorted(whole, 0, &n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(mk_wordtable_get(pieces, all[i].word, all[i].len), all[i].count);
        free(all);
        mk_wordtable_free(pieces);
    }
    mk_wordtable_free(whole);
}

/* Reference for the tokenizer: a plain byte loop (C-locale isalpha/tolower) collecting
 * words into an array, counted by sorting; independent of the bit-mask scanner. */
typedef struct {
    char *word;
    size_t len;
} ref_word;

static int ref_cmp(const void *a, const void *b)
{
    const ref_word *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->word, y->word, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void check_against_reference(const unsigned char *text, size_t n, const mk_wordtable *t)
{
    ref_word *words = malloc((n / 2 + 1) * sizeof *words);
    size_t nw = 0;
    for (size_t i = 0; i < n;) {
        if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'))) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z')))
            j++;
        words[nw].word = malloc(j - i);
        for (size_t k = i; k < j; k++)
            words[nw].word[k - i] = (char)(text[k] >= 'A' && text[k] <= 'Z' ? text[k] - 'A' + 'a' : text[k]);
        words[nw++].len = j - i;
        i = j;
    }
    qsort(words, nw, sizeof *words, ref_cmp);
    size_t distinct = 0;
    for (size_t i = 0; i < nw;) {
        size_t j = i;
        while (j < nw && ref_cmp(&words[i], &words[j]) == 0)
            j++;
        assert_int_equal(mk_wordtable_get(t, words[i].word, words[i].len), j - i);
        distinct++;
        i = j;
    }
    assert_int_equal(mk_wordtable_size(t), distinct);
    assert_int_equal(mk_wordtable_total(t), nw);
    for (size_t i = 0; i < nw; i++)
        free(words[i].word);
    free(words);
}

/* Edges of the scanner: words of every length 1..300 (keys hold 16 bytes; > 255 bytes),
 * ending on and off 8-byte boundaries, every byte value (non-ASCII, '@', '[', '`', '{'
 * next to letters), fed whole and in random pieces, each piece in its own exact-size
 * allocation so a read past the end is caught by ASan. */
static void test_tokenizer_edges_vs_reference(void **state)
{
    (void)state;
    size_t n = 0, cap = 40000;
    unsigned char *text = malloc(cap);
    for (size_t len = 1; len <= 300 && n + 2 * len + 8 < cap; len++) {
        for (int copy = 0; copy < 2; copy++) {   /* each word twice: once counted, once found */
            for (size_t i = 0; i < len; i++)
                text[n++] = (unsigned char)("aBcDeFgHiJkLmNoPqRsTuVwXyZ"[(len + i) % 26]);
            uint64_t r = mk_rng_below(7, n, 256);
            text[n++] = mk_is_letter((unsigned char)r) ? ' ' : (unsigned char)r;
        }
    }
    while (n < cap) {   /* random bytes, letters likely */
        uint64_t r = mk_rng_below(11, n, 512);
        text[n] = r < 256 ? (unsigned char)r : (unsigned char)("zZaAqQ@[`{"[r % 10]);
        n++;
    }
    for (uint64_t seed = 0; seed < 8; seed++) {
        mk_wordtable *t = mk_wordtable_new(0);
        mk_tokenizer tk;
        mk_tokenizer_init(&tk, t);
        size_t pos = 0;
        while (pos < n) {
            size_t piece = seed == 0 ? n : 1 + (size_t)mk_rng_below(seed, pos, seed < 4 ? 40 : 3000);
            if (piece > n - pos)
                piece = n - pos;
            unsigned char *copy = malloc(piece);
            memcpy(copy, text + pos, piece);
            assert_int_equal(mk_tokenizer_feed(&tk, copy, piece), 0);
            free(copy);
            pos += piece;
        }
        assert_int_equal(mk_tokenizer_finish(&tk), 0);
        assert_int_equal(tk.tokens, mk_wordtable_total(t));
        check_against_reference(text, n, t);
        mk_tokenizer_free(&tk);
        mk_wordtable_free(t);
    }
    free(text);
}

static void test_growth_and_merge(void **state)
{
    (void)state;
    mk_wordtable *a = mk_wordtable_new(0), *b = mk_wordtable_new(0);
    char w[32];
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(w, sizeof w, "w%d", i);
        assert_int_equal(mk_wordtable_add(a, w, (size_t)n, 1), 0);
        if (i % 2 == 0)
            assert_int_equal(mk_wordtable_add(b, w, (size_t)n, 2), 0);
    }
    assert_int_equal(mk_wordtable_size(a), 50000);
    assert_int_equal(mk_wordtable_merge(a, b), 0);
    assert_int_equal(mk_wordtable_size(a), 50000);
    assert_int_equal(mk_wordtable_total(a), 50000 + 2 * 25000);
    assert_int_equal(get(a, "w4"), 3);
    assert_int_equal(get(a, "w5"), 1);
    assert_int_equal(get(a, "nope"), 0);
    mk_wordtable_free(a);
    mk_wordtable_free(b);
}

static void test_topk_ties_by_word(void **state)
{
    (void)state;
    mk_wordtable *t = mk_wordtable_new(0);
    mk_wordtable_add(t, "pear", 4, 5);
    mk_wordtable_add(t, "apple", 5, 5);
    mk_wordtable_add(t, "app", 3, 5);
    mk_wordtable_add(t, "zoo", 3, 9);
    mk_wordtable_add(t, "kiwi", 4, 1);
    size_t n;
    mk_word_count *top = mk_wordtable_sorted(t, 3, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(top[0].word, "zoo", 3);
    assert_memory_equal(top[1].word, "app", 3);    /* a prefix sorts first */
    assert_int_equal(top[1].len, 3);
    assert_memory_equal(top[2].word, "apple", 5);
    free(top);
    top = mk_wordtable_sorted(t, 100, &n);
    assert_int_equal(n, 5);
    free(top);
    mk_wordtable_free(t);
}

static void test_pack_roundtrip_and_malformed(void **state)
{
    (void)state;
    mk_wordtable *t = mk_wordtable_new(0);
    mk_wordtable_add(t, "alpha", 5, 7);
    mk_wordtable_add(t, "b", 1, UINT64_C(1) << 40);   /* counts past 2^32 survive */
    size_t n, len;
    char *buf;
    mk_word_count *all = mk_wordtable_sorted(t, 0, &n);
    assert_int_equal(mk_wordtable_pack(all, n, &buf, &len), 0);
    mk_wordtable *u = mk_wordtable_new(0);
    assert_int_equal(mk_wordtable_unpack_add(u, buf, len), 0);
    assert_int_equal(get(u, "b"), UINT64_C(1) << 40);
    assert_int_equal(get(u, "alpha"), 7);
    assert_int_equal(mk_wordtable_unpack_add(u, buf, len - 1), -1);   /* truncated */
    free(buf);
    free(all);
    mk_wordtable_free(t);
    mk_wordtable_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_rules),   cmocka_unit_test(test_tokenizer_split_anywhere),
        cmocka_unit_test(test_tokenizer_edges_vs_reference),
        cmocka_unit_test(test_growth_and_merge),  cmocka_unit_test(test_topk_ties_by_word),
        cmocka_unit_test(test_pack_roundtrip_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
