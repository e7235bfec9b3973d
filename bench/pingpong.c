/* bench/pingpong.c - MPI ping-pong between ranks 0 and 1: the floor under every message.
 * For sizes 0, 8, 64, ... up to MAX bytes, rank 0 sends, rank 1 sends back, ITERS times after
 * a warm-up; prints one-way latency (half the round trip) and bandwidth per size as
 * "@metric value unit" lines for bench/lib.sh, plus the message count each rank saw, which
 * the harness checks against 2 x (warm-up + iterations) x sizes.   mpirun -n 2 pingpong [MAX] [ITERS] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long max = argc > 1 ? atol(argv[1]) : 4L << 20;
    int iters = argc > 2 ? atoi(argv[2]) : 1000;
    if (size < 2) {
        if (rank == 0)
            fprintf(stderr, "pingpong: needs 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    char *buf = calloc((size_t)max + 1, 1);
    long messages = 0;
    for (long bytes = 0; bytes <= max; bytes = bytes ? bytes * 8 : 8) {
        /* fewer round trips for big messages so every size takes a similar time */
        int n = bytes >= 65536 ? iters / 10 + 1 : iters;
        double t = 0;
        for (int phase = 0; phase < 2; phase++) { /* phase 0 warms the path up */
            int reps = phase ? n : n / 10 + 1;
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            for (int i = 0; i < reps && rank < 2; i++) {
                if (rank == 0) {
                    MPI_Send(buf, (int)bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
                    MPI_Recv(buf, (int)bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                } else {
                    MPI_Recv(buf, (int)bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    MPI_Send(buf, (int)bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
                }
                messages += 2;
            }
            t = MPI_Wtime() - t0;
        }
        if (rank == 0) {
            double one_way = t / n / 2;
            printf("@latency_us_%ld %.3f us\n", bytes, one_way * 1e6);
            if (bytes > 0)
                printf("@bandwidth_MBs_%ld %.1f MB/s\n", bytes, (double)bytes / one_way / 1e6);
        }
    }
    long total = 0;
    MPI_Reduce(&messages, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("@messages %ld -\n", total);
    free(buf);
    MPI_Finalize();
    return 0;
}
