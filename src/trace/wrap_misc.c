/* wrap_misc.c - the PMPI wrappers for MPI-IO reads and writes (independent, collective, at
 * explicit offsets, shared and ordered, non-blocking), communicator creation and release
 * (each new communicator is registered so all its members name it alike), and spawning. */
#include "rt.h"

#define TRACE_BEGIN                                                                                                    \
    int traced = rt_enter();                                                                                           \
    int64_t t0 = traced ? rt_now() : 0;
#define TRACE_END                                                                                                      \
    rt_leave();                                                                                                        \
    return rc;

/* ---- MPI-IO ---- */

/* A read (bytes in) or a write (bytes out) of count elements; request for i-variants. */
static void io(int func, int64_t t0, int rc, int count, MPI_Datatype type, int is_write, MPI_Request *request)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    if (rc == MPI_SUCCESS) {
        int64_t bytes = rt_bytes(count, type);
        if (is_write)
            e.sbytes = bytes;
        else
            e.rbytes = bytes;
        if (request != NULL)
            e.req = rt_req_add(*request, RT_REQ_IO, 0);
    }
    rt_emit(&e, 1);
}

static void io_other(int func, int64_t t0, int rc, MPI_Comm comm)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    if (comm != MPI_COMM_NULL) {
        uint32_t index;
        e.tag = rt_comm_get(comm, &index)->my_rank;
        e.comm = index;
    }
    rt_emit(&e, 1);
}

int MPI_File_open(MPI_Comm comm, const char *filename, int amode, MPI_Info info, MPI_File *fh)
{
    TRACE_BEGIN
    int rc = PMPI_File_open(comm, filename, amode, info, fh);
    if (traced)
        io_other(MKT_F_File_open, t0, rc, comm);
    TRACE_END
}

int MPI_File_close(MPI_File *fh)
{
    TRACE_BEGIN
    int rc = PMPI_File_close(fh);
    if (traced)
        io_other(MKT_F_File_close, t0, rc, MPI_COMM_NULL);
    TRACE_END
}

int MPI_File_set_view(MPI_File fh, MPI_Offset disp, MPI_Datatype etype, MPI_Datatype filetype, const char *datarep,
                      MPI_Info info)
{
    TRACE_BEGIN
    int rc = PMPI_File_set_view(fh, disp, etype, filetype, datarep, info);
    if (traced)
        io_other(MKT_F_File_set_view, t0, rc, MPI_COMM_NULL);
    TRACE_END
}

int MPI_File_sync(MPI_File fh)
{
    TRACE_BEGIN
    int rc = PMPI_File_sync(fh);
    if (traced)
        io_other(MKT_F_File_sync, t0, rc, MPI_COMM_NULL);
    TRACE_END
}

int MPI_File_set_size(MPI_File fh, MPI_Offset size)
{
    TRACE_BEGIN
    int rc = PMPI_File_set_size(fh, size);
    if (traced)
        io_other(MKT_F_File_set_size, t0, rc, MPI_COMM_NULL);
    TRACE_END
}

#define IO_READ(NAME)                                                                                                  \
    int MPI_File_##NAME(MPI_File fh, void *buf, int count, MPI_Datatype type, MPI_Status *status)                      \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, buf, count, type, status);                                                       \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 0, NULL);                                                       \
        TRACE_END                                                                                                      \
    }
#define IO_READ_AT(NAME)                                                                                               \
    int MPI_File_##NAME(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype type, MPI_Status *status)   \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, offset, buf, count, type, status);                                               \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 0, NULL);                                                       \
        TRACE_END                                                                                                      \
    }
#define IO_WRITE(NAME)                                                                                                 \
    int MPI_File_##NAME(MPI_File fh, const void *buf, int count, MPI_Datatype type, MPI_Status *status)                \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, buf, count, type, status);                                                       \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 1, NULL);                                                       \
        TRACE_END                                                                                                      \
    }
