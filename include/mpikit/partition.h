/* partition.h - block decomposition of n items over p parts, remainders spread like numpy.array_split. */
#ifndef MPIKIT_PARTITION_H
#define MPIKIT_PARTITION_H

#include <stdint.h>

/* A half-open range of items [start, start + count). */
typedef struct {
    uint64_t start;
    uint64_t count;
} mk_range;

/* Part `index` of n items split over `parts` parts: the first n % parts parts get one more. */
mk_range mk_block_range(uint64_t n, int parts, int index);

/* The part that owns item `item` under mk_block_range (item < n). */
int mk_block_owner(uint64_t n, int parts, uint64_t item);

/* Counts and displacements for MPI_Scatterv/Gatherv, in units of `unit` elements per item.
 * Returns 0, or -1 when a count or displacement does not fit an int. */
int mk_block_counts(uint64_t n, int parts, int unit, int *counts, int *displs);

#endif
