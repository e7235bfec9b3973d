/* Lesson 2, spawn: start new processes from a running MPI program.  EXERCISE
 *
 * Python's Process(target=f, args=(x,)).start() makes a new process from a running one.
 * MPI_Comm_spawn is the MPI version: a running rank starts `count` new processes (children)
 * that run a program (here this same file) and gets back an intercommunicator, a
 * communicator whose "other side" is the group of children.
 *
 * The values 1..5 are split over the parent ranks (remainders go to the first ranks, so
 * 7 parents means 2 of them have nothing to do). Each parent spawns one child per value:
 *
 *   parent rank r  --MPI_Comm_spawn(count)-->  children 0..count-1 (a new MPI_COMM_WORLD)
 *   parent         --MPI_Send(x) to child i-->              child i: x*x
 *   parent         <--MPI_Send({x, x*x, pid})--             child i
 *   MPI_Comm_disconnect on both sides: Process.join(), the two are independent again
 *
 * This program compiles and runs, but no child is ever started: the parents print zeros.
 * Fill in the TODOs, then check your work with:  make lesson NAME=spawn
 */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N_VALUES 5

// What a child does: get x from its parent, square it, send back who did it.
static void child(MPI_Comm parent)
{
    int x = 0;
    // TODO: receive x from rank 0 of the *remote* group, the parent that spawned us
    //       (MPI_Recv on the `parent` intercommunicator, tag 0).
    long answer[3] = {x, (long)x * x, (long)getpid()};
    // TODO: send the 3 longs of `answer` back to rank 0 of `parent` (tag 0).
    (void)answer;
    (void)parent;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);

    // A spawned process has a parent; one started by mpirun has MPI_COMM_NULL here.
    MPI_Comm parent;
    MPI_Comm_get_parent(&parent);
    if (parent != MPI_COMM_NULL) {
        child(parent);
        MPI_Comm_disconnect(&parent);
        MPI_Finalize();
        return 0;
    }

    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // My block of the values 1..N_VALUES, like numpy.array_split: the first
    // N_VALUES % world_size ranks take one more.
    int base = N_VALUES / world_size, extra = N_VALUES % world_size;
    int count = base + (world_rank < extra);
    int first = world_rank * base + (world_rank < extra ? world_rank : extra);

    if (count > 0) {
        // Start `count` children of this program over MPI_COMM_SELF: this rank alone
        // is the parent, so no other rank has to take part.
        MPI_Comm children = MPI_COMM_NULL;
        // TODO: MPI_Comm_spawn `count` copies of argv[0] (no arguments: MPI_ARGV_NULL,
        //       MPI_INFO_NULL, root 0, over MPI_COMM_SELF) into `children`;
        //       MPI_ERRCODES_IGNORE for the error codes.

        // Hand child i its argument: ranks on an intercommunicator name the other side.
        for (int i = 0; i < count; i++) {
            int x = first + i + 1;
            // TODO: send x to child i (rank i of the remote group of `children`, tag 0).
            (void)x;
        }
        // Collect the answers in child order and print them the tutorial's way.
        for (int i = 0; i < count; i++) {
            long answer[3] = {first + i + 1, 0, 0};
            // TODO: receive child i's 3 longs {x, x*x, pid} into `answer` (tag 0).
            printf("%ld squared to %ld by pid: %ld\n", answer[0], answer[1], answer[2]);
        }
        // join(): wait until the children are done talking, then let them go.
        // TODO: MPI_Comm_disconnect(&children) once the children exist.
        (void)children;
    }

    MPI_Finalize();
    return 0;
}
