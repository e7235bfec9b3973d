/* Unit tests: splitting several files' bytes over ranks covers every byte once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mpikit/textsplit.h"

static void check_cover(uint64_t *sizes, int nfiles)
{
    const char *paths[16] = {0};
    mk_fileset fs = {nfiles, paths, sizes, 0};
    for (int i = 0; i < nfiles; i++)
        fs.total += sizes[i];
    for (int p = 1; p <= 9; p++) {
        uint64_t covered[16] = {0};
        uint64_t expect_next_file = 0, expect_next_off = 0, bytes_total = 0;
        for (int r = 0; r < p; r++) {
            mk_segment *segs;
            int n;
            assert_int_equal(mk_split_bytes(&fs, p, r, &segs, &n), 0);
            uint64_t mine = 0;
            for (int i = 0; i < n; i++) {
                assert_true(segs[i].length > 0);
                /* segments come in stream order, continuing where the previous ended */
                while (expect_next_file < (uint64_t)nfiles && expect_next_off == sizes[expect_next_file]) {
                    expect_next_file++;
                    expect_next_off = 0;
                }
                assert_int_equal(segs[i].file, expect_next_file);
                assert_int_equal(segs[i].offset, expect_next_off);
                expect_next_off += segs[i].length;
                covered[segs[i].file] += segs[i].length;
                mine += segs[i].length;
            }
            /* balanced by bytes: every rank within one byte of the others */
            assert_true(mine == fs.total / (uint64_t)p || mine == fs.total / (uint64_t)p + 1);
            bytes_total += mine;
            free(segs);
        }
        assert_int_equal(bytes_total, fs.total);
        for (int i = 0; i < nfiles; i++)
            assert_int_equal(covered[i], sizes[i]);
    }
}

static void test_one_file(void **state)
{
    (void)state;
    uint64_t s[1] = {1000003};
    check_cover(s, 1);
}

static void test_uneven_files_and_empties(void **state)
{
    (void)state;
    uint64_t s[6] = {0, 5, 100000, 0, 1, 77};
    check_cover(s, 6);
}

static void test_fewer_bytes_than_ranks(void **state)
{
    (void)state;
    uint64_t s[2] = {1, 2};
    check_cover(s, 2);
}

static void test_all_empty(void **state)
{
    (void)state;
    uint64_t s[2] = {0, 0};
    check_cover(s, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_file),
        cmocka_unit_test(test_uneven_files_and_empties),
        cmocka_unit_test(test_fewer_bytes_than_ranks),
        cmocka_unit_test(test_all_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
