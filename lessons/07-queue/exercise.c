/* Lesson 7, queue: put() is a message, get(block=False) is a probe.  EXERCISE
 *
 * In the tutorial one thread put()s into a queue.Queue and another get()s with block=False,
 * which raises Empty when nothing is there yet. Here rank 0 is the consumer and every other
 * rank a producer (alone, rank 0 is both). A put is MPI_Isend: it returns at once. A
 * non-blocking get is MPI_Iprobe: "is a message there?" If not, that is Empty and rank 0
 * may do something else; if so, MPI_Recv takes exactly the message that was probed.
 *
 *   producer 1  put: Isend {seq 0, v} {seq 1, v} ... {-1: end}  --+
 *   producer 2  put: Isend {seq 0, v} {seq 1, v} ... {-1: end}  --+--> rank 0:
 *        Iprobe(ANY_SOURCE) -> nothing: Empty, try again later
 *                           -> a message from rank s: Recv(source s), check s's seq order
 *        done when every producer's end marker has arrived
 *
 * MPI keeps the messages of one sender in order (they match the same receive), so each
 * producer's items arrive in the order they were put. Items from different producers mix.
 *
 * This program compiles and runs, but nothing is ever put and the consumer takes every
 * poll for an end marker. Fill in the TODOs, then check your work with:
 * make lesson NAME=queue
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N_ITEMS 100

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    int first_producer = world_size > 1 ? 1 : 0, producers = world_size - first_producer;

    // Producers: put my block of the items 0..N_ITEMS-1, then an end marker.
    MPI_Request *puts = malloc((N_ITEMS + 1) * sizeof(MPI_Request));
    int (*items)[2] = malloc((N_ITEMS + 1) * sizeof *items);  // buffers live until Waitall
    int n_puts = 0;
    if (world_rank >= first_producer) {
        int p = world_rank - first_producer, base = N_ITEMS / producers, extra = N_ITEMS % producers;
        int first = p * base + (p < extra ? p : extra), count = base + (p < extra);
        for (int seq = 0; seq <= count; seq++, n_puts++) {
            items[seq][0] = seq < count ? seq : -1;  // -1: end marker
            items[seq][1] = first + seq;             // the value
            puts[n_puts] = MPI_REQUEST_NULL;
            // TODO: put: MPI_Isend the 2 ints of items[seq] to rank 0 (tag 0), request puts[n_puts].
        }
    }

    // The consumer: poll with get(block=False) until every producer has ended.
    if (world_rank == 0) {
        int *next_seq = calloc((size_t)world_size, sizeof *next_seq);
        long received = 0, sum = 0, empty = 0;
        int ended = 0, in_order = 1;
        while (ended < producers) {
            int flag = 1, source = 0;
            // TODO: MPI_Iprobe for a message from MPI_ANY_SOURCE with tag 0 (sets flag and a
            //       status); `source` is the status's MPI_SOURCE.
            if (!flag) {  // queue.Empty: nothing has arrived yet
                empty++;
                continue;
            }
            int msg[2] = {-1, -1};  // take the very message the probe saw
            // TODO: MPI_Recv the 2 ints into `msg` from `source` (tag 0).
            if (msg[0] < 0) {
                ended++;
                continue;
            }
            in_order &= msg[0] == next_seq[source]++;
            received++;
            sum += msg[1];
        }
        printf("items_received %ld\n", received);
        printf("sum_of_values %ld\n", sum);
        printf("fifo_per_producer %s\n", in_order ? "yes" : "no");
        printf("empty_polls %ld\n", empty);
        free(next_seq);
    }
    // A put's buffer may be reused only once its send has completed.
    MPI_Waitall(n_puts, puts, MPI_STATUSES_IGNORE);
    free(puts);
    free(items);
    MPI_Finalize();
    return 0;
}
