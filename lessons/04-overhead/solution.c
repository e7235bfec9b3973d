/* Lesson 4, overhead: when would concurrency be useful? Measure it.
 *
 * A parallel run pays only when the work it splits is bigger than the cost of splitting.
 * This program runs the same tasks twice: a serial loop on rank 0, then every rank its
 * block of the tasks. It reports both times and the speedup.
 *
 *   serial     rank 0: task 0 .. task T-1                 (the others wait at a barrier)
 *   parallel   MPI_Barrier: a common start line, then t0 = MPI_Wtime()
 *              rank 0 [tasks 0..a)  rank 1 [a..b)  ...     each its own block
 *              MPI_Reduce(SUM) of {tasks done, checksum}   -> rank 0
 *              rank 0 stops its clock when the sum is complete: it has waited for the
 *              slowest rank, and the time includes the cost of combining the results
 * Usage: overhead [microseconds of work per task (default 0)] [tasks (default 1000)]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

// One task: busy work for `seconds` (real CPU time, unlike sleep), then a result
// that depends only on the task number.
static long task(long i, double seconds)
{
    double end = MPI_Wtime() + seconds;
    while (MPI_Wtime() < end)
        ;
    return (i * i) % 1000;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    double work = (argc > 1 ? strtod(argv[1], NULL) : 0.0) * 1e-6;
    long n_tasks = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;

    // Serial reference: rank 0 alone, timed with MPI_Wtime (seconds, wall clock).
    double serial = 0.0;
    if (world_rank == 0) {
        double t0 = MPI_Wtime();
        for (long i = 0; i < n_tasks; i++)
            task(i, work);
        serial = MPI_Wtime() - t0;
    }

    // A common start line, so every rank's clock starts at the same moment.
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();

    // My block of the tasks; the first n_tasks % world_size ranks take one more.
    long base = n_tasks / world_size, extra = n_tasks % world_size;
    long first = world_rank * base + (world_rank < extra ? world_rank : extra);
    long count = base + (world_rank < extra);
    long mine[2] = {0, 0};  // {tasks done, checksum}
    for (long i = first; i < first + count; i++) {
        mine[1] += task(i, work);
        mine[0]++;
    }

    // Add up everybody's counts on rank 0. The call returns on rank 0 only when every
    // rank's part has arrived, so rank 0's clock now includes the slowest rank.
    long total[2] = {0, 0};
    MPI_Reduce(mine, total, 2, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    double parallel = MPI_Wtime() - t0;

    if (world_rank == 0) {
        printf("tasks %ld\n", n_tasks);
        printf("tasks_done %ld\n", total[0]);
        printf("checksum %ld\n", total[1]);
        printf("serial_seconds %.6f\n", serial);
        printf("parallel_seconds %.6f\n", parallel);
        printf("speedup %.2f on %d ranks: parallel %s\n", serial / parallel, world_size,
               serial > parallel ? "pays" : "does not pay");
    }
    MPI_Finalize();
    return 0;
}
