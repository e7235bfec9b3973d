/* normals.c - blocked, order-fixed sums of powers of standard normals.
 *
 * Floating-point addition is not associative, so a sum split over P ranks and combined
 * with MPI_Reduce can differ in the last bits from P to P. Here the order of every
 * addition is fixed by the global block grid alone:
 *
 *   index   0 ........ 65535 | 65536 ..... 131071 | ... | (nb-1)*65536 .. n-1
 *   block   b0 (in index order) | b1             | ... | b(nb-1)
 *   sums    s0                 | s1              | ... | s(nb-1)     per power
 *   total   mk_sum_pairwise(s0 .. s(nb-1))   (a fixed tree over block numbers)
 *
 * Whichever rank computes a block, its sum is the same bits, and the tree over the block
 * sums depends only on nb. */
#include "mpikit/normals.h"

#include <stdlib.h>
#include <string.h>
#include "mpikit/rng.h"

double mk_normals_ipow(double x, int p)
{
    double result = 1.0, base = x;
    while (p > 0) {
        if (p & 1)
            result *= base;
        p >>= 1;
        if (p > 0)
            base *= base;
    }
    return result;
}

uint64_t mk_normals_nblocks(uint64_t n, uint64_t block)
{
    return block == 0 ? 0 : n / block + (n % block != 0);
}

/* Normals are drawn a chunk at a time (16 KiB, stays in L1) with the vectorised generator;
 * the additions stay one left-to-right chain per power, so the chunk size changes no bits. */
#define CHUNK 2048

void mk_normals_block_sums(uint64_t seed, uint32_t stream, uint64_t n, uint64_t block, uint64_t b,
                           const int *powers, int npowers, double *sums)
{
    for (int k = 0; k < npowers; k++)
        sums[k] = 0.0;
    uint64_t first = b * block;
    if (first >= n)
        return;
    uint64_t end = n - first < block ? n : first + block;
    double x[CHUNK];
    for (uint64_t at = first; at < end; at += CHUNK) {
        size_t count = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
        mk_rng_std_normals(seed, stream, at, count, x);
        /* The common cases get loops the compiler can keep in registers. */
        if (npowers == 1) {
            double s0 = sums[0];
            int p0 = powers[0];
            for (size_t i = 0; i < count; i++)
                s0 += mk_normals_ipow(x[i], p0);
            sums[0] = s0;
        } else if (npowers == 4) {
            double s0 = sums[0], s1 = sums[1], s2 = sums[2], s3 = sums[3];
            int p0 = powers[0], p1 = powers[1], p2 = powers[2], p3 = powers[3];
            for (size_t i = 0; i < count; i++) {
                s0 += mk_normals_ipow(x[i], p0);
                s1 += mk_normals_ipow(x[i], p1);
                s2 += mk_normals_ipow(x[i], p2);
                s3 += mk_normals_ipow(x[i], p3);
            }
            sums[0] = s0, sums[1] = s1, sums[2] = s2, sums[3] = s3;
        } else {
            for (size_t i = 0; i < count; i++)
                for (int k = 0; k < npowers; k++)
                    sums[k] += mk_normals_ipow(x[i], powers[k]);
        }
    }
}

uint32_t mk_normals_stream(int k, int shared)
{
    return shared ? 0u : (uint32_t)k;
}

double mk_sum_pairwise(const double *v, uint64_t count, uint64_t stride)
{
    if (count <= 8) {
        double s = 0.0;
        for (uint64_t i = 0; i < count; i++)
            s += v[i * stride];
        return s;
    }
    uint64_t half = count / 2;
    return mk_sum_pairwise(v, half, stride) + mk_sum_pairwise(v + half * stride, count - half, stride);
}

int mk_normals_means(uint64_t seed, uint64_t n, uint64_t block, const int *powers, int npowers, int shared,
                     double *means)
{
    uint64_t nb = mk_normals_nblocks(n, block);
    double *sums = malloc((size_t)(nb ? nb : 1) * (size_t)npowers * sizeof *sums);
    if (sums == NULL)
        return -1;
    for (uint64_t b = 0; b < nb; b++) {
        double *row = sums + b * (uint64_t)npowers;
        if (shared)
            mk_normals_block_sums(seed, 0, n, block, b, powers, npowers, row);
        else
            for (int k = 0; k < npowers; k++)
                mk_normals_block_sums(seed, mk_normals_stream(k, 0), n, block, b, &powers[k], 1, &row[k]);
    }
    for (int k = 0; k < npowers; k++)
        means[k] = mk_sum_pairwise(sums + k, nb, (uint64_t)npowers) / (double)n;
    free(sums);
    return 0;
}

double mk_normal_moment(int p)
{
    if (p < 0 || p % 2 == 1)
        return 0.0;
    double m = 1.0;
    for (int k = p - 1; k > 1; k -= 2)
        m *= k;
    return m;
}

int mk_normals_parse_powers(const char *text, int *powers, int max)
{
    int count = 0;
    const char *s = text;
    if (s == NULL || *s == '\0')
        return -1;
    for (;;) {
        if (*s < '0' || *s > '9')
            return -1;
        int v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s - '0');
            if (v > MK_NORMALS_MAX_POWER)
                return -1;
            s++;
        }
        if (count == max)
            return -1;
        powers[count++] = v;
        if (*s == '\0')
            return count;
        if (*s != ',')
            return -1;
        s++;
    }
}
