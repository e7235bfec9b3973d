/* test_rng.c - the counter-based RNG: pinned values, rank-split independence, distributions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <cmocka.h>

#include "mpikit/rng.h"

/* Large enough that the moment checks below are tight, small enough to run in well under a second. */
#define DRAWS 1000000

/* Any change to the mix changes every generated data set; these pin it. */
static void test_known_values(void **state)
{
    (void)state;
    static const uint64_t want[] = {
        0xd738449886d31f93u, 0xa97f21c5a3e55576u, 0x6c718199caba01adu,
        0x36004c5d2de9ca3fu, 0x69ec5a7653690861u, 0x0228f13e7fa021a8u,
    };
    for (uint64_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(mk_rng_u64(42, i), want[i]);
}

static void test_deterministic_and_keyed(void **state)
{
    (void)state;
    for (uint64_t i = 0; i < 1000; i++) {
        assert_int_equal(mk_rng_u64(7, i), mk_rng_u64(7, i));
        assert_true(mk_rng_normal(7, i) == mk_rng_normal(7, i));
        assert_int_equal(mk_rng_below(7, i, 1000), mk_rng_below(7, i, 1000));
        /* Neighbouring seeds and indices must not give equal or swapped values. */
        assert_int_not_equal(mk_rng_u64(7, i), mk_rng_u64(8, i));
        assert_int_not_equal(mk_rng_u64(7, i), mk_rng_u64(7, i + 1));
        assert_int_not_equal(mk_rng_u64(7, i + 8), mk_rng_u64(8 + i, 7));
    }
}

/* The point of a counter-based RNG: each "rank" draws only its own indices and the
 * concatenation is the same sequence for every rank count. */
static void test_rank_split_independent(void **state)
{
    (void)state;
    enum { N = 10007 };
    static uint64_t serial[N], split[N];
    mk_rng r;
    mk_rng_init(&r, 99, 0);
    for (uint64_t i = 0; i < N; i++)
        serial[i] = mk_rng_next_u64(&r);
    for (int ranks = 1; ranks <= 13; ranks++) {
        for (int rank = 0; rank < ranks; rank++) {
            uint64_t first = (uint64_t)N * (uint64_t)rank / (uint64_t)ranks;
            uint64_t end = (uint64_t)N * (uint64_t)(rank + 1) / (uint64_t)ranks;
            mk_rng mine;
            mk_rng_init(&mine, 99, first);
            for (uint64_t i = first; i < end; i++)
                split[i] = mk_rng_next_u64(&mine);
        }
        assert_memory_equal(serial, split, sizeof serial);
    }
}

static void test_stream_matches_stateless(void **state)
{
    (void)state;
    mk_rng r;
    mk_rng_init(&r, 5, 1000);
    for (uint64_t i = 1000; i < 1300; i += 3) {
        assert_int_equal(mk_rng_next_u64(&r), mk_rng_u64(5, i));
        assert_true(mk_rng_next_uniform(&r) == mk_rng_uniform(5, i + 1));
        assert_int_equal(mk_rng_next_below(&r, 37), mk_rng_below(5, i + 2, 37));
    }
    assert_int_equal(r.next, 1300);
}

/* Uniform on [0,1): mean 1/2, variance 1/12. With 1e6 draws the standard error of the
 * mean is 2.9e-4 and of the variance 7.5e-5; the tolerances are over 6 sigma. */
static void test_uniform_moments(void **state)
{
    (void)state;
    double sum = 0, sumsq = 0, lo = 1, hi = 0;
    for (uint64_t i = 0; i < DRAWS; i++) {
        double u = mk_rng_uniform(3, i);
        sum += u;
        sumsq += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    double mean = sum / DRAWS, var = sumsq / DRAWS - mean * mean;
    assert_true(lo >= 0.0 && hi < 1.0);
    assert_true(fabs(mean - 0.5) < 0.002);
    assert_true(fabs(var - 1.0 / 12.0) < 0.0005);
}

/* 1e6 draws over 10 buckets: each count is 1e5 +- 300 (1 sigma), so +-2500 cannot fail by chance. */
static void test_below_range_and_uniformity(void **state)
{
    (void)state;
    uint64_t counts[10] = {0};
    for (uint64_t i = 0; i < DRAWS; i++) {
        uint64_t v = mk_rng_below(11, i, 10);
        assert_true(v < 10);
        counts[v]++;
    }
    for (int b = 0; b < 10; b++)
        assert_true(counts[b] > 97500 && counts[b] < 102500);
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(mk_rng_below(11, i, 1), 0);
}

/* The portable 64x64 multiply in mk_rng_below against the compiler's 128-bit one: on an
 * accepted first draw the result is the high half of draw * bound. */
__extension__ typedef unsigned __int128 u128;

static void test_below_is_lemire(void **state)
{
    (void)state;
    const uint64_t bounds[] = {3, 1000, 0xFFFFFFFFu, 0x100000001u, 0xDEADBEEFCAFEu, UINT64_MAX};
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
        for (uint64_t i = 0; i < 10000; i++) {
            u128 m = (u128)mk_rng_u64(21, i) * bounds[b];
            if ((uint64_t)m >= bounds[b])  /* no rejection possible */
                assert_int_equal(mk_rng_below(21, i, bounds[b]), (uint64_t)(m >> 64));
        }
    }
}

/* A bound just above 2^63 rejects almost half the first draws: the retries must stay in
 * range and deterministic. */
static void test_below_rejection(void **state)
{
    (void)state;
    const uint64_t bound = ((uint64_t)1 << 63) + 12345;
    uint64_t above_half = 0;
    for (uint64_t i = 0; i < 10000; i++) {
        uint64_t v = mk_rng_below(13, i, bound);
        assert_true(v < bound);
        assert_int_equal(v, mk_rng_below(13, i, bound));
        above_half += v >= ((uint64_t)1 << 62);
    }
    /* Half the values lie above 2^62; sigma of the count is 50. */
    assert_true(above_half > 4700 && above_half < 5300);
}

/* Standard normal: mean 0 (se 1e-3), variance 1 (se 1.4e-3), tolerances over 6 sigma. */
static void test_normal_moments(void **state)
{
    (void)state;
    double sum = 0, sumsq = 0;
    for (uint64_t i = 0; i < DRAWS; i++) {
        double z = mk_rng_normal(17, i);
        assert_true(isfinite(z));
        sum += z;
        sumsq += z * z;
    }
    double mean = sum / DRAWS, var = sumsq / DRAWS - mean * mean;
    assert_true(fabs(mean) < 0.007);
    assert_true(fabs(var - 1.0) < 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_deterministic_and_keyed),
        cmocka_unit_test(test_rank_split_independent),
        cmocka_unit_test(test_stream_matches_stateless),
        cmocka_unit_test(test_uniform_moments),
        cmocka_unit_test(test_below_range_and_uniformity),
        cmocka_unit_test(test_below_is_lemire),
        cmocka_unit_test(test_below_rejection),
        cmocka_unit_test(test_normal_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
