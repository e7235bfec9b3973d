/* h5.c - parallel HDF5 files on a communicator (MPI-IO driver), temp-then-rename, provenance,
 * collective hyperslab I/O, and HDF5 failures turned into agreed one-line errors. */
#include "mpikit/h5.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "mpikit/fault.h"
#include "mpikit/outfile.h"

/* Every routine here that makes a collective HDF5 call agrees twice: on entry, so that a
 * failure any rank met since the last agreement (an allocation, a local check, an earlier
 * call whose result was ignored) stops every rank before the collective instead of leaving
 * the others waiting in it; and on return, so that the result is the same on every rank and a
 * caller's `if (... != 0) break;` takes the same branch everywhere. An HDF5 call that fails on
 * one rank (a damaged chunk, a full disk) has still taken part in its MPI collectives, so the
 * agreement after it is reached by all. The cost is one MPI_Allreduce of an int per agreement. */
static int agreed(const mk_h5 *h, mk_err *err)
{
    return mk_err_agree(h->comm, err) == 0 ? 0 : -1;
}

void mk_h5_quiet(int debug)
{
    if (!debug)
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
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

static hid_t mpio_fapl(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

static int init_handle(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err)
{
    memset(h, 0, sizeof *h);
    h->file = -1;
    h->lock_fd = -1;
    h->reserve_fd = -1;
    h->comm = comm;
    MPI_Comm_rank(comm, &h->rank);
    MPI_Comm_size(comm, &h->size);
    if (strlen(path) + 16 >= sizeof h->path)
        return mk_err_set(err, MK_EXIT_FAILURE, "path too long: '%.64s...'", path);
    strcpy(h->path, path);
    return 0;
}

/* Disk kept free (by rank 0, in an unnamed file beside the output) until the file is closed.
 * HDF5 1.10 writes its metadata when the file closes; when that write fails too (a disk with
 * nothing left after the data failed), the file stays half-closed in HDF5's table and
 * MPI_Finalize then crashes in H5F__close_cb (exit 139). Our outputs' metadata is a few KiB. */
enum { H5_CLOSE_RESERVE = 128 * 1024 };

/* Rank 0: remove what killed runs left, make and lock the temporary, reserve the close's room. */
static int make_temporary(mk_h5 *h, const char *path, mk_err *err)
{
    if (mk_outfile_check_target(path, "output", err) != 0)
        return -1;
    mk_outfile_remove_stale(path);
    snprintf(h->tmp, sizeof h->tmp, "%s.tmp-XXXXXX", path);
    int fd = mk_fault_hit("h5.mkstemp") ? (errno = ENOSPC, -1) : mkstemp(h->tmp);
    if (fd < 0) {
        h->tmp[0] = '\0';
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
    }
    /* mkstemp makes 0600; the output should get the usual 0666 & ~umask */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    mk_outfile_lock(fd); /* best effort: without it a later run only skips this file */
    h->lock_fd = fd;
    if (mk_outfile_reserve(path, H5_CLOSE_RESERVE, &h->reserve_fd, err) != 0) {
        unlink(h->tmp);
        h->tmp[0] = '\0';
        return -1;
    }
    return 0;
}

/* Rank 0: give the reserved disk back (before a close that may need it). */
static void release_reserve(mk_h5 *h)
{
    if (h->reserve_fd >= 0)
        close(h->reserve_fd);
    h->reserve_fd = -1;
}

/* Rank 0: the temporary is renamed or removed; drop the reserve and the writer lock. */
static void release_temporary(mk_h5 *h)
{
    release_reserve(h);
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    h->lock_fd = -1;
}

int mk_h5_create(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err)
{
    if (init_handle(h, comm, path, err) != 0) {
        mk_err_agree(comm, err);
        return -1;
    }
    h->writing = 1;
    /* Rank 0 reserves a unique temporary beside the target (same file system, so rename is atomic). */
    if (h->rank == 0 && make_temporary(h, path, err) != 0)
        release_temporary(h);
    if (mk_err_agree(comm, err) != 0) {
        if (h->rank == 0 && h->tmp[0] != '\0')
            unlink(h->tmp);
        release_temporary(h);
        h->tmp[0] = '\0';
        return -1;
    }
    MPI_Bcast(h->tmp, (int)sizeof h->tmp, MPI_CHAR, 0, comm);
    hid_t fapl = mpio_fapl(comm);
    if (fapl >= 0)
        h->file = H5Fcreate(h->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    /* (a fault keeps the handle, as a call that took part and then failed: closed below by all) */
    if (h->file < 0 || mk_fault_hit("h5.create"))
        mk_err_set(err, MK_EXIT_FAILURE, "cannot create HDF5 file '%s' (MPI-IO driver)", path);
    if (mk_err_agree(comm, err) != 0) {
        release_reserve(h);
        if (h->file >= 0)
            H5Fclose(h->file);
        h->file = -1;
        if (h->rank == 0)
            unlink(h->tmp);
        release_temporary(h);
        h->tmp[0] = '\0';
        return -1;
    }
    return 0;
}

int mk_h5_open(mk_h5 *h, MPI_Comm comm, const char *path, mk_err *err)
{
    if (init_handle(h, comm, path, err) != 0) {
        mk_err_agree(comm, err);
        return -1;
    }
    if (h->rank == 0) {
        struct stat st;
        if (stat(path, &st) != 0)
            /* NOLINTNEXTLINE(bugprone-branch-clone): stat and access failures read the same */
            mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': is a directory", path);
        else if (!S_ISREG(st.st_mode)) /* H5Fis_hdf5 would block on a FIFO */
            mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': not a regular file (a pipe or device)", path);
        else if (access(path, R_OK) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
        else if (H5Fis_hdf5(path) <= 0)
            mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not an HDF5 file", path);
    }
    if (mk_err_agree(comm, err) != 0)
        return -1;
    hid_t fapl = mpio_fapl(comm);
    if (fapl >= 0) {
        h->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
    }
    if (h->file < 0 || mk_fault_hit("h5.open"))
        mk_err_set(err, MK_EXIT_FAILURE, "cannot open HDF5 file '%s' (damaged or truncated?)", path);
    if (mk_err_agree(comm, err) != 0) {
        if (h->file >= 0)
            H5Fclose(h->file);
        h->file = -1;
        return -1;
    }
    return 0;
}

void mk_h5_close(mk_h5 *h)
{
    if (h->file >= 0)
        H5Fclose(h->file);
    h->file = -1;
}

void mk_h5_abandon(mk_h5 *h)
{
    /* On a full disk the close's metadata flush fails too, and HDF5 1.10 then crashes in its own
     * clean-up at MPI_Finalize. The temporary is discarded anyway: free its blocks first, so the
     * flush has room. */
    if (h->file >= 0 && h->writing && h->tmp[0] != '\0') {
        release_reserve(h);
        MPI_Barrier(h->comm);
        if (h->rank == 0 && truncate(h->tmp, 0) != 0) {
            /* nothing better to do: the file is deleted below in any case */
        }
        MPI_Barrier(h->comm);
    }
    if (h->file >= 0)
        H5Fclose(h->file);
    h->file = -1;
    if (h->writing && h->tmp[0] != '\0') {
        MPI_Barrier(h->comm);
        if (h->rank == 0)
            unlink(h->tmp);
    }
    if (h->writing)
        release_temporary(h);
    h->tmp[0] = '\0';
}

int mk_h5_commit(mk_h5 *h, const char *check_dataset, mk_err *err)
{
    if (agreed(h, err) != 0) {
        mk_h5_abandon(h);
        return -1;
    }
    release_reserve(h);
    herr_t rc = H5Fclose(h->file);
    h->file = -1;
    if (rc < 0 || mk_fault_hit("h5.close"))
        mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': closing the HDF5 file failed", h->path);
    int closed = mk_err_agree(h->comm, err) == 0;
    if (closed && h->rank == 0) {
        /* MPI-IO may report success on a full disk: reopen with a serial driver. HDF5 refuses a
         * file shorter than its end-of-allocation mark, and the named dataset must be there. */
        hid_t f = H5Fopen(h->tmp, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = -1;
        if (f >= 0 && check_dataset != NULL)
            d = H5Dopen2(f, check_dataset, H5P_DEFAULT);
        if (f < 0 || (check_dataset != NULL && d < 0) || mk_fault_hit("h5.verify"))
            mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': the written file does not read back (disk full?)",
                       h->path);
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
        if (err->code == 0 && (mk_fault_hit("h5.rename") ? (errno = EIO, -1) : rename(h->tmp, h->path)) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': %s", h->path, strerror(errno));
    }
    if (h->rank == 0 && err->code != 0)
        unlink(h->tmp);
    release_temporary(h);
    h->tmp[0] = '\0';
    return mk_err_agree(h->comm, err) == 0 ? 0 : -1;
}

static int write_attr_n(mk_h5 *h, const char *object, const char *name, hid_t type, int n, const void *value,
                        mk_err *err)
{
    if (agreed(h, err) != 0)
        return -1;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate_by_name(h->file, object, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Awrite(a, type, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    if (rc < 0 || mk_fault_hit("h5.attr"))
        mk_err_set(err, MK_EXIT_FAILURE, "cannot write attribute '%s' on '%s' in '%s'", name, object, h->path);
    return agreed(h, err);
}

static int write_attr(mk_h5 *h, const char *object, const char *name, hid_t type, const void *value,
                      mk_err *err)
{
    return write_attr_n(h, object, name, type, -1, value, err);
}

/* Variable-length UTF-8: h5py reads it as str, not as fixed-length bytes. */
static hid_t utf8_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

int mk_h5_attr_f64(mk_h5 *h, const char *object, const char *name, double value, mk_err *err)
{
    return write_attr(h, object, name, H5T_NATIVE_DOUBLE, &value, err);
}

int mk_h5_attr_i64(mk_h5 *h, const char *object, const char *name, int64_t value, mk_err *err)
{
    return write_attr(h, object, name, H5T_NATIVE_INT64, &value, err);
}

int mk_h5_attr_str(mk_h5 *h, const char *object, const char *name, const char *value, mk_err *err)
{
    hid_t t = utf8_string_type();
    int rc = write_attr(h, object, name, t, &value, err);
    H5Tclose(t);
    return rc;
}

int mk_h5_attr_strs(mk_h5 *h, const char *object, const char *name, const char *const *values, int n,
                    mk_err *err)
{
    hid_t t = utf8_string_type();
    int rc = write_attr_n(h, object, name, t, n, values, err);
    H5Tclose(t);
    return rc;
}

int mk_h5_attr_get_f64(mk_h5 *h, const char *object, const char *name, double *value, mk_err *err)
{
    hid_t a = H5Aopen_by_name(h->file, object, name, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Aread(a, H5T_NATIVE_DOUBLE, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (rc < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "no numeric attribute '%s' on '%s' in '%s'", name, object,
                          h->path);
    return 0;
}

int mk_h5_provenance(mk_h5 *h, const char *program, int argc, char **argv, mk_err *err)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *cmd = mk_fault_hit("h5.alloc") ? NULL : malloc(len);
    if (cmd == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (agreed(h, err) != 0) {
        free(cmd);
        return -1;
    }
    cmd[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            strcat(cmd, " ");
        strcat(cmd, argv[i]);
    }
    /* Attribute values must be the same on every rank: rank 0's clock decides. */
    char when[64] = "";
    if (h->rank == 0) {
        time_t now = time(NULL);
        struct tm tmv;
        gmtime_r(&now, &tmv);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    }
    MPI_Bcast(when, (int)sizeof when, MPI_CHAR, 0, h->comm);
    int rc = 0;
    if (mk_h5_attr_str(h, "/", "program", program, err) != 0 || mk_h5_attr_str(h, "/", "version", MK_VERSION, err) != 0 ||
        mk_h5_attr_str(h, "/", "command", cmd, err) != 0 || mk_h5_attr_i64(h, "/", "ranks", h->size, err) != 0 ||
        mk_h5_attr_str(h, "/", "time", when, err) != 0)
        rc = -1;
    free(cmd);
    return rc;
}

int mk_h5_dataset_create(mk_h5 *h, const char *name, hid_t type, int ndims, const uint64_t *dims,
                         const uint64_t *chunk, hid_t *dset, mk_err *err)
{
    *dset = -1;
    if (agreed(h, err) != 0)
        return -1;
    hsize_t d[2], c[2];
    int any_zero = 0;
    for (int i = 0; i < ndims; i++) {
        d[i] = dims[i];
        any_zero |= dims[i] == 0;
        if (chunk != NULL) {
            c[i] = chunk[i] < 1 ? 1 : chunk[i];
            if (c[i] > d[i] && d[i] > 0)
                c[i] = d[i];
        }
    }
    hid_t space = H5Screate_simple(ndims, d, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    /* Every element is written by exactly one rank: no fill pass over the file. */
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    if (chunk != NULL && !any_zero)
        H5Pset_chunk(dcpl, ndims, c);
    /* Groups on the way ("/results/mean") are created as needed. */
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    *dset = H5Dcreate2(h->file, name, type, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (*dset < 0 || mk_fault_hit("h5.dataset_create"))
        mk_err_set(err, MK_EXIT_FAILURE, "cannot create dataset '%s' in '%s'", name, h->path);
    if (agreed(h, err) != 0) {
        if (*dset >= 0)
            H5Dclose(*dset);
        *dset = -1;
        return -1;
    }
    return 0;
}

static const char *class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "floating-point";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "non-numeric";
    }
}

int mk_h5_dataset_open(mk_h5 *h, const char *name, mk_h5_kind kind, int ndims, uint64_t *dims,
                       hid_t *dset, mk_err *err)
{
    *dset = -1;
    htri_t exists = H5Lexists(h->file, name, H5P_DEFAULT);
    if (exists > 0)
        *dset = H5Dopen2(h->file, name, H5P_DEFAULT);
    if (*dset >= 0 && mk_fault_hit("h5.dataset_open")) {
        H5Dclose(*dset);
        *dset = -1;
    }
    if (*dset < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "no dataset '%s' in '%s'", name, h->path);
    hid_t t = H5Dget_type(*dset);
    H5T_class_t c = H5Tget_class(t);
    H5Tclose(t);
    int good = kind == MK_H5_NUMERIC ? (c == H5T_INTEGER || c == H5T_FLOAT)
             : kind == MK_H5_FLOAT   ? c == H5T_FLOAT
             : kind == MK_H5_INTEGER ? c == H5T_INTEGER
                                     : c == H5T_STRING;
    const char *want = kind == MK_H5_NUMERIC ? "numeric" : kind == MK_H5_FLOAT ? "floating-point"
                     : kind == MK_H5_INTEGER ? "integer" : "string";
    if (!good) {
        H5Dclose(*dset);
        *dset = -1;
        return mk_err_set(err, MK_EXIT_FAILURE, "dataset '%s' in '%s' has %s values, expected %s", name, h->path,
                          class_name(c), want);
    }
    hid_t space = H5Dget_space(*dset);
    int nd = H5Sget_simple_extent_ndims(space);
    hsize_t d[H5S_MAX_RANK];
    if (nd > 0)
        H5Sget_simple_extent_dims(space, d, NULL);
    H5Sclose(space);
    if (nd != ndims) {
        char shape[128] = "";
        for (int i = 0; i < nd && i < 4; i++) {
            char part[32];
            snprintf(part, sizeof part, "%s%llu", i ? "x" : "", (unsigned long long)d[i]);
            strncat(shape, part, sizeof shape - strlen(shape) - 1);
        }
        H5Dclose(*dset);
        *dset = -1;
        return mk_err_set(err, MK_EXIT_FAILURE, "dataset '%s' in '%s' has shape [%s] (%d-D), expected %d-D", name,
                          h->path, nd > 0 ? shape : "scalar", nd, ndims);
    }
    for (int i = 0; i < nd; i++)
        dims[i] = d[i];
    return 0;
}

static int transfer(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                    void *buf, int write, mk_err *err)
{
    hid_t fspace = H5Dget_space(dset);
    int nd = H5Sget_simple_extent_ndims(fspace);
    hsize_t s[H5S_MAX_RANK], c[H5S_MAX_RANK];
    hsize_t n = 1;
    for (int i = 0; i < nd; i++) {
        /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): callers checked the dataset's rank */
        s[i] = start[i];
        c[i] = count[i];
        n *= c[i];
    }
    hid_t mspace;
    double dummy = 0;
    if (n == 0) {
        /* Nothing here, but collective calls need every rank: an empty selection. */
        H5Sselect_none(fspace);
        hsize_t one = 1;
        mspace = H5Screate_simple(1, &one, NULL);
        H5Sselect_none(mspace);
        buf = &dummy;
    } else {
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, s, NULL, c, NULL);
        mspace = H5Screate_simple(1, &n, NULL);
    }
    /* Writes are independent: Open MPI 4.1.4's collective writer (fcoll/vulcan) loses a
     * write error of its aggregator. On a full 1 MiB tmpfs at 3 ranks, arraystats --save ended
     * with exit 0 and a file with 29882 zeros where data should be. An independent write
     * returns ENOSPC to the rank that met it, and the agreement after the call spreads it
     * (the measured cost on one node is nil: each rank writes whole contiguous rows or chunks).
     * Reads stay collective. */
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, write ? H5FD_MPIO_INDEPENDENT : H5FD_MPIO_COLLECTIVE);
    herr_t rc = write ? H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf)
                      : H5Dread(dset, memtype, mspace, fspace, dxpl, buf);
    H5Pclose(dxpl);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (rc < 0 || mk_fault_hit(write ? "h5.write" : "h5.read")) {
        char name[256] = "?";
        H5Iget_name(dset, name, sizeof name);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot %s dataset '%s' in '%s'", write ? "write" : "read", name,
                          h->path);
    }
    return 0;
}

/* Largest transfer per rank per H5Dread/H5Dwrite call. MPI counts are int, and HDF5 1.10
 * passes a rank's whole selection to MPI-IO as one request, so bigger ones fail past 2 GiB.
 * MPIKIT_H5_MAX_TRANSFER (bytes) lowers it, so tests can split small datasets. */
static uint64_t max_transfer_bytes(void)
{
    uint64_t limit = (uint64_t)1 << 30;
    const char *env = getenv("MPIKIT_H5_MAX_TRANSFER");
    if (env != NULL) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (end != env && *end == '\0' && v > 0 && v < limit)
            limit = v;
    }
    return limit;
}

/* A rank's block in pieces of whole rows along the first dimension, each at most the transfer
 * limit (a single row is never split). Collective: every rank makes as many calls as the rank
 * with the most pieces, the others with empty selections. */
static int block_io(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                    void *buf, int write, mk_err *err)
{
    hid_t fspace = H5Dget_space(dset);
    int nd = H5Sget_simple_extent_ndims(fspace);
    H5Sclose(fspace);
    if (nd < 1 || nd > 2)
        return transfer(h, dset, memtype, start, count, buf, write, err);
    uint64_t row_bytes = H5Tget_size(memtype) * (nd == 2 ? count[1] : 1);
    uint64_t rows_per_piece = row_bytes > 0 ? max_transfer_bytes() / row_bytes : count[0];
    if (rows_per_piece == 0)
        rows_per_piece = 1;
    uint64_t pieces = count[0] > 0 && row_bytes > 0 ? (count[0] + rows_per_piece - 1) / rows_per_piece : 0;
    uint64_t most = 0;
    MPI_Allreduce(&pieces, &most, 1, MPI_UINT64_T, MPI_MAX, h->comm);
    if (most <= 1)
        return transfer(h, dset, memtype, start, count, buf, write, err);
    int rc = 0;
    for (uint64_t p = 0; p < most; p++) {
        uint64_t first = p * rows_per_piece;
        uint64_t n = p < pieces ? (count[0] - first < rows_per_piece ? count[0] - first : rows_per_piece) : 0;
        uint64_t s[2] = {n ? start[0] + first : 0, nd == 2 ? start[1] : 0};
        uint64_t c[2] = {n, nd == 2 ? count[1] : 1};
        void *at = n ? (char *)buf + first * row_bytes : buf;
        /* after a failure keep taking part (empty) so the other ranks' calls still match */
        if (rc != 0)
            c[0] = 0;
        if (transfer(h, dset, memtype, s, c, at, write, err) != 0)
            rc = -1;
    }
    return rc;
}

/* block_io between the two agreements (see agreed()). */
static int agreed_block_io(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                           void *buf, int write, mk_err *err)
{
    if (agreed(h, err) != 0)
        return -1;
    block_io(h, dset, memtype, start, count, buf, write, err);
    return agreed(h, err);
}

int mk_h5_write_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                      const void *buf, mk_err *err)
{
    return agreed_block_io(h, dset, memtype, start, count, (void *)(uintptr_t)buf, 1, err);
}

int mk_h5_read_block(mk_h5 *h, hid_t dset, hid_t memtype, const uint64_t *start, const uint64_t *count,
                     void *buf, mk_err *err)
{
    return agreed_block_io(h, dset, memtype, start, count, buf, 0, err);
}

static int rows_io(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, void *buf, int write,
                   mk_err *err)
{
    hid_t space = H5Dget_space(dset);
    int nd = H5Sget_simple_extent_ndims(space);
    hsize_t d[2] = {0, 0};
    if (nd == 1 || nd == 2)
        H5Sget_simple_extent_dims(space, d, NULL);
    H5Sclose(space);
    if (nd != 1 && nd != 2) {
        mk_err_set(err, MK_EXIT_FAILURE, "rows of a %d-D dataset in '%s'", nd, h->path);
        return agreed(h, err);
    }
    uint64_t start[2] = {row0, 0}, count[2] = {nrows, nd == 2 ? d[1] : 1};
    return agreed_block_io(h, dset, memtype, start, count, buf, write, err);
}

int mk_h5_write_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, const void *buf,
                     mk_err *err)
{
    return rows_io(h, dset, memtype, row0, nrows, (void *)(uintptr_t)buf, 1, err);
}

int mk_h5_read_rows(mk_h5 *h, hid_t dset, hid_t memtype, uint64_t row0, uint64_t nrows, void *buf,
                    mk_err *err)
{
    return rows_io(h, dset, memtype, row0, nrows, buf, 0, err);
}
