/* Lesson 8, table: split-apply-combine, and the shuffle a groupby needs.  EXERCISE
 *
 * The tutorial splits a 100-row table into chunks, applies multiply_columns (K = A * 2) to
 * each chunk in a Pool and concatenates the chunks. Here each rank owns a block of rows and
 * applies the function to them. Then we want, per group g = A / 10, the number of rows
 * and the sum of K: all rows of one group must first meet on one rank. That is the
 * shuffle. Group g belongs to rank g % size; every rank sends each row to its group's owner.
 *
 *   rank 0 rows [g3 g0 g7 g3]   rank 1 rows [g1 g0 g4]   rank 2 rows [g5 g2 g3]
 *         \  pack by owner, MPI_Alltoall the counts, MPI_Alltoallv the rows  /
 *   rank 0 gets g0 g3 g3 g3 g0  rank 1 gets g1 g4 g7     rank 2 gets g2 g5
 *         each owner sums its own groups; MPI_Reduce assembles the table on rank 0
 *
 * This program compiles and runs, but no row ever reaches its owner. Fill in the TODOs,
 * then check your work with:  make lesson NAME=table
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N_ROWS 100
#define N_GROUPS 10

static int column_a(long row) { return (int)((row * row * 37 + row * 11 + 5) % 100); }

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    size_t n = (size_t)world_size;

    // Split: my block of rows; the first N_ROWS % world_size ranks take one more.
    long base = N_ROWS / world_size, extra = N_ROWS % world_size;
    long first = world_rank * base + (world_rank < extra ? world_rank : extra);
    long count = base + (world_rank < extra);

    // Apply, and pack each row as {group, K} into the part of `send` for its owner.
    int *send_counts = calloc(n, sizeof(int)), *send_displs = calloc(n, sizeof(int));
    int *recv_counts = calloc(n, sizeof(int)), *recv_displs = calloc(n, sizeof(int));
    int *filled = calloc(n, sizeof(int)), *send = malloc((size_t)(2 * count + 1) * sizeof(int));
    for (long row = first; row < first + count; row++)
        send_counts[(column_a(row) / 10) % world_size] += 2;  // 2 ints per row
    for (int r = 1; r < world_size; r++)
        send_displs[r] = send_displs[r - 1] + send_counts[r - 1];
    for (long row = first; row < first + count; row++) {
        int group = column_a(row) / 10, owner = group % world_size;
        int *slot = send + send_displs[owner] + filled[owner];
        slot[0] = group;
        slot[1] = column_a(row) * 2;  // multiply_columns: K = A * 2
        filled[owner] += 2;
    }

    // The shuffle. First every rank learns how many ints each rank will send it,
    // then the rows move, each to its group's owner.
    // TODO: MPI_Alltoall one int per rank: send_counts -> recv_counts.
    int received = 0;
    for (int r = 0; r < world_size; r++) {
        recv_displs[r] = received;
        received += recv_counts[r];
    }
    int *recv = malloc((size_t)(received + 1) * sizeof(int));
    // TODO: MPI_Alltoallv the ints of `send` (send_counts, send_displs) into `recv`
    //       (recv_counts, recv_displs).

    // Combine: this rank now holds every row of the groups it owns. It fills in their
    // lines of the table {rows, sum of K}; the other groups' lines stay 0 here.
    long table[N_GROUPS][2] = {{0}}, result[N_GROUPS][2] = {{0}};
    for (int i = 0; i < received; i += 2) {
        table[recv[i]][0] += 1;
        table[recv[i]][1] += recv[i + 1];
    }
    // Each group's line is non-zero on exactly one rank, so a sum assembles the table.
    MPI_Reduce(table, result, 2 * N_GROUPS, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);

    if (world_rank == 0)
        for (int g = 0; g < N_GROUPS; g++)
            printf("group %d rows %ld sum_K %ld\n", g, result[g][0], result[g][1]);
    free(send_counts), free(send_displs), free(recv_counts), free(recv_displs);
    free(filled), free(send), free(recv);
    MPI_Finalize();
    return 0;
}
