/* rng.c - counter-based random numbers: every value is a pure function of (seed, index).
 *
 * Nothing is carried from one draw to the next, so a rank can jump straight to the
 * indices it owns and the numbers do not depend on how the index range is split. */
#include "mpikit/rng.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MK_RNG_X86 1
#include <immintrin.h>
#endif

#define GOLDEN 0x9E3779B97F4A7C15u  /* 2^64 / phi: odd, so index * GOLDEN is a bijection */

/* Domain tags keep the derived streams (retries, normals) away from the plain draws of
 * the same seed, so mixing calls on one seed never reuses the bits of another call. */
#define TAG_RETRY   0x52455452595F5447u
#define TAG_NORMAL1 0x4E4F524D414C5F31u
#define TAG_NORMAL2 0x4E4F524D414C5F32u

/* Pelle Evensen's moremur finalizer: a bijection of 64 bits with full avalanche. */
static uint64_t mix(uint64_t z)
{
    z ^= z >> 27;
    z *= 0x3C79AC492BA7B653u;
    z ^= z >> 33;
    z *= 0x1C69B3F74AC4AE35u;
    z ^= z >> 27;
    return z;
}

uint64_t mk_rng_u64(uint64_t seed, uint64_t index)
{
    /* The key is mixed first so neighbouring seeds are unrelated. Two rounds over the
     * counter follow: one round alone (splitmix64 from a keyed start) would make every
     * seed a shifted window of one single sequence, so streams could overlap; xoring
     * the key back in between the rounds breaks that structure. For a fixed seed the
     * map index -> value is a bijection, so a stream never repeats within 2^64 draws. */
    uint64_t key = mix(seed ^ GOLDEN);
    return mix(mix(key + index * GOLDEN) ^ key);
}

double mk_rng_uniform(uint64_t seed, uint64_t index)
{
    return (double)(mk_rng_u64(seed, index) >> 11) * 0x1.0p-53;
}

/* High and low 64 bits of a * b, in portable C (no 128-bit integer type in C11). */
static uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    *lo = (mid << 32) | (ll & 0xFFFFFFFFu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t mk_rng_below(uint64_t seed, uint64_t index, uint64_t bound)
{
    /* Lemire's multiply-and-reject. A rejected draw is replaced by retry r of a stream
     * keyed by the first draw, so the result is still a function of (seed, index) alone
     * and consumes exactly one index of the caller's stream. */
    if (bound == 0)
        return 0;  /* undefined by contract; 0 rather than a division by zero */
    uint64_t first = mk_rng_u64(seed, index);
    uint64_t lo;
    uint64_t hi = mul_64x64(first, bound, &lo);
    if (lo < bound) {
        uint64_t threshold = (0 - bound) % bound;  /* 2^64 mod bound */
        for (uint64_t retry = 1; lo < threshold; retry++)
            hi = mul_64x64(mk_rng_u64(first ^ TAG_RETRY, retry), bound, &lo);
    }
    return hi;
}

double mk_rng_normal(uint64_t seed, uint64_t index)
{
    /* Box-Muller on two uniforms drawn at `index` of two tagged seeds (seed ^ TAG_NORMAL1,
     * seed ^ TAG_NORMAL2) rather than at 2*index and 2*index+1 of `seed`: that would share
     * bits with mk_rng_u64(seed, 2*index), which a caller drawing both kinds on one seed
     * would see as correlation, and 2*index wraps for index >= 2^63.
     * u1 is in (0, 1], never 0, so the log is finite; u1 = 1 gives radius 0. */
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = (double)((mk_rng_u64(seed ^ TAG_NORMAL1, index) >> 11) + 1) * 0x1.0p-53;
    double u2 = (double)(mk_rng_u64(seed ^ TAG_NORMAL2, index) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

void mk_rng_init(mk_rng *r, uint64_t seed, uint64_t first_index)
{
    r->seed = seed;
    r->next = first_index;
}

/* Each stream draw consumes one index, so stream draw k equals the stateless call at
 * first_index + k, whatever kind of value is drawn. */
uint64_t mk_rng_next_u64(mk_rng *r)
{
    return mk_rng_u64(r->seed, r->next++);
}

double mk_rng_next_uniform(mk_rng *r)
{
    return mk_rng_uniform(r->seed, r->next++);
}

uint64_t mk_rng_next_below(mk_rng *r, uint64_t bound)
{
    return mk_rng_below(r->seed, r->next++, bound);
}

/* ---- Philox4x32-10 and the ziggurat: the fast normals ------------------------------------
 *
 * Normal i of stream (seed, stream) takes 64 bits of one Philox block:
 *
 *   block j = i / 2:  ctr = {j mod 2^32, j / 2^32, stream, 0}, key = {seed mod 2^32, seed / 2^32}
 *   out = Philox4x32-10(ctr, key);  i even: out[0] | out[1] << 32,  i odd: out[2] | out[3] << 32
 *
 * and the ziggurat turns those bits into a normal (99 % of the time, one multiply and one
 * compare). The rare rejections draw more bits from counters no first draw uses,
 * {i mod 2^32, i / 2^32, stream, attempt >= 1}, so every normal is still a function of
 * (seed, stream, i) alone: the kernels below differ only in how many blocks they cipher at once. */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio: the key schedule's Weyl increments */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */
#define PHILOX_ROUNDS 10
#define ZIG_INV_R 0.27366123732975827203338247596 /* 1 / MK_ZIG_R */

static inline void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0], p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = (uint32_t)p1;
    c[2] = n2;
    c[3] = (uint32_t)p0;
}

void mk_philox4x32(const uint32_t ctr[4], const uint32_t key[2], int rounds, uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < rounds; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        philox_round(c, k0, k1);
    }
    memcpy(out, c, sizeof c);
}

