/* Lesson 9, arraystats: a 2-D grid of ranks, and communicators for its rows and columns.
 * EXERCISE
 *
 * Dask cuts an array into chunks and computes mean(axis=0) chunk by chunk. Here the ranks
 * form a 2-D grid (MPI_Dims_create + MPI_Cart_create) and rank (p, q) owns block p of the
 * array's rows and block q of its columns. A column mean needs the sums of every rank in
 * the same grid column: MPI_Cart_sub makes that group a communicator of its own, and a
 * reduction over it adds the column sums. A second sub-communicator, grid row 0, gathers
 * the finished column sums to rank 0.
 *
 *   4 ranks: 2 x 2 grid          columns 0..5      columns 6..11
 *   rows  0..14                  rank 0 (0,0)      rank 1 (0,1)      col_comm: the ranks
 *   rows 15..29                  rank 2 (1,0)      rank 3 (1,1)      of one grid column
 *     1. each rank: column sums of its block
 *     2. MPI_Reduce over col_comm -> grid row 0 holds the full sums of its columns
 *     3. MPI_Gatherv over row_comm of grid row 0 -> rank 0 has all 12 column sums
 *
 * This program compiles and runs, but its two communicators hold one rank each, so the
 * column sums never meet. Fill in the TODOs, then check your work with:
 * make lesson NAME=arraystats
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define ROWS 30
#define COLS 12

static long value(int i, int j) { return (i * 31 + j * 17) % 23 - 11; }

// Block `part` of `n` items cut into `parts` pieces, remainders to the first pieces.
static void block(int n, int parts, int part, int *first, int *count)
{
    *count = n / parts + (part < n % parts);
    *first = part * (n / parts) + (part < n % parts ? part : n % parts);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // A balanced 2-D grid for world_size ranks (4 -> 2x2, 7 -> 7x1), and my place in it.
    int dims[2] = {0, 0}, periods[2] = {0, 0}, coords[2];
    MPI_Dims_create(world_size, 2, dims);
    MPI_Comm grid;
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &grid);
    MPI_Cart_coords(grid, world_rank, 2, coords);

    // My block of rows and of columns, and the sums of my columns over my rows.
    int row0, n_rows, col0, n_cols;
    block(ROWS, dims[0], coords[0], &row0, &n_rows);
    block(COLS, dims[1], coords[1], &col0, &n_cols);
    long *sums = calloc((size_t)n_cols + 1, sizeof(long));
    long *col_sums = calloc((size_t)n_cols + 1, sizeof(long));
    for (int i = row0; i < row0 + n_rows; i++)
        for (int j = 0; j < n_cols; j++)
            sums[j] += value(i, col0 + j);

    // Keep dimension 0 (vary the grid row): the ranks of my grid column. Keep dimension 1:
    // the ranks of my grid row. Each is numbered from 0 along the dimension it keeps.
    MPI_Comm col_comm, row_comm;
    // TODO: MPI_Cart_sub(grid, remain_dims, &col_comm) keeping dimension 0 ({1, 0}), and
    //       MPI_Cart_sub(grid, remain_dims, &row_comm) keeping dimension 1 ({0, 1}).
    MPI_Comm_dup(MPI_COMM_SELF, &col_comm);
    MPI_Comm_dup(MPI_COMM_SELF, &row_comm);

    // 2. Add my column's sums down the grid column; grid row 0 receives them.
    MPI_Reduce(sums, col_sums, n_cols, MPI_LONG, MPI_SUM, 0, col_comm);

    // 3. Grid row 0 gathers its pieces of the 12 columns to rank 0, in column order.
    if (coords[0] == 0) {
        long all[COLS] = {0};
        int *counts = calloc((size_t)dims[1], sizeof(int)), *displs = calloc((size_t)dims[1], sizeof(int));
        for (int q = 0; q < dims[1]; q++)
            block(COLS, dims[1], q, &displs[q], &counts[q]);
        MPI_Gatherv(col_sums, n_cols, MPI_LONG, all, counts, displs, MPI_LONG, 0, row_comm);
        if (world_rank == 0) {
            long total = 0;
            for (int j = 0; j < COLS; j++) {
                printf("col_mean %d %.6f\n", j, (double)all[j] / ROWS);
                total += all[j];
            }
            printf("mean %.6f\n", (double)total / (ROWS * COLS));
        }
        free(counts);
        free(displs);
    }
    free(sums);
    free(col_sums);
    MPI_Comm_free(&col_comm);
    MPI_Comm_free(&row_comm);
    MPI_Comm_free(&grid);
    MPI_Finalize();
    return 0;
}
