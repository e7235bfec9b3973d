/* h5.h - parallel HDF5 on a communicator: files written under a temporary name and renamed when
 * complete, provenance attributes, datasets (contiguous or chunked), collective hyperslab I/O of a
 * rank's rows or 2-D block, and HDF5 failures turned into one clear mk_err. */
#ifndef MPIKIT_H5_H
#define MPIKIT_H5_H

#include <stdint.h>
#include <hdf5.h>
#include <mpi.h>
#include "mpikit/error.h"

/* Agreement: every routine below that is collective agrees on the error on entry and on return
 * (mk_err_agree on the file's communicator), so its result is the same on every rank, and a
 * failure that only one rank met since the last agreement stops all ranks before the next
 * collective HDF5 call. A caller may therefore branch on the result without agreeing itself.
 * Routines not marked collective (mk_h5_close, mk_h5_attr_get_f64) act on this rank only. */

/* An open file. Written files live at `tmp` until mk_h5_commit renames them to `path`. */
typedef struct {
    hid_t file;
    MPI_Comm comm;
    int rank, size;
    int writing;
    char path[4096];
    char tmp[4096];
    int lock_fd;    /* rank 0 of a written file: holds the temporary's writer lock, else -1 */
    int reserve_fd; /* rank 0 of a written file: disk reserved for a clean close, else -1 */
} mk_h5;

/* HDF5 prints its error stack on every failure; jobs silence it unless --debug (debug != 0). */
void mk_h5_quiet(int debug);

/* Create `path` on comm with the MPI-IO driver, at a temporary name beside it (locked by rank 0
 * while written; stale temporaries of `path` that a killed run left are removed first, and a
 * little disk is reserved so that a full disk still lets the file close). Collective; errors
 * agreed. On failure nothing is left on disk. */
int mk_h5_create(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err);

/* Open an existing file read-only on comm. Clear messages for a missing file and for a file
 * that is not HDF5. Collective; errors agreed. */
int mk_h5_open(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err);

/* Close a file opened for reading. */
void mk_h5_close(mk_h5 *h);

/* Written file (err agreed on entry: an error abandons the file): close, agree that every rank succeeded, check the file reopens with the
 * expected object (`check_dataset`, NULL: none) and rename it into place. Collective. On any
 * failure the temporary is removed and -1 returned. */
int mk_h5_commit(mk_h5 *h, const char *check_dataset, mk_err *err);

/* Written file: close and delete the temporary (after an error). Collective. */
void mk_h5_abandon(mk_h5 *h);

/* Provenance attributes on the root group: program, version, command (argv joined by
 * spaces), ranks, time (UTC ISO 8601). Collective (attribute writes are). */
int mk_h5_provenance(mk_h5 *h, const char *program, int argc, char **argv, mk_err *err);

/* Scalar attributes on an object (file root: "/"). Collective (files being written). */
int mk_h5_attr_f64(mk_h5 *h, const char *object, const char *name, double value, mk_err *err);
int mk_h5_attr_i64(mk_h5 *h, const char *object, const char *name, int64_t value, mk_err *err);
int mk_h5_attr_str(mk_h5 *h, const char *object, const char *name, const char *value, mk_err *err);
/* A 1-D attribute of n strings (a list stays a list: h5py gives an array of str). Strings
 * are variable-length UTF-8, here and in mk_h5_attr_str. */
int mk_h5_attr_strs(mk_h5 *h, const char *object, const char *name, const char *const *values, int n,
                    mk_err *err);
/* Read a scalar numeric attribute as double (this rank only; no agreement). */
int mk_h5_attr_get_f64(mk_h5 *h, const char *object, const char *name, double *value, mk_err *err);

/* Create a dataset of `ndims` (1 or 2) dims with file type `type` (e.g. H5T_IEEE_F64LE,
 * H5T_STD_I64LE or a fixed-length string type). chunk == NULL: contiguous; else chunk dims
 * (clipped to dims, at least 1). Collective. *dset receives the handle (H5Dclose it). */
int mk_h5_dataset_create(mk_h5 *h, const char *name, hid_t type, int ndims, const uint64_t *dims,
                         const uint64_t *chunk, hid_t *dset, mk_err *err);

/* Class of data a reader accepts. */
typedef enum { MK_H5_NUMERIC, MK_H5_FLOAT, MK_H5_INTEGER, MK_H5_STRING } mk_h5_kind;

/* Open dataset `name`, check its class against `kind` and its rank against `ndims`; dims
 * receive the extent. Messages name the file, the dataset and what was found. */
int mk_h5_dataset_open(mk_h5 *h, const char *name, mk_h5_kind kind, int ndims, uint64_t *dims,
                       hid_t *dset, mk_err *err);

/* Hyperslab I/O of [start, start + count) in each of the dataset's dims (collective calls: reads
 * use collective MPI-IO, writes independent MPI-IO, see the comment in transfer()), converting
 * to/from memtype. A rank with nothing to move passes count with a 0 (it still takes part).
 * Buffers are row-major and dense (count[0] * count[1] elements). */
int mk_h5_write_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                      const void *buf, mk_err *err);
int mk_h5_read_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                     void *buf, mk_err *err);

/* Rows [row0, row0 + nrows) of a 1-D or 2-D dataset (all columns). Collective. */
int mk_h5_write_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, const void *buf,
                     mk_err *err);
int mk_h5_read_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, void *buf,
                    mk_err *err);

/* "f.h5:/path" -> file and dataset (default_dataset when there is no ':/'). Returns 0 or -1. */
int mk_h5_split_spec(const char *spec, char *file, size_t file_len, char *dataset, size_t dataset_len,
                     const char *default_dataset);

/* Whether a path names an HDF5 output by its suffix (.h5 or .hdf5). */
int mk_h5_is_h5_path(const char *path);

#endif