static void philox10(uint64_t seed, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t *w0, uint64_t *w1)
{
    const uint32_t ctr[4] = {c0, c1, c2, c3}, key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t out[4];
    mk_philox4x32(ctr, key, PHILOX_ROUNDS, out);
    *w0 = out[0] | (uint64_t)out[1] << 32;
    *w1 = out[2] | (uint64_t)out[3] << 32;
}

static double uniform53(uint64_t bits)
{
    return (double)(bits >> 11) * 0x1.0p-53;
}

/* The rejection side of the ziggurat (about 1.2 % of draws): wedges and the tail beyond r,
 * as Marsaglia & Tsang (2000) and numpy's random_standard_normal do it. */
static double zig_slow(uint64_t bits, uint64_t seed, uint32_t stream, uint64_t index)
{
    uint32_t attempt = 0;
    for (;;) {
        unsigned layer = (unsigned)(bits & 0xff);
        uint64_t rest = bits >> 8, rabs = (rest >> 1) & 0x000FFFFFFFFFFFFFu;
        double x = (double)(int64_t)rabs * mk_zig_wi[layer];
        if (rest & 1)
            x = -x;
        if (rabs < mk_zig_ki[layer])
            return x;
        uint64_t u0, u1;
        philox10(seed, (uint32_t)index, (uint32_t)(index >> 32), stream, ++attempt, &u0, &u1);
        if (layer == 0) {  /* the tail x > r: Marsaglia's exponential-rejection method */
            for (;;) {
                double xx = -ZIG_INV_R * log1p(-uniform53(u0)), yy = -log1p(-uniform53(u1));
                if (yy + yy > xx * xx)
                    return (rest & 1) ? -(MK_ZIG_R + xx) : MK_ZIG_R + xx;
                philox10(seed, (uint32_t)index, (uint32_t)(index >> 32), stream, ++attempt, &u0, &u1);
            }
        }
        if ((mk_zig_fi[layer - 1] - mk_zig_fi[layer]) * uniform53(u0) + mk_zig_fi[layer] < exp(-0.5 * x * x))
            return x;
        bits = u1;  /* rejected in the wedge: a whole new draw */
    }
}

