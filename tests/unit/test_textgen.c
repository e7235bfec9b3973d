/* test_textgen.c - generated text: deterministic by (seed, page), well-formed, Zipf-shaped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/textgen.h"

#define PAGE MK_TEXTGEN_PAGE_SIZE

static unsigned char *page_of(const mk_textgen *g, uint64_t page, size_t size)
{
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    mk_textgen_page(g, page, buf, size);
    return buf;
}

/* The format every consumer relies on: printable ASCII and newlines, a final newline,
 * lines of at most 80 characters, single spaces between words, capital after a full stop. */
static void assert_well_formed(const unsigned char *buf, size_t size)
{
    assert_int_equal(buf[size - 1], '\n');
    size_t line_len = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = buf[i];
        assert_true(c == '\n' || (c >= 0x20 && c <= 0x7e));
        if (c == '\n') {
            line_len = 0;
            continue;
        }
        line_len++;
        assert_true(line_len <= 80);
        if (c == ' ') {
            assert_true(line_len > 1);          /* no leading space */
            assert_true(buf[i + 1] != ' ');     /* no double space */
            if (i + 1 < size - 1 && strchr(".?!", buf[i - 1]))
                assert_true((buf[i + 1] >= 'A' && buf[i + 1] <= 'Z') ||
                            (buf[i + 1] >= '0' && buf[i + 1] <= '9') || buf[i + 1] == '\'');
        }
    }
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    mk_textgen *a = mk_textgen_new(7, 20000, 1.0), *b = mk_textgen_new(7, 20000, 1.0);
    assert_non_null(a);
    assert_non_null(b);
    for (uint64_t p = 0; p < 4; p++) {
        unsigned char *x = page_of(a, p, PAGE), *y = page_of(b, p, PAGE);
        assert_memory_equal(x, y, PAGE);
        /* Page order must not matter: generate p again after others. */
        unsigned char *z = page_of(a, p, PAGE);
        assert_memory_equal(x, z, PAGE);
        free(x);
        free(y);
        free(z);
    }
    mk_textgen_free(a);
    mk_textgen_free(b);
}

static void test_pages_and_seeds_differ(void **state)
{
    (void)state;
    mk_textgen *a = mk_textgen_new(7, 20000, 1.0), *b = mk_textgen_new(8, 20000, 1.0);
    assert_non_null(a);
    assert_non_null(b);
    unsigned char *p0 = page_of(a, 0, PAGE), *p1 = page_of(a, 1, PAGE);
    unsigned char *far = page_of(a, (uint64_t)1 << 40, PAGE), *other = page_of(b, 0, PAGE);
    assert_memory_not_equal(p0, p1, PAGE);
    assert_memory_not_equal(p0, far, PAGE);
    assert_memory_not_equal(p0, other, PAGE);
    free(p0);
    free(p1);
    free(far);
    free(other);
    mk_textgen_free(a);
    mk_textgen_free(b);
}

static void test_pages_well_formed(void **state)
{
    (void)state;
    const double exponents[] = {0.0, 0.7, 1.0, 1.5};
    const size_t vocabs[] = {1, 50, 20000};
    for (size_t e = 0; e < 4; e++) {
        for (size_t v = 0; v < 3; v++) {
            mk_textgen *g = mk_textgen_new(e * 10 + v, vocabs[v], exponents[e]);
            assert_non_null(g);
            for (uint64_t p = 0; p < 8; p++) {
                unsigned char *buf = page_of(g, p * 1000003, PAGE);
                assert_well_formed(buf, PAGE);
                free(buf);
            }
            mk_textgen_free(g);
        }
    }
}

/* A shorter page is the longer one cut short with a newline in the last byte: the text
 * does not depend on the page size. */
