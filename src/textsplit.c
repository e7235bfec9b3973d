/* textsplit.c - byte ranges of a set of files over ranks, streamed with collective MPI-IO.
 *
 * The files are treated as one concatenated byte stream split in equal blocks, so one
 * huge file and many small ones balance alike. Reads are collective: for each file every
 * rank issues the same number of MPI_File_read_at_all calls (the most any rank needs,
 * zero-length when it has nothing left), which keeps the collective calls matched. */
#include "mpikit/textsplit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mpikit/partition.h"
#include "mpikit/timing.h"

static int check_path(const char *path, uint64_t *size, mk_err *err)
{
    if (path[0] == '\0')
        return mk_err_set(err, MK_EXIT_FAILURE, "empty file name");
    struct stat st;
    if (stat(path, &st) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    /* Check the type before opening: opening a FIFO for reading blocks until a writer comes. */
    if (S_ISDIR(st.st_mode))
        return mk_err_set(err, MK_EXIT_FAILURE, "'%s' is a directory, not a file", path);
    if (!S_ISREG(st.st_mode))
        return mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not a regular file (a pipe or device cannot be split)",
                          path);
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    close(fd);
    *size = (uint64_t)st.st_size;
    return 0;
}

int mk_fileset_open(MPI_Comm comm, const char **paths, int npaths, mk_fileset *fs, mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    memset(fs, 0, sizeof *fs);
    fs->nfiles = npaths;
    fs->paths = paths;
    fs->sizes = calloc(npaths > 0 ? (size_t)npaths : 1, sizeof *fs->sizes);
    if (fs->sizes == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    /* One rank checks, so the message is printed once and every rank agrees on it. */
    if (rank == 0 && err->code == 0)
        for (int i = 0; i < npaths; i++)
            if (check_path(paths[i], &fs->sizes[i], err) != 0)
                break;
    if (mk_err_agree(comm, err) != 0) {
        mk_fileset_free(fs);
        return -1;
    }
    MPI_Bcast(fs->sizes, npaths, MPI_UINT64_T, 0, comm);
    for (int i = 0; i < npaths; i++)
        fs->total += fs->sizes[i];
    return 0;
}

void mk_fileset_free(mk_fileset *fs)
{
    free(fs->sizes);
    fs->sizes = NULL;
}

int mk_split_bytes(const mk_fileset *fs, int nranks, int rank, mk_segment **segs, int *nsegs)
{
    mk_range mine = mk_block_range(fs->total, nranks, rank);
    uint64_t lo = mine.start, hi = mine.start + mine.count, file_start = 0;
    *nsegs = 0;
    *segs = malloc((fs->nfiles > 0 ? (size_t)fs->nfiles : 1) * sizeof **segs);
    if (*segs == NULL)
        return -1;
    for (int f = 0; f < fs->nfiles; f++) {
        uint64_t file_end = file_start + fs->sizes[f];
        uint64_t a = lo > file_start ? lo : file_start, b = hi < file_end ? hi : file_end;
        if (a < b)
            (*segs)[(*nsegs)++] = (mk_segment){f, a - file_start, b - a};
        file_start = file_end;
    }
    return 0;
}

struct mk_reader {
    MPI_Comm comm;
    int nranks, rank;
    const mk_fileset *fs;
    size_t chunk_size;
    unsigned char *buf;
    mk_segment *segs;
    int nsegs;
    int file;              /* current file, -1 before the first */
    uint64_t file_start;   /* offset of the current file in the concatenated stream */
    MPI_File fh;
    int is_open;
    uint64_t iterations, iteration;
    mk_segment cur;        /* this rank's part of the current file (length 0 if none) */
    double io_seconds;
    mk_err local;          /* first local read error; reported at the end */
    const volatile sig_atomic_t *stop_flag;
    uint64_t delivered;    /* bytes of this rank's share handed out so far */
    uint64_t skip;         /* resume: bytes of the share already done in an earlier run */
    uint64_t share_before; /* bytes of this rank's share in files before the current one */
    struct timespec opened_mtime; /* rank 0: the current file's modification time when opened */
};

int mk_reader_open(mk_reader **out, MPI_Comm comm, const mk_fileset *fs, size_t chunk_size, mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    mk_reader *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->comm = comm;
        MPI_Comm_size(comm, &r->nranks);
        r->rank = rank;
        r->fs = fs;
        r->chunk_size = chunk_size;
        r->file = -1;
        r->fh = MPI_FILE_NULL;
        mk_err_clear(&r->local);
        r->buf = malloc(chunk_size ? chunk_size : 1);
    }
    if (r == NULL || r->buf == NULL || mk_split_bytes(fs, r->nranks, rank, &r->segs, &r->nsegs) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for a %zu-byte read buffer", chunk_size);
    if (mk_err_agree(comm, err) != 0) {
        mk_reader_close(r);
        *out = NULL;
        return -1;
    }
    *out = r;
    return 0;
}

/* Chunks needed by the busiest rank in file f: the ranks owning its first to last byte. */
static uint64_t file_iterations(const mk_reader *r, int f, uint64_t file_start)
{
    uint64_t size = r->fs->sizes[f], most = 0;
    int first = mk_block_owner(r->fs->total, r->nranks, file_start);
    int last = mk_block_owner(r->fs->total, r->nranks, file_start + size - 1);
    for (int k = first; k <= last; k++) {
        mk_range b = mk_block_range(r->fs->total, r->nranks, k);
        uint64_t a = b.start > file_start ? b.start : file_start;
        uint64_t e = b.start + b.count < file_start + size ? b.start + b.count : file_start + size;
        uint64_t n = e > a ? (e - a + r->chunk_size - 1) / r->chunk_size : 0;
        if (n > most)
            most = n;
    }
    return most;
}

static void error_string(int rc, char *buf, size_t len)
{
    int n = 0;
    buf[0] = '\0';
    if (MPI_Error_string(rc, buf, &n) != MPI_SUCCESS || n <= 0)
        snprintf(buf, len, "MPI error %d", rc);
}

static int open_file(mk_reader *r, int f, mk_err *err)
{
    char why[MPI_MAX_ERROR_STRING];
    int rc = MPI_File_open(r->comm, r->fs->paths[f], MPI_MODE_RDONLY, MPI_INFO_NULL, &r->fh);
    if (rc != MPI_SUCCESS) {
        error_string(rc, why, sizeof why);
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_File_open '%s': %s", r->fs->paths[f], why);
        r->fh = MPI_FILE_NULL;
    }
    if (mk_err_agree(r->comm, err) != 0) {
        if (r->fh != MPI_FILE_NULL)
            MPI_File_close(&r->fh);
        return -1;
    }
    struct stat st;
    if (r->rank == 0 && stat(r->fs->paths[f], &st) == 0)
        r->opened_mtime = st.st_mtim;
    r->is_open = 1;
    r->iteration = 0;
    r->iterations = file_iterations(r, f, r->file_start);
    r->cur = (mk_segment){f, 0, 0};
    for (int i = 0; i < r->nsegs; i++)
        if (r->segs[i].file == f)
            r->cur = r->segs[i];
    return 0;
}

void mk_reader_set_stop_flag(mk_reader *r, const volatile sig_atomic_t *flag) { r->stop_flag = flag; }
uint64_t mk_reader_position(const mk_reader *r) { return r->delivered; }
void mk_reader_resume_at(mk_reader *r, uint64_t bytes) { r->skip = r->delivered = bytes; }

/* Every rank asks at the same round, so all stop together. */
static int agreed_stop(mk_reader *r)
{
    if (r->stop_flag == NULL)
        return 0;
    int mine = *r->stop_flag != 0, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, r->comm);
    return any;
}