/* 8 bits choose the layer, 1 the sign, 52 the abscissa (numpy's layout). */
static inline double zig(uint64_t bits, uint64_t seed, uint32_t stream, uint64_t index)
{
    unsigned layer = (unsigned)(bits & 0xff);
    uint64_t rest = bits >> 8, rabs = (rest >> 1) & 0x000FFFFFFFFFFFFFu;
    double x = (double)(int64_t)rabs * mk_zig_wi[layer];
    if (rabs >= mk_zig_ki[layer])
        return zig_slow(bits, seed, stream, index);
    return (rest & 1) ? -x : x;
}

double mk_rng_std_normal(uint64_t seed, uint32_t stream, uint64_t index)
{
    uint64_t j = index >> 1, w0, w1;
    philox10(seed, (uint32_t)j, (uint32_t)(j >> 32), stream, 0, &w0, &w1);
    return zig(index & 1 ? w1 : w0, seed, stream, index);
}

/* Blocks ciphered per kernel call: 4 x 512 words = 8 KiB, stays in L1. */
#define BATCH 512

/* A kernel ciphers blocks j0 .. j0+n-1 (n <= BATCH, all with the same j / 2^32) of a stream,
 * word k of block b into w[k][b]. */
typedef void (*philox_kernel)(uint64_t seed, uint32_t stream, uint64_t j0, size_t n, uint32_t (*w)[BATCH]);

static void philox_blocks(uint64_t seed, uint32_t stream, uint64_t j0, size_t from, size_t n, uint32_t (*w)[BATCH])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (size_t b = from; b < n; b++) {
        uint64_t j = j0 + b;
        const uint32_t ctr[4] = {(uint32_t)j, (uint32_t)(j >> 32), stream, 0};
        uint32_t out[4];
        mk_philox4x32(ctr, key, PHILOX_ROUNDS, out);
        for (int k = 0; k < 4; k++)
            w[k][b] = out[k];
    }
}

/* Normals 2b and 2b+1 (from index i0) out of block b's words, for the n blocks of a batch. */
typedef void (*zig_kernel)(uint32_t (*w)[BATCH], size_t n, uint64_t seed, uint32_t stream, uint64_t i0,
                           double *out);

static void zig_scalar(uint32_t (*w)[BATCH], size_t n, uint64_t seed, uint32_t stream, uint64_t i0, double *out)
{
    for (size_t b = 0; b < n; b++) {
        out[2 * b] = zig(w[0][b] | (uint64_t)w[1][b] << 32, seed, stream, i0 + 2 * b);
        out[2 * b + 1] = zig(w[2][b] | (uint64_t)w[3][b] << 32, seed, stream, i0 + 2 * b + 1);
    }
}

static void philox_scalar(uint64_t seed, uint32_t stream, uint64_t j0, size_t n, uint32_t (*w)[BATCH])
{
    philox_blocks(seed, stream, j0, 0, n, w);
}

#ifdef MK_RNG_X86
/* One Philox round on 8 blocks (c[0..3] hold word k of each block): the 32x32 -> 64 products
 * of even and odd lanes, split into high and low halves by blends. */
__attribute__((target("avx2"))) static inline void philox_round_avx2(__m256i c[4], __m256i k0, __m256i k1)
{
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0), m1 = _mm256_set1_epi32((int)PHILOX_M1);
    __m256i e0 = _mm256_mul_epu32(c[0], m0), o0 = _mm256_mul_epu32(_mm256_srli_epi64(c[0], 32), m0);
    __m256i e1 = _mm256_mul_epu32(c[2], m1), o1 = _mm256_mul_epu32(_mm256_srli_epi64(c[2], 32), m1);
    __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
    __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
    __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
    __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
    c[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), k0);
    c[1] = lo1;
    c[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), k1);
    c[3] = lo0;
}

