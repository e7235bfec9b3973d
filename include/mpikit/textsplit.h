/* textsplit.h - split the bytes of one or more files over ranks and stream each rank's share with MPI-IO. */
#ifndef MPIKIT_TEXTSPLIT_H
#define MPIKIT_TEXTSPLIT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "mpikit/error.h"

/* A piece of one file: bytes [offset, offset + length) of file `file`. */
typedef struct {
    int file;
    uint64_t offset;
    uint64_t length;
} mk_segment;

/* The files of a job and their sizes, identical on every rank. */
typedef struct {
    int nfiles;
    const char **paths;   /* borrowed */
    uint64_t *sizes;
    uint64_t total;
} mk_fileset;

/* Rank 0 checks every path (exists, regular file, readable) and takes its size; the
 * result (or the first problem) is broadcast so every rank agrees. Collective. */
int mk_fileset_open(MPI_Comm comm, const char **paths, int npaths, mk_fileset *fs, mk_err *err);
void mk_fileset_free(mk_fileset *fs);

/* The segments of rank `rank` when the concatenated bytes of all files are split in
 * `nranks` blocks (balanced by bytes, not by file count). *segs is malloc'd. */
int mk_split_bytes(const mk_fileset *fs, int nranks, int rank, mk_segment **segs, int *nsegs);

/* One chunk of a rank's share, as delivered by the reader. */
typedef struct {
    int file;                /* file index */
    uint64_t offset;         /* file offset of data[0] */
    const unsigned char *data;
    size_t length;
    int segment_start;       /* first chunk of this rank's segment of this file */
    int segment_end;         /* last chunk of the segment */
    int at_file_start;       /* offset == 0 */
    int at_file_end;         /* offset + length == file size */
} mk_chunk;

typedef struct mk_reader mk_reader;

/* A reader for this rank's share, in chunks of at most chunk_size bytes (memory per rank
 * is bounded by it). Files are opened collectively one at a time, and every rank issues the
 * same sequence of MPI_File_read_at_all calls, so it works at any rank count. */
int mk_reader_open(mk_reader **r, MPI_Comm comm, const mk_fileset *fs, size_t chunk_size, mk_err *err);
/* Next non-empty chunk: 1 = chunk filled, 0 = done, 2 = stopped by the stop flag,
 * -1 = error (agreed on every rank). Collective. */
int mk_reader_next(mk_reader *r, mk_chunk *chunk, mk_err *err);
/* Independent read from the current file (for boundary look-ahead / look-behind).
 * Returns bytes read (short at end of file) or -1. */
long mk_reader_pread(mk_reader *r, uint64_t offset, unsigned char *buf, size_t len, mk_err *err);
/* Stopping at a checkpoint: with a flag set (a signal handler may set it at any time), every
 * read round first agrees on it over all ranks, and mk_reader_next then returns 2 on every
 * rank at the same round. Costs one small MPI_Allreduce per round; NULL turns it off. */
void mk_reader_set_stop_flag(mk_reader *r, const volatile sig_atomic_t *flag);
/* Bytes of this rank's share delivered so far (everything before them is processed). */
uint64_t mk_reader_position(const mk_reader *r);
/* Resume: skip the first `bytes` of this rank's share (a position saved earlier with the
 * same files, ranks and chunk size). Call before the first mk_reader_next. */
void mk_reader_resume_at(mk_reader *r, uint64_t bytes);
/* Seconds spent inside MPI-IO reads so far. */
double mk_reader_io_seconds(const mk_reader *r);
void mk_reader_close(mk_reader *r);

#endif
