/* Lesson 6, bigpower: a reduction over random numbers that do not depend on the rank count.
 * EXERCISE
 *
 * The tutorial computes mean(randn(1e8) ** p) for p in 1, 2, 12, 15, one task per power.
 * Here the N numbers are split instead: each rank draws its block of them, adds up x^p for
 * all four powers, and one MPI_Reduce adds the four partial sums of every rank on rank 0.
 *
 * Number i comes from a counter-based generator: it is a function of (SEED, i) alone, so
 * rank 2 can start at its own first index, and 1 rank or 7 ranks draw the very same N
 * numbers. (A seeded sequential generator per rank would give every rank count other data.)
 *
 *   index    0 ............................................................ N-1
 *   rank 0   [0, a)  x_i = normal(SEED, i)  ->  s0 = {sum x, sum x^2, sum x^12, sum x^15}
 *   rank 1   [a, b)                          ->  s1
 *   rank 2   [b, N)                          ->  s2
 *            MPI_Reduce(s, total, 4, MPI_DOUBLE, MPI_SUM, root 0)   total = s0 + s1 + s2
 *   rank 0   mean of x^p = total[p] / N
 *
 * This program compiles and runs, but rank 0 divides only its own sums by N. Fill in the
 * TODO, then check your work with:  make lesson NAME=bigpower
 */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#define N 200000
#define SEED 12345u
static const int powers[4] = {1, 2, 12, 15};

// splitmix64: a strong 64-bit mix; mix(SEED + k) is the k-th value of the stream.
static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

// Standard normal number i (Box-Muller on the stream's values 2i and 2i+1).
static double normal(uint64_t i)
{
    double u1 = (double)((mix(SEED + 2 * i) >> 11) + 1) * 0x1p-53;  // in (0, 1]: log is finite
    double u2 = (double)(mix(SEED + 2 * i + 1) >> 11) * 0x1p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // My block of the indices; the first N % world_size ranks take one more.
    long base = N / world_size, extra = N % world_size;
    long first = world_rank * base + (world_rank < extra ? world_rank : extra);
    long count = base + (world_rank < extra);

    // Draw each of my numbers once and use it for all four powers.
    double partial[4] = {0, 0, 0, 0};
    for (long i = first; i < first + count; i++) {
        double x = normal((uint64_t)i), x_to_p = 1.0;
        for (int p = 1, k = 0; k < 4; p++) {
            x_to_p *= x;
            if (p == powers[k])
                partial[k++] += x_to_p;
        }
    }

    // One collective adds the four sums of every rank, element by element, on rank 0.
    double total[4] = {0, 0, 0, 0};
    // TODO: MPI_Reduce the 4 doubles of `partial` into rank 0's `total` with MPI_SUM.
    for (int k = 0; k < 4; k++)
        total[k] = partial[k];

    if (world_rank == 0)
        for (int k = 0; k < 4; k++)
            printf("mean_of_x^%d %.15g\n", powers[k], total[k] / N);
    MPI_Finalize();
    return 0;
}