__attribute__((target("avx2"))) static void philox_avx2(uint64_t seed, uint32_t stream, uint64_t j0, size_t n,
                                                        uint32_t (*w)[BATCH])
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t b = 0;
    for (; b + 16 <= n; b += 16) {  /* two independent groups of 8 blocks hide the multiply latency */
        __m256i a[4], c[4];
        a[0] = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)(j0 + b)), lane);
        c[0] = _mm256_add_epi32(a[0], _mm256_set1_epi32(8));
        a[1] = c[1] = _mm256_set1_epi32((int)(uint32_t)(j0 >> 32));
        a[2] = c[2] = _mm256_set1_epi32((int)stream);
        a[3] = c[3] = _mm256_setzero_si256();
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < PHILOX_ROUNDS; r++, k0 += PHILOX_W0, k1 += PHILOX_W1) {
            __m256i K0 = _mm256_set1_epi32((int)k0), K1 = _mm256_set1_epi32((int)k1);
            philox_round_avx2(a, K0, K1);
            philox_round_avx2(c, K0, K1);
        }
        for (int k = 0; k < 4; k++) {
            _mm256_storeu_si256((__m256i *)&w[k][b], a[k]);
            _mm256_storeu_si256((__m256i *)&w[k][b + 8], c[k]);
        }
    }
    philox_blocks(seed, stream, j0, b, n, w);
}

/* The ziggurat's fast path on 4 words with AVX2, as zig8 does with AVX-512. AVX2 has no
 * 64-bit integer to double conversion: rabs < 2^52, so the bits of 2^52 + rabs as a double
 * minus 2^52 are exactly (double)rabs, the value zig() converts. */
__attribute__((target("avx2"))) static inline __m256d zig4(__m256i bits, int *slow)
{
    const __m256i byte = _mm256_set1_epi64x(0xff), mant = _mm256_set1_epi64x(0x000FFFFFFFFFFFFF);
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000u);
    const __m256i two52_bits = _mm256_set1_epi64x(0x4330000000000000); /* 2^52 as a double */
    __m256i layer = _mm256_and_si256(bits, byte);
    __m256i rabs = _mm256_and_si256(_mm256_srli_epi64(bits, 9), mant);
    __m256i ki = _mm256_i64gather_epi64((const long long *)mk_zig_ki, layer, 8);
    __m256d wi = _mm256_i64gather_pd(mk_zig_wi, layer, 8);
    __m256d r = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(rabs, two52_bits)), _mm256_set1_pd(0x1.0p52));
    __m256d x = _mm256_mul_pd(r, wi);
    __m256i flip = _mm256_and_si256(_mm256_slli_epi64(bits, 55), sign);
    /* both below 2^52, so the signed compare is the unsigned one: fast where ki > rabs */
    *slow = ~_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(ki, rabs))) & 0xF;
    return _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(x), flip));
}

/* The lanes zig4/zig8 could not finish: wedge and tail tests, one normal at a time. */
static void zig_redo(uint32_t (*w)[BATCH], size_t b, unsigned slow_even, unsigned slow_odd, uint64_t seed,
                     uint32_t stream, uint64_t i0, double *out)
{
    for (unsigned m = slow_even; m != 0; m &= m - 1) {
        size_t l = b + (size_t)__builtin_ctz(m);
        out[2 * l] = zig_slow(w[0][l] | (uint64_t)w[1][l] << 32, seed, stream, i0 + 2 * l);
    }
    for (unsigned m = slow_odd; m != 0; m &= m - 1) {
        size_t l = b + (size_t)__builtin_ctz(m);
        out[2 * l + 1] = zig_slow(w[2][l] | (uint64_t)w[3][l] << 32, seed, stream, i0 + 2 * l + 1);
    }
}

__attribute__((target("avx2"))) static __m256i words4(const uint32_t *lo, const uint32_t *hi)
{
    return _mm256_or_si256(_mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)lo)),
                           _mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)hi)), 32));
}

