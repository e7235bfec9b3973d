/* checkpoint.h - save a job's per-rank state at an agreed point and resume it: per-rank files, then a metadata file as the commit point. */
#ifndef MPIKIT_CHECKPOINT_H
#define MPIKIT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "mpikit/error.h"

/* A growable byte buffer that state is written into and read back from. */
typedef struct {
    unsigned char *data;
    size_t len, cap, pos;   /* pos: read position */
    int bad;                /* a put ran out of memory or a get ran past the end */
} mk_blob;

void mk_blob_init(mk_blob *b);
void mk_blob_free(mk_blob *b);
void mk_blob_put(mk_blob *b, const void *p, size_t n);
void mk_blob_put_u64(mk_blob *b, uint64_t v);
void mk_blob_get(mk_blob *b, void *p, size_t n);
uint64_t mk_blob_get_u64(mk_blob *b);

/* Save: each rank writes PATH.rank<N> (temporary name, then rename), then rank 0 writes
 * PATH holding `identity` (what run this is: files, ranks, options) and a fresh generation
 * number that every rank file also carries, so files of two checkpoints never mix.
 * Collective; errors agreed. `identity` matters on rank 0 only. */
int mk_checkpoint_save(MPI_Comm comm, const char *path, const mk_blob *identity, const mk_blob *mine, mk_err *err);

/* Load: when PATH exists, rank 0 checks that it was made by a run with the same identity
 * (else a clear error), and every rank reads its own file into `mine` (found = 1).
 * When PATH does not exist, found = 0. Collective; errors agreed. */
int mk_checkpoint_load(MPI_Comm comm, const char *path, const mk_blob *identity, mk_blob *mine, int *found,
                       mk_err *err);

/* Remove PATH (first: it is the commit point) and every rank's file. Collective. */
void mk_checkpoint_remove(MPI_Comm comm, const char *path);

#endif