static void test_small_pages(void **state)
{
    (void)state;
    mk_textgen *g = mk_textgen_new(3, 20000, 1.0);
    assert_non_null(g);
    unsigned char *full = page_of(g, 5, PAGE);
    const size_t sizes[] = {1, 2, 17, 80, 81, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *buf = page_of(g, 5, sizes[s]);
        assert_well_formed(buf, sizes[s]);
        assert_memory_equal(buf, full, sizes[s] - 1);
        free(buf);
    }
    unsigned char one = 'x';
    mk_textgen_page(g, 9, &one, 1);
    assert_int_equal(one, '\n');
    mk_textgen_page(g, 9, NULL, 0);  /* nothing to write, nothing touched */
    free(full);
    mk_textgen_free(g);
}

/* ---- word counts ---- */

typedef struct {
    char word[16];
    unsigned long count;
} word_count;

enum { TABLE = 1 << 16 };

static unsigned long *count_of(word_count *table, const char *word)
{
    uint64_t h = 1469598103934665603u;
    for (const char *c = word; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211u;
    for (size_t i = h & (TABLE - 1);; i = (i + 1) & (TABLE - 1)) {
        if (table[i].word[0] == 0)
            strcpy(table[i].word, word);
        if (strcmp(table[i].word, word) == 0)
            return &table[i].count;
    }
}

/* Count lower-cased letter runs of `pages` pages, leaving out each page's last line, where
 * a word may be cut short; returns the number of distinct words. */
static size_t count_words(const mk_textgen *g, uint64_t pages, word_count *table)
{
    unsigned char *buf = malloc(PAGE);
    assert_non_null(buf);
    size_t distinct = 0;
    for (uint64_t p = 0; p < pages; p++) {
        mk_textgen_page(g, p, buf, PAGE);
        size_t end = PAGE - 1;
        while (end > 0 && buf[end - 1] != '\n')
            end--;
        char word[16];
        size_t n = 0;
        for (size_t i = 0; i < end; i++) {
            unsigned char c = buf[i] | 0x20;
            if (c >= 'a' && c <= 'z') {
                assert_true(n < 12);
                word[n++] = (char)c;
                continue;
            }
            if (n > 0) {
                word[n] = 0;
                distinct += (*count_of(table, word))++ == 0;
                n = 0;
            }
        }
    }
    free(buf);
    return distinct;
}

static unsigned long count(word_count *table, const char *word)
{
    return *count_of(table, word);
}

/* With exponent 1 the k-th word is about 1/k as frequent as the first. */
static void test_zipf_frequencies(void **state)
{
    (void)state;
    word_count *table = calloc(TABLE, sizeof *table);
    assert_non_null(table);
    mk_textgen *g = mk_textgen_new(1, 20000, 1.0);
    assert_non_null(g);
    count_words(g, 64, table);
    unsigned long the = count(table, "the");
    for (size_t i = 0; i < TABLE; i++)
        assert_true(table[i].count <= the);
    double and_ratio = (double)the / (double)count(table, "and");
    double of_ratio = (double)the / (double)count(table, "of");
    double ten_ratio = (double)the / (double)count(table, "you");
    assert_true(and_ratio > 1.8 && and_ratio < 2.2);
    assert_true(of_ratio > 2.7 && of_ratio < 3.3);
    assert_true(ten_ratio > 9.0 && ten_ratio < 11.0);
    mk_textgen_free(g);
    free(table);
}

/* With a flat distribution over 300 words every word shows up, so the distinct count
 * shows the vocabulary has no duplicates (up to the few contraction tails like 's). */
static void test_vocabulary_distinct(void **state)
{
    (void)state;
    word_count *table = calloc(TABLE, sizeof *table);
    assert_non_null(table);
    mk_textgen *g = mk_textgen_new(9, 300, 0.0);
    assert_non_null(g);
    size_t distinct = count_words(g, 16, table);
    assert_true(distinct >= 300 && distinct <= 306);
    mk_textgen_free(g);
    free(table);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_null(mk_textgen_new(1, 0, 1.0));
    mk_textgen_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_pages_and_seeds_differ),
        cmocka_unit_test(test_pages_well_formed),
        cmocka_unit_test(test_small_pages),
        cmocka_unit_test(test_zipf_frequencies),
        cmocka_unit_test(test_vocabulary_distinct),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
