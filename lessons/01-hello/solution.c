/* Lesson 1, hello: one program, many processes (SPMD).
 *
 * mpirun starts N copies of this program. Each copy is a whole process with its own pid
 * and its own memory, and each runs all of main(). The only thing that tells them apart is
 * their rank, a number from 0 to N-1 that MPI gives them.
 *
 * Every rank fills in one small record about itself. Rank 0 collects the records with one
 * collective call, MPI_Gather, and prints them in rank order. The other ranks print
 * nothing, so the lines never interleave.
 *
 *     rank 0          rank 1          rank 2        each: {pid, parent pid}
 *    [pid ppid]      [pid ppid]      [pid ppid]
 *        |               |               |
 *        +---------------+---------------+---- MPI_Gather (root 0)
 *        v
 *    rank 0: [r0 r0 | r1 r1 | r2 r2]  ->  one line per rank, in rank order
 *
 * Build and run:  mpicc -std=c11 -o hello solution.c && mpirun -n 2 ./hello
 */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    // Start MPI. From here on this process is one rank of a team of world_size.
    // There is no parent process to guard with `if __name__ == '__main__'`:
    // mpirun already started every rank, and all of them run this line.
    MPI_Init(&argc, &argv);

    // Who am I, and how many of us are there?
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // My record: what the operating system calls me, and who started me.
    long my_record[2] = {(long)getpid(), (long)getppid()};

    // Only the root needs room for everyone's records (2 longs per rank).
    long *all_records = NULL;
    if (world_rank == 0)
        all_records = calloc(2 * (size_t)world_size, sizeof *all_records);

    // Every rank sends 2 longs; rank 0 receives 2 longs from each rank, placed in
    // rank order. All ranks must make this call, or the others wait forever.
    MPI_Gather(my_record, 2, MPI_LONG, all_records, 2, MPI_LONG, 0, MPI_COMM_WORLD);

    // Only rank 0 prints, so the output comes out whole and in order.
    if (world_rank == 0) {
        for (int r = 0; r < world_size; r++)
            printf("rank %d of %d: pid %ld, parent %ld\n", r, world_size,
                   all_records[2 * r], all_records[2 * r + 1]);
        free(all_records);
    }

    // Leave MPI. Every rank must call this before it exits.
    MPI_Finalize();
    return 0;
}
