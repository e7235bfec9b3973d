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

/* Save: each rank writes PATH.rank<N> (unnamed or under a fresh name, then renamed: a symbolic
 * link planted at a name is replaced, never written through), then rank 0 writes PATH holding
 * `identity` (what run this is: files, ranks, options) and a fresh generation number that every
 * rank file also carries with its rank, so files of two checkpoints never mix. Every file ends
 * with a checksum of all its bytes. Collective; errors agreed. `identity` matters on rank 0 only. */
int mk_checkpoint_save(MPI_Comm comm, const char *path, const mk_blob *identity, const mk_blob *mine, mk_err *err);

/* Load: when PATH exists, rank 0 checks that it was made by a run with the same identity
 * (else a clear error), and every rank reads its own file into `mine` (found = 1; the state
 * from mine->pos to mine->len). A file with any byte changed, missing or added, a symbolic
 * link, or a rank file of another checkpoint or rank is refused with an error naming it.
 * When nothing is at PATH, found = 0. Collective; errors agreed. */
int mk_checkpoint_load(MPI_Comm comm, const char *path, const mk_blob *identity, mk_blob *mine, int *found,
                       mk_err *err);

/* Remove PATH (first: it is the commit point) and every rank's file. Collective. */
void mk_checkpoint_remove(MPI_Comm comm, const char *path);

/* ---- journals: which items of a task-parallel job are done, recorded as they finish ----
 *
 *   PATH        rank 0, renamed into place: identity, generation, the items done before this
 *               run with their results, and how many rank journals the run writes; checksummed
 *   PATH.rankN  a checksummed header, renamed into place; then rank N appends one checksummed
 *               record (item, result) per finished task
 *
 * No collective while the tasks run: a rank killed with SIGKILL loses at most its unwritten
 * records (fewer than `every`) and the task it was running. */
typedef struct {
    int fd;                  /* -1: closed */
    char path[4200];         /* this rank's journal */
    size_t record_size;      /* result bytes per item */
    uint64_t n, generation;
    uint64_t every;          /* write after this many records (1: each at once) ... */
    double every_seconds;    /* ... or when the oldest unwritten one is this old */
    double oldest;
    mk_blob pending;         /* records not yet written */
    uint64_t npending;
} mk_journal;

/* Open the journal checkpoint PATH of a job with n items of record_size result bytes; every
 * record is written at once (set j->every, j->every_seconds to batch). When PATH exists it
 * must come from a run with the same identity (else an MK_EXIT_USAGE error); every item it
 * and its rank journals record is flagged in done[] (n bytes, every rank) and, on rank 0, its
 * result copied to results + item * record_size. A damaged file (any byte changed, a cut
 * header, a symbolic link) is an error naming it; the torn last record a kill can leave is not. Then rank 0 commits the merged state under a new generation
 * (journals of an older one are ignored), and each rank starts an empty journal. *ndone: how
 * many items were done before. Works at any rank count. Collective; errors agreed. */
int mk_journal_open(MPI_Comm comm, const char *path, const mk_blob *identity, uint64_t n, size_t record_size,
                    unsigned char *done, void *results, uint64_t *ndone, int *found, mk_journal *j, mk_err *err);

/* Record that `item` finished with `result` (record_size bytes). Local, no MPI. */
int mk_journal_add(mk_journal *j, uint64_t item, const void *result, mk_err *err);

/* Write the pending records and fsync. Local. */
int mk_journal_sync(mk_journal *j, mk_err *err);

/* Write the pending records (errors ignored: call mk_journal_sync first to see them) and close.
 * Remove the files with mk_checkpoint_remove. */
void mk_journal_close(mk_journal *j);

#endif
