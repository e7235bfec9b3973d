/* rng.c - counter-based random numbers: every value is a pure function of (seed, index).
 *
 * Nothing is carried from one draw to the next, so a rank can jump straight to the
 * indices it owns and the numbers do not depend on how the index range is split. */
#include "mpikit/rng.h"

#include <math.h>

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
