/* smpi_compat.c - POSIX-backed MPI-IO for the simulated build (why: smpi_compat.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smpi_compat.h"

/* What an MPI_File stands for here. MPI_File is an opaque pointer (SMPI_File * in SMPI, a
 * struct pointer in Open MPI, which scripts/lint.sh compiles this file with), so handles are
 * converted through void *. */
typedef struct {
    int fd;
} posix_file;

static posix_file *file_of(MPI_File fh) { return (posix_file *)(void *)fh; }

static int mpi_error_of(int e)
{
    switch (e) {
    case ENOENT: return MPI_ERR_NO_SUCH_FILE;
    case EACCES: case EPERM: case ELOOP: return MPI_ERR_ACCESS;
    case EEXIST: return MPI_ERR_FILE_EXISTS;
    default: return MPI_ERR_IO;
    }
}

static int posix_flags(int amode)
{
    int flags = (amode & MPI_MODE_RDWR) ? O_RDWR : (amode & MPI_MODE_WRONLY) ? O_WRONLY : O_RDONLY;
    if (amode & MPI_MODE_CREATE)
        flags |= O_CREAT | O_NOFOLLOW;
    if (amode & MPI_MODE_EXCL)
        flags |= O_EXCL;
    return flags | O_CLOEXEC;
}

int mk_sim_file_open(MPI_Comm comm, const char *filename, int amode, MPI_Info info, MPI_File *fh)
{
    (void)info;
    int rank;
    MPI_Comm_rank(comm, &rank);
    int flags = posix_flags(amode);
    int rc0 = MPI_SUCCESS;
    /* Exclusive creation is rank 0's; the others wait for its outcome and open without it. */
    if (amode & MPI_MODE_EXCL) {
        int fd0 = rank == 0 ? open(filename, flags, 0666) : -1;
        if (rank == 0)
            rc0 = fd0 < 0 ? mpi_error_of(errno) : MPI_SUCCESS;
        MPI_Bcast(&rc0, 1, MPI_INT, 0, comm);
        if (rank == 0 && fd0 >= 0)
            close(fd0);
        flags &= ~(O_CREAT | O_EXCL);
    }
    *fh = MPI_FILE_NULL;
    if (rc0 != MPI_SUCCESS)
        return rc0;
    int fd = open(filename, flags, 0666);
    if (fd < 0)
        return mpi_error_of(errno);
    posix_file *f = malloc(sizeof *f);
    if (f == NULL) {
        close(fd);
        return MPI_ERR_NO_MEM;
    }
    f->fd = fd;
    *fh = (MPI_File)(void *)f;
    return MPI_SUCCESS;
}

int mk_sim_file_close(MPI_File *fh)
{
    if (fh == NULL || *fh == MPI_FILE_NULL)
        return MPI_ERR_FILE;
    posix_file *f = file_of(*fh);
    int rc = close(f->fd) == 0 ? MPI_SUCCESS : mpi_error_of(errno);
    free(f);
    *fh = MPI_FILE_NULL;
    return rc;
}

/* Moves count elements at offset with pread/pwrite, looping over short transfers. */
static int transfer(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype datatype,
                    MPI_Status *status, int writing)
{
    if (fh == MPI_FILE_NULL)
        return MPI_ERR_FILE;
    int size = 0;
    MPI_Type_size(datatype, &size);
    size_t want = (size_t)count * (size_t)size, done = 0;
    while (done < want) {
        int fd = file_of(fh)->fd;
        ssize_t n = writing ? pwrite(fd, (char *)buf + done, want - done, (off_t)(offset + (MPI_Offset)done))
                            : pread(fd, (char *)buf + done, want - done, (off_t)(offset + (MPI_Offset)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mpi_error_of(errno);
        if (n == 0)
            break; /* end of file: a short read, which the status reports */
        done += (size_t)n;
    }
    if (status != MPI_STATUS_IGNORE)
        MPI_Status_set_elements(status, MPI_BYTE, (int)done);
    return MPI_SUCCESS;
}

int mk_sim_file_read_at(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype datatype,
                        MPI_Status *status)
{
    return transfer(fh, offset, buf, count, datatype, status, 0);
}

int mk_sim_file_read_at_all(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype datatype,
                            MPI_Status *status)
{
    return transfer(fh, offset, buf, count, datatype, status, 0);
}

int mk_sim_file_write_at_all(MPI_File fh, MPI_Offset offset, const void *buf, int count, MPI_Datatype datatype,
                             MPI_Status *status)
{
    return transfer(fh, offset, (void *)buf, count, datatype, status, 1);
}

/* A probed message: where to receive it from (MPI_Message is an opaque pointer: through void *). */
typedef struct {
    int source, tag;
    MPI_Comm comm;
} probed_message;

static int remember(const MPI_Status *st, MPI_Comm comm, MPI_Message *message)
{
    probed_message *m = malloc(sizeof *m);
    if (m == NULL)
        return MPI_ERR_NO_MEM;
    m->source = st->MPI_SOURCE;
    m->tag = st->MPI_TAG;
    m->comm = comm;
    *message = (MPI_Message)(void *)m;
    return MPI_SUCCESS;
}

int mk_sim_improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message, MPI_Status *status)
{
    MPI_Status st;
    *message = MPI_MESSAGE_NULL;
    int rc = MPI_Iprobe(source, tag, comm, flag, &st);
    if (rc != MPI_SUCCESS || !*flag)
        return rc;
    if (status != MPI_STATUS_IGNORE)
        *status = st;
    return remember(&st, comm, message);
}

int mk_sim_mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    MPI_Status st;
    *message = MPI_MESSAGE_NULL;
    int rc = MPI_Probe(source, tag, comm, &st);
    if (rc != MPI_SUCCESS)
        return rc;
    if (status != MPI_STATUS_IGNORE)
        *status = st;
    return remember(&st, comm, message);
}

int mk_sim_mrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Status *status)
{
    probed_message *m = (probed_message *)(void *)*message;
    if (m == NULL)
        return MPI_ERR_ARG;
    int rc = MPI_Recv(buf, count, datatype, m->source, m->tag, m->comm, status);
    free(m);
    *message = MPI_MESSAGE_NULL;
    return rc;
}

int mk_sim_exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    int rank, size, tsize;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Type_size(datatype, &tsize);
    size_t bytes = (size_t)count * (size_t)tsize;
    char *all = malloc(bytes * (size_t)size + 1);
    /* Every rank takes part in the collective even when its allocation failed; then all fail. */
    int ok = all != NULL, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, comm);
    if (!all_ok || all == NULL) {
        free(all);
        return MPI_ERR_NO_MEM;
    }
    int rc = MPI_Allgather(sendbuf, count, datatype, all, count, datatype, comm);
    if (rc == MPI_SUCCESS && rank > 0) {
        /* prefix = c0 op c1 op ... op c(r-1): each step folds the running prefix (the lower ranks,
         * MPI's "invec") into the next rank's contribution ("inoutvec"). */
        for (int r = 1; r < rank && rc == MPI_SUCCESS; r++)
            rc = MPI_Reduce_local(all + (size_t)(r - 1) * bytes, all + (size_t)r * bytes, count, datatype, op);
        if (rc == MPI_SUCCESS)
            memcpy(recvbuf, all + (size_t)(rank - 1) * bytes, bytes);
    }
    free(all);
    return rc;
}
