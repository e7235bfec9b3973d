/* rng.h - counter-based random numbers keyed by (seed, index): the same value for any rank count. */
#ifndef MPIKIT_RNG_H
#define MPIKIT_RNG_H

#include <stddef.h>
#include <stdint.h>

/* 64 random bits for position `index` of stream `seed` (a stateless mix, like Philox/Threefry in spirit). */
uint64_t mk_rng_u64(uint64_t seed, uint64_t index);
/* Uniform double in [0, 1) with 53 random bits. */
double mk_rng_uniform(uint64_t seed, uint64_t index);
/* Uniform integer in [0, bound) without modulo bias (bound > 0). */
uint64_t mk_rng_below(uint64_t seed, uint64_t index, uint64_t bound);
/* Standard normal for `index` (Box-Muller on two derived uniforms). */
double mk_rng_normal(uint64_t seed, uint64_t index);

/* A sequential stream over the same function, for code that draws many values. */
typedef struct {
    uint64_t seed;
    uint64_t next;
} mk_rng;

void mk_rng_init(mk_rng *r, uint64_t seed, uint64_t first_index);
uint64_t mk_rng_next_u64(mk_rng *r);
double mk_rng_next_uniform(mk_rng *r);
uint64_t mk_rng_next_below(mk_rng *r, uint64_t bound);

/* Philox4x32 (Salmon et al., SC'11, as in the Random123 library): `rounds` rounds (10 is the
 * standard, published strength) of the counter-based cipher of ctr under key, into out. */
void mk_philox4x32(const uint32_t ctr[4], const uint32_t key[2], int rounds, uint32_t out[4]);

/* Standard normal number `index` of stream (seed, stream): Philox4x32-10 bits through a 256-layer
 * ziggurat. A pure function of its arguments, so any rank drawing any range gets the same bits;
 * different streams of one seed are independent (fresh arrays per task). */
double mk_rng_std_normal(uint64_t seed, uint32_t stream, uint64_t index);
/* out[k] = mk_rng_std_normal(seed, stream, first + k) for k < count, with the fastest kernel. */
void mk_rng_std_normals(uint64_t seed, uint32_t stream, uint64_t first, size_t count, double *out);
/* The same with a named Philox kernel ("avx512", "avx2", "scalar"); -1 when this CPU lacks it. */
int mk_rng_std_normals_with(const char *kernel, uint64_t seed, uint32_t stream, uint64_t first, size_t count,
                            double *out);
/* Name of the kernel mk_rng_std_normals uses on this CPU. */
const char *mk_rng_std_normals_kernel(void);

/* The ziggurat tables (src/rng_tables.c, generated constants; test_rng regenerates and compares). */
#define MK_ZIG_R 3.6541528853610087963519472518
extern const uint64_t mk_zig_ki[256];
extern const double mk_zig_wi[256];
extern const double mk_zig_fi[256];

#endif
