/* Lesson 3, square: scatter the data, compute, gather the results.  EXERCISE
 *
 * The tutorial squares 1000 random integers with pool.map(square, data). Here rank 0 holds
 * the 1000 integers, hands each rank one contiguous block (MPI_Scatterv), every rank
 * squares its block, and rank 0 collects the squares back in order (MPI_Gatherv).
 *
 * 1000 does not divide by 3 or 7: the "v" collectives take a count and a displacement per
 * rank, and the first 1000 % size ranks get one item more, like numpy.array_split.
 *
 *   rank 0  data  [x0 x1 x2 x3 | x4 x5 x6 | x7 x8 x9]      counts {4,3,3}, displs {0,4,7}
 *                        MPI_Scatterv
 *   block      rank 0 [x0..x3]   rank 1 [x4..x6]   rank 2 [x7..x9]
 *   compute           y = x*x           y = x*x           y = x*x
 *                        MPI_Gatherv (same counts and displs)
 *   rank 0  squares [y0 y1 y2 y3 | y4 y5 y6 | y7 y8 y9]
 *
 * This program compiles and runs, but the data never leaves rank 0 and no square comes
 * back. Fill in the TODOs, then check your work with:  make lesson NAME=square
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N_ITEMS 1000

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // Every rank computes the same counts and displacements: it needs its own count,
    // and the root needs all of them.
    int *counts = malloc((size_t)world_size * sizeof *counts);
    int *displs = malloc((size_t)world_size * sizeof *displs);
    for (int r = 0, offset = 0; r < world_size; r++) {
        counts[r] = N_ITEMS / world_size + (r < N_ITEMS % world_size);
        displs[r] = offset;
        offset += counts[r];
    }
    int my_count = counts[world_rank];

    // Rank 0 makes the data: integers in [0, 10000), the same on every run.
    long *data = NULL, *squares = NULL;
    if (world_rank == 0) {
        data = malloc(N_ITEMS * sizeof *data);
        squares = calloc(N_ITEMS, sizeof *squares);
        for (long i = 0; i < N_ITEMS; i++)
            data[i] = (i * 7919 + 4557) % 10000;
    }

    // Hand out the blocks: rank r receives counts[r] longs starting at data[displs[r]].
    long *block = calloc((size_t)my_count, sizeof *block);
    // TODO: MPI_Scatterv from rank 0's `data` (counts, displs) into `block` (my_count longs).
    (void)data;

    // The work: each rank squares only its own block.
    for (int i = 0; i < my_count; i++)
        block[i] = block[i] * block[i];

    // Bring the squares home, each block back to where it came from.
    // TODO: MPI_Gatherv every `block` (my_count longs) into rank 0's `squares` (counts, displs).

    if (world_rank == 0) {
        long sum = 0, checksum = 0;
        for (long i = 0; i < N_ITEMS; i++) {
            sum += squares[i];
            checksum += (i + 1) * (squares[i] % 1000);  // moves if an item lands elsewhere
        }
        printf("items %d\n", N_ITEMS);
        printf("first_squares %ld %ld %ld\n", squares[0], squares[1], squares[2]);
        printf("last_square %ld\n", squares[N_ITEMS - 1]);
        printf("sum_of_squares %ld\n", sum);
        printf("checksum %ld\n", checksum);
        free(data);
        free(squares);
    }
    free(block);
    free(counts);
    free(displs);
    MPI_Finalize();
    return 0;
}