/* A file that grows, shrinks or is rewritten while it is read gives counts of no version of
 * it. Rank 0 compares the size the split was made for, and the modification time at open,
 * with the file after the last read round; the error is agreed with the others at the end. */
static void check_unchanged(mk_reader *r)
{
    struct stat st;
    const char *path = r->fs->paths[r->file];
    uint64_t size = r->fs->sizes[r->file];
    if (r->rank != 0 || r->local.code != 0)
        return;
    if (stat(path, &st) != 0)
        mk_err_set(&r->local, MK_EXIT_FAILURE, "'%s' disappeared while being read: %s", path, strerror(errno));
    else if ((uint64_t)st.st_size != size)
        mk_err_set(&r->local, MK_EXIT_FAILURE, "'%s' changed size while being read (%llu bytes at the start, %llu now)",
                   path, (unsigned long long)size, (unsigned long long)st.st_size);
    else if (st.st_mtim.tv_sec != r->opened_mtime.tv_sec || st.st_mtim.tv_nsec != r->opened_mtime.tv_nsec)
        mk_err_set(&r->local, MK_EXIT_FAILURE, "'%s' was modified while being read", path);
}

int mk_reader_next(mk_reader *r, mk_chunk *chunk, mk_err *err)
{
    for (;;) {
        if (r->is_open && r->iteration < r->iterations) {
            if (agreed_stop(r)) {
                *err = r->local;
                return mk_err_agree(r->comm, err) == 0 ? 2 : -1;
            }
            uint64_t done = r->iteration * r->chunk_size;
            size_t n = 0;
            if (done < r->cur.length && r->local.code == 0)
                n = (size_t)(r->cur.length - done < r->chunk_size ? r->cur.length - done : r->chunk_size);
            /* Resuming: rounds finished in an earlier run read nothing now. */
            if (r->share_before + done < r->skip)
                n = 0;
            MPI_Status status;
            double t0 = mk_now();
            int rc = MPI_File_read_at_all(r->fh, (MPI_Offset)r->cur.offset + (MPI_Offset)done, r->buf, (int)n, MPI_BYTE,
                                          &status);
            r->io_seconds += mk_now() - t0;
            int got = 0;
            if (rc == MPI_SUCCESS)
                MPI_Get_count(&status, MPI_BYTE, &got);
            r->iteration++;
            if (r->local.code == 0 && (rc != MPI_SUCCESS || (size_t)got != n)) {
                char why[MPI_MAX_ERROR_STRING];
                if (rc != MPI_SUCCESS)
                    error_string(rc, why, sizeof why);
                else
                    snprintf(why, sizeof why, "short read (%d of %zu bytes): did the file shrink?", got, n);
                mk_err_set(&r->local, MK_EXIT_FAILURE, "reading '%s' at offset %llu: %s",
                           r->fs->paths[r->cur.file], (unsigned long long)r->cur.offset + done, why);
                continue;
            }
            if (n == 0)
                continue;
            r->delivered = r->share_before + done + n;
            chunk->file = r->cur.file;
            chunk->offset = r->cur.offset + done;
            chunk->data = r->buf;
            chunk->length = n;
            chunk->segment_start = done == 0;
            chunk->segment_end = done + n == r->cur.length;
            chunk->at_file_start = chunk->offset == 0;
            chunk->at_file_end = chunk->offset + n == r->fs->sizes[r->cur.file];
            return 1;
        }
        if (r->is_open) {
            check_unchanged(r);
            MPI_File_close(&r->fh);
            r->is_open = 0;
            r->file_start += r->fs->sizes[r->file];
            r->share_before += r->cur.length;
        }
        if (r->file + 1 >= r->fs->nfiles) {
            *err = r->local;
            return mk_err_agree(r->comm, err) == 0 ? 0 : -1;
        }
        r->file++;
        /* Empty files need no reads; every rank skips them alike. */
        if (r->fs->sizes[r->file] == 0)
            continue;
        if (open_file(r, r->file, err) != 0)
            return -1;
    }
}

long mk_reader_pread(mk_reader *r, uint64_t offset, unsigned char *buf, size_t len, mk_err *err)
{
    if (!r->is_open)
        return mk_err_set(err, MK_EXIT_FAILURE, "internal: no file open for look-ahead");
    MPI_Status status;
    int got = 0;
    double t0 = mk_now();
    int rc = MPI_File_read_at(r->fh, (MPI_Offset)offset, buf, (int)len, MPI_BYTE, &status);
    r->io_seconds += mk_now() - t0;
    if (rc != MPI_SUCCESS) {
        char why[MPI_MAX_ERROR_STRING];
        error_string(rc, why, sizeof why);
        return mk_err_set(err, MK_EXIT_FAILURE, "reading '%s': %s", r->fs->paths[r->file], why);
    }
    MPI_Get_count(&status, MPI_BYTE, &got);
    return got;
}

double mk_reader_io_seconds(const mk_reader *r) { return r->io_seconds; }

void mk_reader_close(mk_reader *r)
{
    if (r == NULL)
        return;
    if (r->is_open)
        MPI_File_close(&r->fh);
    free(r->segs);
    free(r->buf);
    free(r);
}
