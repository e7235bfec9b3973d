/* Lesson 5, pool: a manager hands out tasks to whichever worker asks first.  EXERCISE
 *
 * Pool(3).map(mp_worker, data) gives each task to a free worker, so a slow task does not
 * hold up the others. In MPI, rank 0 is the manager: it keeps the list of tasks and answers
 * requests. Ranks 1..N-1 are workers: each one asks for a task, runs it, and sends the
 * result back with its next request. With 1 rank there is nobody to ask, so rank 0 runs
 * every task itself. (With 2 ranks there is exactly one worker: no speed-up yet.)
 *
 *   worker 1  --{ready}-->        rank 0: receive from MPI_ANY_SOURCE,
 *   worker 2  --{ready}-->                status.MPI_SOURCE says who asked,
 *   worker 1  <--task 0---                reply with the next task (or -1: stop)
 *   worker 2  <--task 1---
 *   worker 2  --{1, 'B'}-->       stores 'B' at results[1], replies task 2 ...
 *
 * Each worker sends one message per task plus one first "ready", so the manager knows it
 * will receive exactly N_TASKS + workers messages.
 *
 * This program compiles and runs, but no message is ever sent: with more than one rank no
 * task gets done. Fill in the TODOs, then check your work with:  make lesson NAME=pool
 */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define N_TASKS 16

// The tutorial's mp_worker: wait a while (0 to 9 ms here), return the name in upper case.
static int task(int i)
{
    struct timespec wait = {0, (long)((i * 7) % 10) * 1000000L};
    nanosleep(&wait, NULL);
    return 'A' + i;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    int workers = world_size - 1;

    if (world_rank == 0) {
        char results[N_TASKS + 1];
        memset(results, '.', N_TASKS);
        results[N_TASKS] = '\0';
        int tasks_of[64] = {0};  // tasks per rank, for the report (first 64 ranks)
        if (workers == 0) {
            for (int i = 0; i < N_TASKS; i++)
                results[i] = (char)task(i);
            tasks_of[0] = N_TASKS;
        }
        int next = 0;
        for (int m = 0; workers > 0 && m < N_TASKS + workers; m++) {
            int reply[2] = {-1, 0};  // {task number or -1 for "ready", result}
            int worker = 1;
            // TODO: receive 2 ints into `reply` from whichever worker sends first
            //       (MPI_ANY_SOURCE, tag 0), and set `worker` from the status's MPI_SOURCE.
            if (reply[0] >= 0) {
                results[reply[0]] = (char)reply[1];
                if (worker < 64)
                    tasks_of[worker]++;
            }
            // Answer whoever asked: the next task, or -1 when none is left.
            int order = next < N_TASKS ? next++ : -1;
            // TODO: send `order` (1 int, tag 0) to `worker`.
            (void)order;
        }
        printf("results %s\n", results);
        for (int r = 0; r < world_size && r < 64; r++)
            printf("rank %d ran %d tasks\n", r, tasks_of[r]);
    } else {
        int reply[2] = {-1, 0};
        for (;;) {
            // Ask for work; the request carries the previous result.
            // TODO: send the 2 ints of `reply` to rank 0 (tag 0), then receive `order`
            //       (1 int, tag 0) from rank 0.
            int order = -1;
            (void)reply;
            if (order < 0)
                break;
            reply[0] = order;
            reply[1] = task(order);
        }
    }
    MPI_Finalize();
    return 0;
}
