/* test_normals.c - blocked sums of powers of normals: exact powers, fixed summation order,
 * the serial reference against a naive loop, moments, and the --powers parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/normals.h"
#include "mpikit/rng.h"

static void test_ipow(void **state)
{
    (void)state;
    assert_true(mk_normals_ipow(3.0, 0) == 1.0);
    assert_true(mk_normals_ipow(-2.0, 1) == -2.0);
    assert_true(mk_normals_ipow(-2.0, 15) == -32768.0);
    assert_true(mk_normals_ipow(1.5, 12) == 129.746337890625);  /* exact in binary */
    assert_true(mk_normals_ipow(0.0, 0) == 1.0);
}

static void test_nblocks(void **state)
{
    (void)state;
    assert_int_equal(mk_normals_nblocks(0, 10), 0);
    assert_int_equal(mk_normals_nblocks(1, 10), 1);
    assert_int_equal(mk_normals_nblocks(10, 10), 1);
    assert_int_equal(mk_normals_nblocks(11, 10), 2);
    assert_int_equal(mk_normals_nblocks(100000000, MK_NORMALS_BLOCK), 1526);
}

static void test_pairwise(void **state)
{
    (void)state;
    double v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = i + 1;
    assert_true(mk_sum_pairwise(v, 1000, 1) == 500500.0);
    assert_true(mk_sum_pairwise(v, 0, 1) == 0.0);
    assert_true(mk_sum_pairwise(v, 500, 2) == 250000.0);  /* 1 + 3 + ... + 999 */
    /* Cancellation a naive left-to-right loop gets wrong: 1e16 + 1 - 1e16 ... */
    double w[16] = {1e16, 1, -1e16, 1, 1e16, 1, -1e16, 1, 1e16, 1, -1e16, 1, 1e16, 1, -1e16, 1};
    double s = mk_sum_pairwise(w, 16, 1);
    assert_true(s == mk_sum_pairwise(w, 16, 1));  /* deterministic */
}

/* Each block's sums are a function of (seed, n, block, b) alone; the fast four-power path and
 * the one-power path (used by --split tasks) give the same bits. */
static void test_block_sums_paths_agree(void **state)
{
    (void)state;
    const int powers[4] = {1, 2, 12, 15};
    for (uint64_t b = 0; b < 3; b++) {
        double four[4], one;
        mk_normals_block_sums(7, 3, 2500, 1000, b, powers, 4, four);
        for (int k = 0; k < 4; k++) {
            mk_normals_block_sums(7, 3, 2500, 1000, b, &powers[k], 1, &one);
            assert_memory_equal(&one, &four[k], sizeof one);
        }
    }
    double past[4];
    mk_normals_block_sums(7, 3, 2500, 1000, 3, powers, 4, past);  /* beyond n: zeros */
    for (int k = 0; k < 4; k++)
        assert_true(past[k] == 0.0);
}

/* The blocked mean agrees with a naive serial loop over the same normals within a tolerance
 * scaled by the sum of magnitudes: |blocked - naive| <= 1e-12 * sum|x^p| / n. */
static void test_means_against_naive(void **state)
{
    (void)state;
    enum { N = 300001 };
    const int powers[5] = {0, 1, 2, 12, 15};
    for (int shared = 0; shared <= 1; shared++) {
        double means[5];
        assert_int_equal(mk_normals_means(42, N, 4096, powers, 5, shared, means), 0);
        for (int k = 0; k < 5; k++) {
            double naive = 0, mag = 0;
            uint32_t stream = shared ? 0 : (uint32_t)k;  /* fresh draws: power number k reads stream k */
            for (uint64_t i = 0; i < N; i++) {
                double y = mk_normals_ipow(mk_rng_std_normal(42, stream, i), powers[k]);
                naive += y;
                mag += fabs(y);
            }
            naive /= N;
            assert_true(fabs(means[k] - naive) <= 1e-12 * mag / N);
        }
        assert_true(means[0] == 1.0);
        /* The sample moments are near the true ones (|z| < 5). */
        assert_true(fabs(means[1]) < 5 * sqrt(1.0 / N));
        assert_true(fabs(means[2] - 1.0) < 5 * sqrt(2.0 / N));
    }
}

/* Fresh draws: the same power twice gives two different samples; shared draws give one. */
static void test_fresh_and_shared_draws(void **state)
{
    (void)state;
    const int powers[2] = {2, 2};
    double fresh[2], shared[2];
    assert_int_equal(mk_normals_means(5, 100000, 4096, powers, 2, 0, fresh), 0);
    assert_int_equal(mk_normals_means(5, 100000, 4096, powers, 2, 1, shared), 0);
    assert_true(fresh[0] != fresh[1]);
    assert_memory_equal(&shared[0], &shared[1], sizeof shared[0]);
    assert_memory_equal(&shared[0], &fresh[0], sizeof shared[0]);  /* stream 0 either way */
}

/* The summation order is fixed by the block grid: recomputing any partition of the blocks
 * (as ranks would) and combining in block order gives the same bits. */
static void test_partition_independent(void **state)
{
    (void)state;
    enum { N = 50000, B = 1024 };
    const int powers[2] = {2, 15};
    double ref[2];
    assert_int_equal(mk_normals_means(3, N, B, powers, 2, 0, ref), 0);
    uint64_t nb = mk_normals_nblocks(N, B);
    static double sums[64 * 2];
    for (int ranks = 1; ranks <= 7; ranks++) {
        memset(sums, 0, sizeof sums);
        for (int r = ranks - 1; r >= 0; r--)  /* any order of ranks */
            for (uint64_t b = nb * (uint64_t)r / (uint64_t)ranks; b < nb * (uint64_t)(r + 1) / (uint64_t)ranks; b++)
                for (int k = 0; k < 2; k++)
                    mk_normals_block_sums(3, mk_normals_stream(k, 0), N, B, b, &powers[k], 1, sums + 2 * b + k);
        for (int k = 0; k < 2; k++) {
            double m = mk_sum_pairwise(sums + k, nb, 2) / N;
            assert_memory_equal(&m, &ref[k], sizeof m);
        }
    }
}

static void test_moments(void **state)
{
    (void)state;
    assert_true(mk_normal_moment(0) == 1.0);
    assert_true(mk_normal_moment(1) == 0.0);
    assert_true(mk_normal_moment(2) == 1.0);
    assert_true(mk_normal_moment(4) == 3.0);
    assert_true(mk_normal_moment(12) == 10395.0);
    assert_true(mk_normal_moment(15) == 0.0);
}

static void test_parse_powers(void **state)
{
    (void)state;
    int p[4];
    assert_int_equal(mk_normals_parse_powers("1,2,12,15", p, 4), 4);
    assert_int_equal(p[0], 1);
    assert_int_equal(p[3], 15);
    assert_int_equal(mk_normals_parse_powers("0", p, 4), 1);
    assert_int_equal(mk_normals_parse_powers("64", p, 4), 1);
    assert_int_equal(mk_normals_parse_powers("65", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("1,2,3,4,5", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("1,", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers(",1", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("-1", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("1 2", p, 4), -1);
    assert_int_equal(mk_normals_parse_powers("x", p, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipow),
        cmocka_unit_test(test_nblocks),
        cmocka_unit_test(test_pairwise),
        cmocka_unit_test(test_block_sums_paths_agree),
        cmocka_unit_test(test_means_against_naive),
        cmocka_unit_test(test_partition_independent),
        cmocka_unit_test(test_fresh_and_shared_draws),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_parse_powers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
