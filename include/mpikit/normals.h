/* normals.h - blocked, order-fixed sums of powers of standard normals: the same bits for any rank count. */
#ifndef MPIKIT_NORMALS_H
#define MPIKIT_NORMALS_H

#include <stdint.h>

/* Items per block. The block grid is global (block b holds indices [b*block, (b+1)*block)),
 * so who computes a block never changes its sum; changing the block size changes the bits. */
#define MK_NORMALS_BLOCK 65536u

/* x^p for p >= 0 by binary exponentiation: the same operations, so the same bits, everywhere. */
double mk_normals_ipow(double x, int p);

/* Number of blocks covering n items (the last may be short). */
uint64_t mk_normals_nblocks(uint64_t n, uint64_t block);

/* For block b of n items: sums[k] = sum of x^powers[k] over x = mk_rng_std_normal(seed, stream, i),
 * i = b*block ... min(n, (b+1)*block) - 1, added in index order. Each normal is drawn once. */
void mk_normals_block_sums(uint64_t seed, uint32_t stream, uint64_t n, uint64_t block, uint64_t b,
                           const int *powers, int npowers, double *sums);

/* Which stream power number k (its position in the list) draws from: 0 for every power when the
 * draws are shared, k otherwise (a fresh, independent array per power, as the tutorial draws). */
uint32_t mk_normals_stream(int k, int shared);

/* Pairwise sum of v[0], v[stride], ..., v[(count-1)*stride] over a fixed tree (halves split at
 * count/2, runs of <= 8 added left to right): a function of the values alone, error O(log count). */
double mk_sum_pairwise(const double *v, uint64_t count, uint64_t stride);

/* The serial reference: means[k] = mean of x^powers[k] over n normals of stream
 * mk_normals_stream(k, shared), blocked exactly as the parallel job does (block sums, then
 * mk_sum_pairwise in block order). n > 0. Returns 0, or -1 when out of memory. */
int mk_normals_means(uint64_t seed, uint64_t n, uint64_t block, const int *powers, int npowers, int shared,
                     double *means);

/* E[x^p] for a standard normal: 0 for odd p, (p-1)!! for even p. */
double mk_normal_moment(int p);

/* Parse a comma-separated list of powers "1,2,12,15" (each 0..MK_NORMALS_MAX_POWER, at most
 * `max` of them) into powers; returns the count, or -1 for a malformed list. */
#define MK_NORMALS_MAX_POWER 64
int mk_normals_parse_powers(const char *text, int *powers, int max);

#endif
