/* rng.h - counter-based random numbers keyed by (seed, index): the same value for any rank count. */
#ifndef MPIKIT_RNG_H
#define MPIKIT_RNG_H

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

#endif