__attribute__((target("avx2"))) static void zig_avx2(uint32_t (*w)[BATCH], size_t n, uint64_t seed, uint32_t stream,
                                                     uint64_t i0, double *out)
{
    size_t b = 0;
    for (; b + 4 <= n; b += 4) {
        int slow_even, slow_odd;
        __m256d xe = zig4(words4(&w[0][b], &w[1][b]), &slow_even), xo = zig4(words4(&w[2][b], &w[3][b]), &slow_odd);
        __m256d lo = _mm256_unpacklo_pd(xe, xo), hi = _mm256_unpackhi_pd(xe, xo); /* e0 o0 e2 o2 | e1 o1 e3 o3 */
        _mm256_storeu_pd(out + 2 * b, _mm256_permute2f128_pd(lo, hi, 0x20));
        _mm256_storeu_pd(out + 2 * b + 4, _mm256_permute2f128_pd(lo, hi, 0x31));
        if (slow_even | slow_odd)
            zig_redo(w, b, (unsigned)slow_even, (unsigned)slow_odd, seed, stream, i0, out);
    }
    for (; b < n; b++) {
        out[2 * b] = zig(w[0][b] | (uint64_t)w[1][b] << 32, seed, stream, i0 + 2 * b);
        out[2 * b + 1] = zig(w[2][b] | (uint64_t)w[3][b] << 32, seed, stream, i0 + 2 * b + 1);
    }
}

__attribute__((target("avx512f"))) static inline void philox_round_avx512(__m512i c[4], __m512i k0, __m512i k1)
{
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    __m512i e0 = _mm512_mul_epu32(c[0], m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(c[0], 32), m0);
    __m512i e1 = _mm512_mul_epu32(c[2], m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(c[2], 32), m1);
    __m512i hi0 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e0, 32), o0);
    __m512i lo0 = _mm512_mask_blend_epi32(0xAAAA, e0, _mm512_slli_epi64(o0, 32));
    __m512i hi1 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e1, 32), o1);
    __m512i lo1 = _mm512_mask_blend_epi32(0xAAAA, e1, _mm512_slli_epi64(o1, 32));
    c[0] = _mm512_ternarylogic_epi32(hi1, c[1], k0, 0x96); /* three-way xor */
    c[1] = lo1;
    c[2] = _mm512_ternarylogic_epi32(hi0, c[3], k1, 0x96);
    c[3] = lo0;
}

__attribute__((target("avx512f"))) static void philox_avx512(uint64_t seed, uint32_t stream, uint64_t j0, size_t n,
                                                             uint32_t (*w)[BATCH])
{
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    size_t b = 0;
    for (; b + 32 <= n; b += 32) {  /* two independent groups of 16 blocks */
        __m512i a[4], c[4];
        a[0] = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)(j0 + b)), lane);
        c[0] = _mm512_add_epi32(a[0], _mm512_set1_epi32(16));
        a[1] = c[1] = _mm512_set1_epi32((int)(uint32_t)(j0 >> 32));
        a[2] = c[2] = _mm512_set1_epi32((int)stream);
        a[3] = c[3] = _mm512_setzero_si512();
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < PHILOX_ROUNDS; r++, k0 += PHILOX_W0, k1 += PHILOX_W1) {
            __m512i K0 = _mm512_set1_epi32((int)k0), K1 = _mm512_set1_epi32((int)k1);
            philox_round_avx512(a, K0, K1);
            philox_round_avx512(c, K0, K1);
        }
        for (int k = 0; k < 4; k++) {
            _mm512_storeu_si512(&w[k][b], a[k]);
            _mm512_storeu_si512(&w[k][b + 16], c[k]);
        }
    }
    philox_blocks(seed, stream, j0, b, n, w);
}

/* The ziggurat's fast path on 8 words at once: the same operations as zig() (exact integer to
 * double conversion, one multiply, a sign flip), so the same bits; lanes that need a wedge or
 * tail test (about 1.2 %) are redone by zig_slow afterwards. */
__attribute__((target("avx512f,avx512dq"))) static inline __m512d zig8(__m512i bits, __mmask8 *slow)
{
    const __m512i byte = _mm512_set1_epi64(0xff), mant = _mm512_set1_epi64(0x000FFFFFFFFFFFFF);
    const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000u);
    __m512i layer = _mm512_and_si512(bits, byte);
    __m512i rabs = _mm512_and_si512(_mm512_srli_epi64(bits, 9), mant);
    __m512i ki = _mm512_i64gather_epi64(layer, (const void *)mk_zig_ki, 8);
    __m512d wi = _mm512_i64gather_pd(layer, (const void *)mk_zig_wi, 8);
    __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(rabs), wi);
    __m512i flip = _mm512_and_si512(_mm512_slli_epi64(bits, 55), sign);  /* bit 8 of the word */
    *slow = _mm512_cmpge_epu64_mask(rabs, ki);
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), flip));
}

