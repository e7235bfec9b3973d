/* h5_none.c - include/mpikit/h5.h for the simulated build (make SIM=1), which replaces src/h5.c.
 * Parallel HDF5 is built on a real MPI (Open MPI here) and cannot run inside SimGrid's SMPI, so
 * every call that would touch a file fails on every rank alike (no communication needed to agree)
 * with one clear message. The path helpers are the real ones: options parse as in the real build.
 *
 * The jobs and src/table.c also call a few HDF5 functions directly (H5Dclose on a dataset that
 * mk_h5_* returned, the H5T_* type constants); they are only reached after an mk_h5_* call
 * succeeded, which never happens here, so they are defined below as failing stubs so that the
 * programs link without libhdf5 (whose parallel build would pull Open MPI into an SMPI program). */
#include <string.h>

#include "mpikit/h5.h"

#define NO_HDF5 "HDF5 is not available in the simulated build"

static int no_hdf5(const char *path, mk_err *err)
{
    if (path != NULL && path[0] != '\0')
        return mk_err_set(err, MK_EXIT_FAILURE, NO_HDF5 " (make SIM=1): cannot use '%s'", path);
    return mk_err_set(err, MK_EXIT_FAILURE, NO_HDF5 " (make SIM=1)");
}

void mk_h5_quiet(int debug)
{
    (void)debug;
}

int mk_h5_is_h5_path(const char *path)
{
    size_t n = strlen(path);
    return (n > 3 && strcmp(path + n - 3, ".h5") == 0) || (n > 5 && strcmp(path + n - 5, ".hdf5") == 0);
}

int mk_h5_split_spec(const char *spec, char *file, size_t file_len, char *dataset, size_t dataset_len,
                     const char *default_dataset)
{
    const char *colon = strstr(spec, ":/");
    size_t flen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *ds = colon ? colon + 1 : default_dataset;
    if (flen == 0 || flen >= file_len || ds == NULL || strlen(ds) >= dataset_len)
        return -1;
    memcpy(file, spec, flen);
    file[flen] = '\0';
    strcpy(dataset, ds);
    return 0;
}

int mk_h5_create(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err)
{
    memset(h, 0, sizeof *h);
    h->file = -1;
    h->comm = comm;
    return no_hdf5(path, err);
}

int mk_h5_open(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err)
{
    return mk_h5_create(h, comm, path, err);
}

void mk_h5_close(mk_h5 *h)
{
    (void)h;
}

int mk_h5_commit(mk_h5 *h, const char *check_dataset, mk_err *err)
{
    (void)check_dataset;
    return no_hdf5(h->path, err);
}

void mk_h5_abandon(mk_h5 *h)
{
    (void)h;
}

int mk_h5_provenance(mk_h5 *h, const char *program, int argc, char **argv, mk_err *err)
{
    (void)program, (void)argc, (void)argv;
    return no_hdf5(h->path, err);
}

int mk_h5_attr_f64(mk_h5 *h, const char *object, const char *name, double value, mk_err *err)
{
    (void)object, (void)name, (void)value;
    return no_hdf5(h->path, err);
}

int mk_h5_attr_i64(mk_h5 *h, const char *object, const char *name, int64_t value, mk_err *err)
{
    (void)object, (void)name, (void)value;
    return no_hdf5(h->path, err);
}

int mk_h5_attr_str(mk_h5 *h, const char *object, const char *name, const char *value, mk_err *err)
{
    (void)object, (void)name, (void)value;
    return no_hdf5(h->path, err);
}

int mk_h5_attr_strs(mk_h5 *h, const char *object, const char *name, const char *const *values, int n,
                    mk_err *err)
{
    (void)object, (void)name, (void)values, (void)n;
    return no_hdf5(h->path, err);
}

int mk_h5_attr_get_f64(mk_h5 *h, const char *object, const char *name, double *value, mk_err *err)
{
    (void)object, (void)name, (void)value;
    return no_hdf5(h->path, err);
}

int mk_h5_dataset_create(mk_h5 *h, const char *name, hid_t type, int ndims, const uint64_t *dims,
                         const uint64_t *chunk, hid_t *dset, mk_err *err)
{
    (void)name, (void)type, (void)ndims, (void)dims, (void)chunk;
    *dset = -1;
    return no_hdf5(h->path, err);
}

int mk_h5_dataset_open(mk_h5 *h, const char *name, mk_h5_kind kind, int ndims, uint64_t *dims, hid_t *dset,
                       mk_err *err)
{
    (void)name, (void)kind, (void)ndims, (void)dims;
    *dset = -1;
    return no_hdf5(h->path, err);
}

int mk_h5_write_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                      const void *buf, mk_err *err)
{
    (void)dset, (void)memtype, (void)start, (void)count, (void)buf;
    return no_hdf5(h->path, err);
}

int mk_h5_read_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count, void *buf,
                     mk_err *err)
{
    (void)dset, (void)memtype, (void)start, (void)count, (void)buf;
    return no_hdf5(h->path, err);
}

int mk_h5_write_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, const void *buf,
                     mk_err *err)
{
    (void)dset, (void)memtype, (void)row0, (void)nrows, (void)buf;
    return no_hdf5(h->path, err);
}

int mk_h5_read_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, void *buf, mk_err *err)
{
    (void)dset, (void)memtype, (void)row0, (void)nrows, (void)buf;
    return no_hdf5(h->path, err);
}