#define IO_WRITE_AT(NAME)                                                                                              \
    int MPI_File_##NAME(MPI_File fh, MPI_Offset offset, const void *buf, int count, MPI_Datatype type,                 \
                        MPI_Status *status)                                                                            \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, offset, buf, count, type, status);                                               \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 1, NULL);                                                       \
        TRACE_END                                                                                                      \
    }
#define IO_IREAD(NAME)                                                                                                 \
    int MPI_File_##NAME(MPI_File fh, void *buf, int count, MPI_Datatype type, MPI_Request *request)                    \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, buf, count, type, request);                                                      \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 0, request);                                                    \
        TRACE_END                                                                                                      \
    }
#define IO_IREAD_AT(NAME)                                                                                              \
    int MPI_File_##NAME(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype type, MPI_Request *request) \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, offset, buf, count, type, request);                                              \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 0, request);                                                    \
        TRACE_END                                                                                                      \
    }
#define IO_IWRITE(NAME)                                                                                                \
    int MPI_File_##NAME(MPI_File fh, const void *buf, int count, MPI_Datatype type, MPI_Request *request)              \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, buf, count, type, request);                                                      \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 1, request);                                                    \
        TRACE_END                                                                                                      \
    }
#define IO_IWRITE_AT(NAME)                                                                                             \
    int MPI_File_##NAME(MPI_File fh, MPI_Offset offset, const void *buf, int count, MPI_Datatype type,                 \
                        MPI_Request *request)                                                                          \
    {                                                                                                                  \
        TRACE_BEGIN                                                                                                    \
        int rc = PMPI_File_##NAME(fh, offset, buf, count, type, request);                                              \
        if (traced)                                                                                                    \
            io(MKT_F_File_##NAME, t0, rc, count, type, 1, request);                                                    \
        TRACE_END                                                                                                      \
    }

IO_READ(read)
IO_READ(read_all)
IO_READ(read_shared)
IO_READ(read_ordered)
IO_READ_AT(read_at)
IO_READ_AT(read_at_all)
IO_WRITE(write)
IO_WRITE(write_all)
IO_WRITE(write_shared)
IO_WRITE(write_ordered)
IO_WRITE_AT(write_at)
IO_WRITE_AT(write_at_all)
IO_IREAD(iread)
IO_IREAD(iread_all)
IO_IREAD_AT(iread_at)
IO_IREAD_AT(iread_at_all)
IO_IWRITE(iwrite)
IO_IWRITE(iwrite_all)
IO_IWRITE_AT(iwrite_at)
IO_IWRITE_AT(iwrite_at_all)

/* ---- communicators ---- */

/* The creating call's record (on the parent communicator), then the registration of the
 * new one, which is collective over it: every member is inside this same call. */
static void created(int func, int64_t t0, int rc, MPI_Comm parent, MPI_Comm *newcomm)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    uint32_t index;
    e.tag = rt_comm_get(parent, &index)->my_rank;
    e.comm = index;
    rt_emit(&e, 1);
    if (rc == MPI_SUCCESS)
        rt_comm_register(*newcomm);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_dup(comm, newcomm);
    if (traced)
        created(MKT_F_Comm_dup, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_dup_with_info(comm, info, newcomm);
    if (traced)
        created(MKT_F_Comm_dup_with_info, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_split(comm, color, key, newcomm);
    if (traced)
        created(MKT_F_Comm_split, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_split_type(comm, split_type, key, info, newcomm);
    if (traced)
        created(MKT_F_Comm_split_type, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_create(comm, group, newcomm);
    if (traced)
        created(MKT_F_Comm_create, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    TRACE_BEGIN
    int rc = PMPI_Comm_create_group(comm, group, tag, newcomm);
    if (traced)
        created(MKT_F_Comm_create_group, t0, rc, comm, newcomm);
    TRACE_END
}

int MPI_Cart_create(MPI_Comm old_comm, int ndims, const int dims[], const int periods[], int reorder,
                    MPI_Comm *comm_cart)
{
    TRACE_BEGIN
    int rc = PMPI_Cart_create(old_comm, ndims, dims, periods, reorder, comm_cart);
    if (traced)
        created(MKT_F_Cart_create, t0, rc, old_comm, comm_cart);
    TRACE_END
}

int MPI_Cart_sub(MPI_Comm comm, const int remain_dims[], MPI_Comm *new_comm)
{
    TRACE_BEGIN
    int rc = PMPI_Cart_sub(comm, remain_dims, new_comm);
    if (traced)
        created(MKT_F_Cart_sub, t0, rc, comm, new_comm);
    TRACE_END
}

int MPI_Intercomm_create(MPI_Comm local_comm, int local_leader, MPI_Comm bridge_comm, int remote_leader, int tag,
                         MPI_Comm *newintercomm)
{
    TRACE_BEGIN
    int rc = PMPI_Intercomm_create(local_comm, local_leader, bridge_comm, remote_leader, tag, newintercomm);
    if (traced)
        created(MKT_F_Intercomm_create, t0, rc, local_comm, newintercomm);
    TRACE_END
}

int MPI_Intercomm_merge(MPI_Comm intercomm, int high, MPI_Comm *newintracomm)
{
    TRACE_BEGIN
    int rc = PMPI_Intercomm_merge(intercomm, high, newintracomm);
    if (traced)
        created(MKT_F_Intercomm_merge, t0, rc, intercomm, newintracomm);
    TRACE_END
}

static void released(int func, int64_t t0, int rc, uint32_t index, int rank)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    e.comm = index;
    e.tag = rank;
    rt_emit(&e, 1);
}

int MPI_Comm_free(MPI_Comm *comm)
{
    int traced = rt_enter();
    uint32_t index = 0;
    int rank = 0;
    if (traced) {
        rank = rt_comm_get(*comm, &index)->my_rank;
        rt_comm_forget(*comm);
    }
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Comm_free(comm);
    if (traced)
        released(MKT_F_Comm_free, t0, rc, index, rank);
    TRACE_END
}

int MPI_Comm_disconnect(MPI_Comm *comm)
{
    int traced = rt_enter();
    uint32_t index = 0;
    int rank = 0;
    if (traced) {
        rank = rt_comm_get(*comm, &index)->my_rank;
        rt_comm_forget(*comm);
    }
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Comm_disconnect(comm);
    if (traced)
        released(MKT_F_Comm_disconnect, t0, rc, index, rank);
    TRACE_END
}

int MPI_Comm_spawn(const char *command, char *argv[], int maxprocs, MPI_Info info, int root, MPI_Comm comm,
                   MPI_Comm *intercomm, int array_of_errcodes[])
{
    int traced = rt_enter();
    int rc;
    if (traced)
        rc = rt_spawn(command, argv, maxprocs, info, root, comm, intercomm, array_of_errcodes, rt_now());
    else
        rc = PMPI_Comm_spawn(command, argv, maxprocs, info, root, comm, intercomm, array_of_errcodes);
    rt_leave();
    return rc;
}

/* Children of MPI_Comm_spawn_multiple are not traced (the call itself is). */
int MPI_Comm_spawn_multiple(int count, char *array_of_commands[], char **array_of_argv[], const int array_of_maxprocs[],
                            const MPI_Info array_of_info[], int root, MPI_Comm comm, MPI_Comm *intercomm,
                            int array_of_errcodes[])
{
    TRACE_BEGIN
    int rc = PMPI_Comm_spawn_multiple(count, array_of_commands, array_of_argv, array_of_maxprocs, array_of_info, root,
                                      comm, intercomm, array_of_errcodes);
    if (traced)
        io_other(MKT_F_Comm_spawn_multiple, t0, rc, comm);
    TRACE_END
}