__attribute__((target("avx512f,avx512dq"))) static void zig_avx512(uint32_t (*w)[BATCH], size_t n, uint64_t seed,
                                                                  uint32_t stream, uint64_t i0, double *out)
{
    const __m512i lo_pairs = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i hi_pairs = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    size_t b = 0;
    for (; b + 8 <= n; b += 8) {
        __m512i even = _mm512_or_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)&w[0][b])),
                                       _mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)&w[1][b])), 32));
        __m512i odd = _mm512_or_si512(_mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)&w[2][b])),
                                      _mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)&w[3][b])), 32));
        __mmask8 slow_even, slow_odd;
        __m512d xe = zig8(even, &slow_even), xo = zig8(odd, &slow_odd);
        _mm512_storeu_pd(out + 2 * b, _mm512_permutex2var_pd(xe, lo_pairs, xo));
        _mm512_storeu_pd(out + 2 * b + 8, _mm512_permutex2var_pd(xe, hi_pairs, xo));
        if (slow_even | slow_odd)
            zig_redo(w, b, slow_even, slow_odd, seed, stream, i0, out);
    }
    for (; b < n; b++) {
        out[2 * b] = zig(w[0][b] | (uint64_t)w[1][b] << 32, seed, stream, i0 + 2 * b);
        out[2 * b + 1] = zig(w[2][b] | (uint64_t)w[3][b] << 32, seed, stream, i0 + 2 * b + 1);
    }
}
#endif

/* A kernel: how blocks are ciphered and how their words become normals. */
typedef struct {
    philox_kernel cipher;
    zig_kernel convert;
} normal_kernel;

static int kernel_by_name(const char *name, normal_kernel *k)
{
#ifdef MK_RNG_X86
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
        *k = (normal_kernel){philox_avx512, zig_avx512};
        return 0;
    }
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
        *k = (normal_kernel){philox_avx2, zig_avx2};
        return 0;
    }
#endif
    if (strcmp(name, "scalar") == 0) {
        *k = (normal_kernel){philox_scalar, zig_scalar};
        return 0;
    }
    return -1;
}

const char *mk_rng_std_normals_kernel(void)
{
#ifdef MK_RNG_X86
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        return "avx512";
    if (__builtin_cpu_supports("avx2"))
        return "avx2";
#endif
    return "scalar";
}

static void fill_normals(normal_kernel kernel, uint64_t seed, uint32_t stream, uint64_t first, size_t count,
                         double *out)
{
    uint32_t w[4][BATCH];
    size_t k = 0;
    if (count > 0 && (first & 1)) {  /* an odd start shares its block with the index before */
        out[0] = mk_rng_std_normal(seed, stream, first);
        k = 1;
    }
    while (count - k >= 2) {
        uint64_t j0 = (first + k) >> 1;
        size_t n = (count - k) / 2;
        uint64_t room = ((uint64_t)1 << 32) - (j0 & 0xFFFFFFFFu);  /* keep j / 2^32 fixed in a batch */
        if (n > BATCH)
            n = BATCH;
        if (n > room)
            n = (size_t)room;
        kernel.cipher(seed, stream, j0, n, w);
        kernel.convert(w, n, seed, stream, first + k, out + k);
        k += 2 * n;
    }
    if (k < count)
        out[k] = mk_rng_std_normal(seed, stream, first + k);
}

void mk_rng_std_normals(uint64_t seed, uint32_t stream, uint64_t first, size_t count, double *out)
{
    normal_kernel k = {philox_scalar, zig_scalar};
    kernel_by_name(mk_rng_std_normals_kernel(), &k);  /* the default is always available */
    fill_normals(k, seed, stream, first, count, out);
}

int mk_rng_std_normals_with(const char *kernel, uint64_t seed, uint32_t stream, uint64_t first, size_t count,
                            double *out)
{
    normal_kernel k;
    if (kernel_by_name(kernel, &k) != 0)
        return -1;
    fill_normals(k, seed, stream, first, count, out);
    return 0;
}
