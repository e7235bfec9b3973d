/* Unit tests: the vectorised wc kernels equal the byte loop, and the carry composes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/rng.h"
#include "mpikit/wc.h"

/* Independent reference: the rule written the most direct way, one byte at a time. */
static mk_wc_counts reference(const unsigned char *p, size_t n)
{
    mk_wc_counts c = {0, 0, n};
    int in = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        if (b == '\n')
            c.lines++;
        if (b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r')
            in = 0;
        else if (b >= 0x21 && b <= 0x7e) {
            if (!in)
                c.words++;
            in = 1;
        }
    }
    return c;
}

/* Bytes biased towards the interesting classes, so every transition shows up. */
static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    static const unsigned char alphabet[] = {'a', 'b', ' ', '\n', '\t', '\r', '\v', '\f', 0, 1, 0x7f, 0x80, 0xff, '!', '~', 0x1b};
    for (size_t i = 0; i < n; i++)
        p[i] = alphabet[mk_rng_below(seed, i, sizeof alphabet)];
}

static const char *kernels[] = {"scalar", "portable", "avx2", "avx512"};

static void test_kernels_match_reference(void **state)
{
    (void)state;
    unsigned char buf[1000];
    for (uint64_t seed = 1; seed < 300; seed++) {
        size_t n = (size_t)mk_rng_below(seed, 99999, sizeof buf + 1);
        fill(buf, n, seed);
        mk_wc_counts ref = reference(buf, n);
        for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++) {
            mk_wc_state st;
            mk_wc_init(&st);
            if (mk_wc_update_with(kernels[k], &st, buf, n) != 0)
                continue; /* this CPU lacks it */
            assert_int_equal(st.counts.lines, ref.lines);
            assert_int_equal(st.counts.words, ref.words);
            assert_int_equal(st.counts.bytes, ref.bytes);
        }
        mk_wc_state st;
        mk_wc_init(&st);
        mk_wc_update(&st, buf, n);
        assert_int_equal(st.counts.words, ref.words);
    }
}

static void test_text_only_and_neutral_runs(void **state)
{
    (void)state;
    /* long neutral runs crossing 64-byte blocks after a word and after a space */
    unsigned char buf[300];
    memset(buf, 0x80, sizeof buf);
    buf[0] = 'x';
    buf[150] = ' ';
    buf[299] = 'y';
    mk_wc_counts ref = reference(buf, sizeof buf);
    assert_int_equal(ref.words, 2);
    for (size_t k = 0; k < 4; k++) {
        mk_wc_state st;
        mk_wc_init(&st);
        if (mk_wc_update_with(kernels[k], &st, buf, sizeof buf) == 0)
            assert_int_equal(st.counts.words, 2);
    }
}

/* Split a buffer in pieces anywhere; counting pieces separately and fixing with the
 * composed carry must give the whole buffer's count. This is what the ranks do. */
static void test_pieces_with_carry(void **state)
{
    (void)state;
    unsigned char buf[2000];
    for (uint64_t seed = 1; seed < 200; seed++) {
        size_t n = 1 + (size_t)mk_rng_below(seed, 1, sizeof buf);
        fill(buf, n, seed * 7);
        mk_wc_counts ref = reference(buf, n);
        int pieces = 1 + (int)mk_rng_below(seed, 2, 9);
        size_t cuts[12];
        cuts[0] = 0;
        for (int i = 1; i < pieces; i++)
            cuts[i] = (size_t)mk_rng_below(seed, 10 + (uint64_t)i, n + 1);
        cuts[pieces] = n;
        /* sort the cuts (pieces may be empty, like ranks with no bytes) */
        for (int i = 1; i < pieces; i++)
            for (int j = i + 1; j < pieces; j++)
                if (cuts[j] < cuts[i]) {
                    size_t t = cuts[i];
                    cuts[i] = cuts[j];
                    cuts[j] = t;
                }
        mk_wc_carry before = MK_WC_CARRY_IDENTITY;
        uint64_t words = 0;
        for (int i = 0; i < pieces; i++) {
            mk_wc_state st;
            mk_wc_init(&st);
            /* within a piece, feed in small chunks to exercise the sequential carry too */
            for (size_t p = cuts[i]; p < cuts[i + 1]; p += 37) {
                size_t len = cuts[i + 1] - p < 37 ? cuts[i + 1] - p : 37;
                mk_wc_update(&st, buf + p, len);
            }
            int start = (before >> 0) & 1;   /* the state entering piece i, from state 0 */
            mk_wc_fixup(&st, i == 0 ? 0 : start);
            words += st.counts.words;
            before = mk_wc_carry_compose(before, mk_wc_carry_of(&st));
        }
        assert_int_equal(words, ref.words);
    }
}

static void test_carry_compose_table(void **state)
{
    (void)state;
    const mk_wc_carry all[4] = {0x0, 0x1, 0x2, 0x3};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            mk_wc_carry c = mk_wc_carry_compose(all[a], all[b]);
            for (int s = 0; s < 2; s++) {
                int mid = (all[a] >> s) & 1;
                assert_int_equal((c >> s) & 1, (all[b] >> mid) & 1);
            }
        }
    /* identity on either side changes nothing; composition is associative */
    for (int a = 0; a < 4; a++) {
        assert_int_equal(mk_wc_carry_compose(MK_WC_CARRY_IDENTITY, all[a]), all[a]);
        assert_int_equal(mk_wc_carry_compose(all[a], MK_WC_CARRY_IDENTITY), all[a]);
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++)
                assert_int_equal(mk_wc_carry_compose(mk_wc_carry_compose(all[a], all[b]), all[c]),
                                 mk_wc_carry_compose(all[a], mk_wc_carry_compose(all[b], all[c])));
    }
}

static void test_print_like_wc(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mk_wc_counts c[2] = {{124456, 901325, 5458199}, {0, 0, 0}};
    const char *names[2] = {"t8.shakespeare.txt", "empty"};
    mk_wc_print(f, names, c, 1);
    mk_wc_print(f, names, c, 2);
    fclose(f);
    assert_string_equal(text, " 124456  901325 5458199 t8.shakespeare.txt\n"
                              " 124456  901325 5458199 t8.shakespeare.txt\n"
                              "      0       0       0 empty\n"
                              " 124456  901325 5458199 total\n");
    free(text);
}

/* -l/-w/-c: wc's order whatever the selection, one count of one file unpadded. */
static void test_print_selected_like_wc(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mk_wc_counts c[2] = {{236, 1385, 9764}, {165, 960, 7000}};
    const char *names[2] = {"a", "b"};
    mk_wc_print_selected(f, names, c, 1, MK_WC_LINES);
    mk_wc_print_selected(f, names, c, 1, MK_WC_LINES | MK_WC_BYTES);
    mk_wc_print_selected(f, names, c, 2, MK_WC_WORDS);
    mk_wc_print_selected(f, names, c, 1, 0);
    fclose(f);
    assert_string_equal(text, "236 a\n"
                              " 236 9764 a\n"
                              " 1385 a\n  960 b\n 2345 total\n"
                              " 236 1385 9764 a\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_selected_like_wc),
        cmocka_unit_test(test_kernels_match_reference), cmocka_unit_test(test_text_only_and_neutral_runs),
        cmocka_unit_test(test_pieces_with_carry),       cmocka_unit_test(test_carry_compose_table),
        cmocka_unit_test(test_print_like_wc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
