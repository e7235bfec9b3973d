/* Unit tests: block decomposition covers every item exactly once, remainders first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mpikit/partition.h"

static void test_array_split_semantics(void **state)
{
    (void)state;
    /* numpy.array_split(range(10), 3) -> sizes 4, 3, 3 */
    mk_range r0 = mk_block_range(10, 3, 0), r1 = mk_block_range(10, 3, 1), r2 = mk_block_range(10, 3, 2);
    assert_int_equal(r0.start, 0);
    assert_int_equal(r0.count, 4);
    assert_int_equal(r1.start, 4);
    assert_int_equal(r1.count, 3);
    assert_int_equal(r2.start, 7);
    assert_int_equal(r2.count, 3);
}

static void test_every_item_once(void **state)
{
    (void)state;
    for (uint64_t n = 0; n < 60; n++) {
        for (int p = 1; p <= 9; p++) {
            uint64_t next = 0;
            for (int i = 0; i < p; i++) {
                mk_range r = mk_block_range(n, p, i);
                assert_int_equal(r.start, next);
                /* sizes differ by at most one, larger ones first */
                assert_true(r.count == n / p || r.count == n / p + 1);
                if (i > 0)
                    assert_true(r.count <= mk_block_range(n, p, i - 1).count);
                for (uint64_t k = r.start; k < r.start + r.count; k++)
                    assert_int_equal(mk_block_owner(n, p, k), i);
                next += r.count;
            }
            assert_int_equal(next, n);
        }
    }
}

static void test_fewer_items_than_parts(void **state)
{
    (void)state;
    for (int i = 0; i < 7; i++) {
        mk_range r = mk_block_range(3, 7, i);
        assert_int_equal(r.count, i < 3 ? 1 : 0);
        assert_int_equal(r.start, i < 3 ? (uint64_t)i : 3);
    }
}

static void test_huge_counts(void **state)
{
    (void)state;
    uint64_t n = UINT64_C(1) << 62;
    mk_range last = mk_block_range(n + 5, 7, 6);
    assert_int_equal(last.start + last.count, n + 5);
    assert_int_equal(mk_block_owner(n + 5, 7, n + 4), 6);
}

static void test_counts_displs(void **state)
{
    (void)state;
    int counts[4], displs[4];
    assert_int_equal(mk_block_counts(10, 4, 3, counts, displs), 0);
    int expect_c[4] = {9, 9, 6, 6}, expect_d[4] = {0, 9, 18, 24};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(counts[i], expect_c[i]);
        assert_int_equal(displs[i], expect_d[i]);
    }
    /* does not fit an int: refused rather than truncated */
    assert_int_equal(mk_block_counts(UINT64_C(1) << 40, 4, 1, counts, displs), -1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mk_range r = mk_block_range(10, 0, 0);
    assert_int_equal(r.count, 0);
    r = mk_block_range(10, 3, 3);
    assert_int_equal(r.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_split_semantics), cmocka_unit_test(test_every_item_once),
        cmocka_unit_test(test_fewer_items_than_parts), cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_counts_displs),          cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
