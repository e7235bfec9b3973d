# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 07-queue (sourced by lessons/check.sh).
# Reference: every item 0..99 received exactly once (their sum is 4950), each producer's
# items in the order they were put. The number of Empty polls depends on timing: not checked.
normalize() { grep -E '^(items_received|sum_of_values|fifo_per_producer) '; }
reference() { printf 'items_received 100\nsum_of_values 4950\nfifo_per_producer yes\n'; }
hint() {
    case $1 in
    items_received | sum_of_values) echo "each producer must MPI_Isend its items to rank 0; rank 0 must MPI_Iprobe(MPI_ANY_SOURCE, 0, ...) and MPI_Recv exactly the probed message (status.MPI_SOURCE), counting the end markers" ;;
    fifo_per_producer) echo "receive from status.MPI_SOURCE, the rank the probe saw, and compare with that producer's next expected seq" ;;
    timeout) echo "the consumer waits for end markers: every producer must send one after its items" ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
