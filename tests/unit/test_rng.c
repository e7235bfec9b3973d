/* test_rng.c - the counter-based RNG: pinned values, rank-split independence, distributions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- Philox4x32-10 and the ziggurat normals ---- */

/* The known-answer vectors of the Random123 library (kat_vectors, "philox4x32 7" and
 * "philox4x32 10" lines: counter, key, expected output), as published with Salmon et al. 2011. */
static void test_philox_known_answers(void **state)
{
    (void)state;
    static const struct {
        int rounds;
        uint32_t ctr[4], key[2], want[4];
    } kat[] = {
        {7, {0, 0, 0, 0}, {0, 0}, {0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48}},
        {7, {~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662}},
        {7, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a}},
        {10, {0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {10, {~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {10, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t t = 0; t < sizeof kat / sizeof kat[0]; t++) {
        uint32_t out[4];
        mk_philox4x32(kat[t].ctr, kat[t].key, kat[t].rounds, out);
        for (int k = 0; k < 4; k++)
            assert_int_equal(out[k], kat[t].want[k]);
    }
}

/* The ziggurat, recomputed in long double: every layer has area V = r f(r) + the tail mass. */
typedef struct {
    uint64_t ki[256];
    long double wi[256], fi[256];
} zig_tables;

static void zig_regenerate(zig_tables *t)
{
    const long double r = 3.6541528853610087963519472518L, scale = 0x1p52L;
    long double fr = expl(-0.5L * r * r);
    long double v = r * fr + sqrtl(acosl(-1.0L) / 2) * erfcl(r / sqrtl(2.0L));
    long double x[256];
    x[255] = r;
    for (int i = 254; i >= 1; i--)  /* the layer below x[i+1] has area v: f(x[i]) = f(x[i+1]) + v / x[i+1] */
        x[i] = sqrtl(-2.0L * logl(expl(-0.5L * x[i + 1] * x[i + 1]) + v / x[i + 1]));
    x[0] = 0;
    for (int i = 0; i < 256; i++) {
        t->ki[i] = (uint64_t)llroundl(i == 0 ? r * fr / v * scale : x[i - 1] / x[i] * scale);
        t->wi[i] = i == 0 ? v / fr / scale : x[i] / scale;
        t->fi[i] = i == 0 ? 1.0L : expl(-0.5L * x[i] * x[i]);
    }
}

static void print_tables(void)
{
    zig_tables t;
    zig_regenerate(&t);
    printf("const uint64_t mk_zig_ki[256] = {\n");
    for (int i = 0; i < 256; i++)
        printf("%s0x%013llxu,%s", i % 4 == 0 ? "    " : "", (unsigned long long)t.ki[i], i % 4 == 3 ? "\n" : " ");
    const long double *rows[2] = {t.wi, t.fi};
    const char *names[2] = {"mk_zig_wi", "mk_zig_fi"};
    for (int a = 0; a < 2; a++) {
        printf("};\n\nconst double %s[256] = {\n", names[a]);
        for (int i = 0; i < 256; i++)
            printf("%s%a,%s", i % 3 == 0 ? "    " : "", (double)rows[a][i], (i % 3 == 2 || i == 255) ? "\n" : " ");
    }
    printf("};\n");
}

/* The constants in src/rng_tables.c against the regeneration: a ki off by more than rounding
 * or a layer edge off by more than a few ulps would bias the distribution. */
static int long_double_is_extended(void)
{
    volatile long double x = 1.0L;
    x += 0x1p-60L;
    return x != 1.0L;
}

static void test_ziggurat_tables(void **state)
{
    (void)state;
    zig_tables t;
    zig_regenerate(&t);
    /* Valgrind runs long double arithmetic at double precision: the regeneration is then only
     * good to some 2^-40, so there the check is a coarse one (memcheck is the point there). */
    int extended = long_double_is_extended();
    long double rel = extended ? 0x1p-50L : 0x1p-30L;
    uint64_t max_d = extended ? 2 : (uint64_t)1 << 24;
    assert_int_equal(mk_zig_ki[1], 0);
    for (int i = 0; i < 256; i++) {
        uint64_t d = mk_zig_ki[i] > t.ki[i] ? mk_zig_ki[i] - t.ki[i] : t.ki[i] - mk_zig_ki[i];
        assert_true(d <= max_d);
        assert_true(fabsl(mk_zig_wi[i] - t.wi[i]) <= rel * t.wi[i]);
        assert_true(fabsl(mk_zig_fi[i] - t.fi[i]) <= rel * t.fi[i]);
        if (i > 0)  /* layers strictly ascending, heights strictly descending */
            assert_true(mk_zig_wi[i] > (i > 1 ? mk_zig_wi[i - 1] : 0) && mk_zig_fi[i] < mk_zig_fi[i - 1]);
    }
    assert_true(mk_zig_wi[255] * 0x1p52 == MK_ZIG_R);
}

/* Every kernel this CPU runs gives the bits of the one-at-a-time function, for odd and even
 * starts, lengths around the 512-block batch, and a range crossing block 2^32 (index 2^33). */
static void test_std_normals_kernels_agree(void **state)
{
    (void)state;
    enum { N = 3001 };
    static double want[N], got[N];
    const uint64_t starts[] = {0, 1, 1023, 1024, ((uint64_t)1 << 33) - 1500, UINT64_MAX / 3};
    const size_t lengths[] = {0, 1, 2, 3, 1023, 1024, 1025, N};
    const char *kernels[] = {"scalar", "avx2", "avx512"};
    int ran = 0;
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        for (size_t i = 0; i < N; i++)
            want[i] = mk_rng_std_normal(77, 5, starts[s] + i);
        for (size_t k = 0; k < 3; k++)
            for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
                memset(got, 0, sizeof got);
                if (mk_rng_std_normals_with(kernels[k], 77, 5, starts[s], lengths[l], got) != 0)
                    continue;  /* this CPU lacks the kernel */
                ran++;
                if (lengths[l] > 0)
                    assert_memory_equal(got, want, lengths[l] * sizeof got[0]);
                if (lengths[l] < N)  /* nothing written past the end */
                    assert_true(got[lengths[l]] == 0.0);
            }
    }
    assert_true(ran >= 6 * 8);  /* at least the scalar kernel ran everywhere */
    mk_rng_std_normals(77, 5, 1, N, got);  /* the default kernel */
    for (size_t i = 0; i < N; i++)
        assert_true(got[i] == mk_rng_std_normal(77, 5, 1 + i));
    assert_int_equal(mk_rng_std_normals_with("sse9", 77, 5, 0, 1, got), -1);
}

/* Pinned values: a change to the counter layout, the tables or the ziggurat shows here. */
static void test_std_normal_pinned(void **state)
{
    (void)state;
    static const double want[] = {
        0x1.d84268f627622p-1, 0x1.5a7e164df2b47p+0, -0x1.1983f70cd82e3p-1, 0x1.cb8688a8cce52p-1,
        0x1.dcaaecc25b117p-3, -0x1.4a5c4932b11a7p-2, 0x1.112c2d21f5145p-1, -0x1.2e64f7820535fp-5,
    };
    for (uint64_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_true(mk_rng_std_normal(42, 0, i) == want[i]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* sqrt(n) times the Kolmogorov-Smirnov distance of x[0..n-1] (sorted in place) from the normal
 * CDF: asymptotically Kolmogorov-distributed, P(> 1.95) = 1e-3. */
static double ks_statistic(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = normal_cdf(x[i]), lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
        d = fmax(d, fmax(lo, hi));
    }
    return sqrt((double)n) * d;
}

/* 10^6 normals of one stream: moments, a Kolmogorov-Smirnov test against the normal CDF and a
 * chi-square test on 200 equiprobable bins. Each bound is beyond the 1e-4 quantile of its
 * statistic, so a correct generator fails with probability < 1e-3 (and a fixed seed makes that
 * a fixed outcome), while a biased one (a wrong table entry, a missing tail) fails. */
static void test_std_normal_distribution(void **state)
{
    (void)state;
    double *x = malloc(DRAWS * sizeof *x);
    assert_non_null(x);
    mk_rng_std_normals(2026, 1, 0, DRAWS, x);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    enum { BINS = 200 };
    uint64_t bins[BINS] = {0};
    for (size_t i = 0; i < DRAWS; i++) {
        double z = x[i], z2 = z * z;
        assert_true(isfinite(z));
        s1 += z, s2 += z2, s3 += z2 * z, s4 += z2 * z2;
        int b = (int)(normal_cdf(z) * BINS);
        bins[b < BINS ? b : BINS - 1]++;
    }
    /* standard errors at 1e6: mean 1e-3, E[x^2] 1.4e-3, E[x^3] 3.9e-3, E[x^4] 9.8e-3; bounds 5 sigma */
    assert_true(fabs(s1 / DRAWS) < 0.005);
    assert_true(fabs(s2 / DRAWS - 1.0) < 0.0071);
    assert_true(fabs(s3 / DRAWS) < 0.0194);
    assert_true(fabs(s4 / DRAWS - 3.0) < 0.049);
    /* chi-square, 199 degrees of freedom: mean 199, sd 19.9; 1e-4 quantile about 283 */
    double chi2 = 0, expected = (double)DRAWS / BINS;
    for (int b = 0; b < BINS; b++) {
        double d = (double)bins[b] - expected;
        chi2 += d * d / expected;
    }
    assert_true(chi2 < 283.0);
    assert_true(ks_statistic(x, DRAWS) < 1.95);
    /* and at smaller sample sizes, other streams (a bias can show at one n and not another) */
    for (uint32_t n = 1000, stream = 10; n < DRAWS; n *= 10, stream++) {
        mk_rng_std_normals(2026, stream, 0, n, x);
        assert_true(ks_statistic(x, n) < 1.95);
    }
    free(x);
}

/* The tail path (|x| > r = 3.654, 0.026 % of draws) and the far tail, on 10^8 draws
 * (about 0.3 s): counts within 5 sigma of n P(|x| > t); beyond 5 sigma about 57 are expected. */
static void test_std_normal_tails(void **state)
{
    (void)state;
    enum { TAIL_DRAWS = 100000000, CHUNK = 1 << 16 };
    static double x[CHUNK];
    const double t[4] = {3.0, MK_ZIG_R, 4.5, 5.0};
    uint64_t count[4] = {0};
    double biggest = 0;
    for (uint64_t first = 0; first < TAIL_DRAWS; first += CHUNK) {
        mk_rng_std_normals(9, 2, first, CHUNK, x);
        for (size_t i = 0; i < CHUNK; i++) {
            double a = fabs(x[i]);
            biggest = fmax(biggest, a);
            if (a > t[0])  /* (rare: keeps the loop cheap) */
                for (int k = 0; k < 4; k++)
                    count[k] += a > t[k];
        }
    }
    uint64_t drawn = (uint64_t)TAIL_DRAWS / CHUNK * CHUNK;  /* whole chunks */
    double n = (double)drawn;
    for (int k = 0; k < 4; k++) {
        double mean = n * erfc(t[k] / sqrt(2.0));
        assert_true(fabs((double)count[k] - mean) < 5 * sqrt(mean));
    }
    assert_true(biggest > 5.0 && biggest < 7.5);
}

/* Streams of one seed are different sequences, uncorrelated (|r| < 5 / sqrt(n)). */
static void test_std_normal_streams(void **state)
{
    (void)state;
    enum { N = 200000 };
    static double a[N], b[N];
    mk_rng_std_normals(42, 0, 0, N, a);
    mk_rng_std_normals(42, 1, 0, N, b);
    double sab = 0;
    for (size_t i = 0; i < N; i++)
        sab += a[i] * b[i];
    assert_true(fabs(sab / N) < 5 / sqrt((double)N));
    assert_true(a[0] != b[0] && a[1] != b[1]);
    mk_rng_std_normals(43, 0, 0, N, b);
    assert_true(a[0] != b[0]);
}

int main(int argc, char **argv)
{
    /* test_rng --print-tables: the generator of src/rng_tables.c's constants */
    if (argc == 2 && strcmp(argv[1], "--print-tables") == 0) {
        print_tables();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_ziggurat_tables),
        cmocka_unit_test(test_std_normals_kernels_agree),
        cmocka_unit_test(test_std_normal_pinned),
        cmocka_unit_test(test_std_normal_distribution),
        cmocka_unit_test(test_std_normal_tails),
        cmocka_unit_test(test_std_normal_streams),
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
