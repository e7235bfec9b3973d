/* Lesson 2, spawn: start new processes from a running MPI program.
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
 * Run:  mpirun -n 1 --oversubscribe ./spawn   (each child needs a slot: see README.md)
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
    int x;
    // Rank 0 of the *remote* group is the parent that spawned us.
    MPI_Recv(&x, 1, MPI_INT, 0, 0, parent, MPI_STATUS_IGNORE);
    long answer[3] = {x, (long)x * x, (long)getpid()};
    MPI_Send(answer, 3, MPI_LONG, 0, 0, parent);
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
        MPI_Comm children;
        MPI_Comm_spawn(argv[0], MPI_ARGV_NULL, count, MPI_INFO_NULL, 0, MPI_COMM_SELF,
                       &children, MPI_ERRCODES_IGNORE);

        // Hand child i its argument: ranks on an intercommunicator name the other side.
        for (int i = 0; i < count; i++) {
            int x = first + i + 1;
            MPI_Send(&x, 1, MPI_INT, i, 0, children);
        }
        // Collect the answers in child order and print them the tutorial's way.
        for (int i = 0; i < count; i++) {
            long answer[3];
            MPI_Recv(answer, 3, MPI_LONG, i, 0, children, MPI_STATUS_IGNORE);
            printf("%ld squared to %ld by pid: %ld\n", answer[0], answer[1], answer[2]);
        }
        // join(): wait until the children are done talking, then let them go.
        MPI_Comm_disconnect(&children);
    }

    MPI_Finalize();
    return 0;
}
