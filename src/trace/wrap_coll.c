/* wrap_coll.c - the PMPI wrappers for every collective: blocking, non-blocking (completed
 * later by a Wait/Test), the v- and w-variants, reductions, scans and neighbourhood
 * collectives. Each records its communicator, its instance number there (the k-th
 * collective on a communicator is the same call on every member), the root, and the bytes
 * this process contributes (send) and gets (receive) as its buffer arguments describe them. */
#include "rt.h"

typedef struct {
    mkt_event e;
    rt_comm *c;
    uint32_t index;
    int n;    /* ranks on the other side: the group, or the remote group */
    int root; /* this process is the root */
} coll;

static void begin(coll *k, int func, int64_t t0, int rc, MPI_Comm comm)
{
    rt_call(&k->e, func, t0, rc);
    k->c = rt_comm_get(comm, &k->index);
    k->e.comm = k->index;
    k->e.seq = k->c->coll_seq++;
    k->e.tag = k->c->my_rank;
    k->n = k->c->kind == 3 ? k->c->remote_size : k->c->size;
    k->root = 0;
}

/* A rooted collective: who the root is (MPI_ROOT and MPI_PROC_NULL on an intercomm). */
static void rooted(coll *k, int root)
{
    rt_peer(&k->e, k->c, root);
    k->root = k->c->kind == 3 ? root == MPI_ROOT : root == k->c->my_rank;
}

static void end(coll *k, int rc, MPI_Request *request)
{
    if (request != NULL && rc == MPI_SUCCESS)
        k->e.req = rt_req_add(*request, RT_REQ_COLL, k->index);
    rt_emit(&k->e, 1);
}

static int64_t sum(const int *counts, int n)
{
    int64_t s = 0;
    for (int i = 0; counts != NULL && i < n; i++)
        s += counts[i];
    return s;
}

/* On an intercommunicator the root's group-mates pass MPI_PROC_NULL and move no data. */
static int is_bystander(const coll *k, int root)
{
    return k->c->kind == 3 && root == MPI_PROC_NULL;
}

#define TRACE_BEGIN                                                                                                    \
    int traced = rt_enter();                                                                                           \
    int64_t t0 = traced ? rt_now() : 0;
#define TRACE_END                                                                                                      \
    rt_leave();                                                                                                        \
    return rc;

/* ---- shared bodies: blocking (request NULL) and non-blocking ---- */

static void barrier(int func, int64_t t0, int rc, MPI_Comm comm, MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    end(&k, rc, request);
}

static void bcast(int func, int64_t t0, int rc, int count, MPI_Datatype type, int root, MPI_Comm comm,
                  MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    rooted(&k, root);
    if (rc == MPI_SUCCESS && !is_bystander(&k, root)) {
        if (k.root)
            k.e.sbytes = rt_bytes(count, type);
        else
            k.e.rbytes = rt_bytes(count, type);
    }
    end(&k, rc, request);
}

static void scatter(int func, int64_t t0, int rc, int64_t root_sends, MPI_Datatype sendtype, const void *recvbuf,
                    int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    rooted(&k, root);
    if (rc == MPI_SUCCESS && !is_bystander(&k, root)) {
        if (k.root)
            k.e.sbytes = rt_bytes(root_sends, sendtype);
        if (!(k.c->kind == 3 && k.root) && recvbuf != MPI_IN_PLACE)
            k.e.rbytes = rt_bytes(recvcount, recvtype);
    }
    end(&k, rc, request);
}

static void gather(int func, int64_t t0, int rc, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                   int64_t root_gets, MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    rooted(&k, root);
    if (rc == MPI_SUCCESS && !is_bystander(&k, root)) {
        if (!(k.c->kind == 3 && k.root) && sendbuf != MPI_IN_PLACE)
            k.e.sbytes = rt_bytes(sendcount, sendtype);
        if (k.root)
            k.e.rbytes = rt_bytes(root_gets, recvtype);
    }
    end(&k, rc, request);
}

static void reduce(int func, int64_t t0, int rc, const void *sendbuf, int count, MPI_Datatype type, int root,
                   MPI_Comm comm, MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    rooted(&k, root);
    if (rc == MPI_SUCCESS && !is_bystander(&k, root)) {
        if (!(k.c->kind == 3 && k.root) && sendbuf != MPI_IN_PLACE)
            k.e.sbytes = rt_bytes(count, type);
        if (k.root)
            k.e.rbytes = rt_bytes(count, type);
    }
    end(&k, rc, request);
}

/* Every rank sends sbytes elements of sendtype and gets rbytes elements of recvtype. */
static void all(int func, int64_t t0, int rc, int64_t sends, MPI_Datatype sendtype, int64_t gets, MPI_Datatype recvtype,
                MPI_Comm comm, MPI_Request *request)
{
    coll k;
    begin(&k, func, t0, rc, comm);
    if (rc == MPI_SUCCESS) {
        k.e.sbytes = rt_bytes(sends, sendtype);
        k.e.rbytes = rt_bytes(gets, recvtype);
    }
    end(&k, rc, request);
}

/* The size of an intra- or intercommunicator's other side, for the counts of all-to-all. */
static int peers(MPI_Comm comm)
{
    uint32_t index;
    const rt_comm *c = rt_comm_get(comm, &index);
    return c->kind == 3 ? c->remote_size : c->size;
}

static int my_rank(MPI_Comm comm)
{
    uint32_t index;
    return rt_comm_get(comm, &index)->my_rank;
}

static int64_t typed_sum(const int *counts, const MPI_Datatype *types, int n)
{
    int64_t s = 0;
    for (int i = 0; counts != NULL && types != NULL && i < n; i++)
        s += rt_bytes(counts[i], types[i]);
    return s;
}

/* Neighbourhood collectives: how many neighbours send to and receive from this rank. */
static void degrees(MPI_Comm comm, int *in, int *out)
{
    int topo = MPI_UNDEFINED, weighted = 0;
    *in = *out = 0;
    PMPI_Topo_test(comm, &topo);
    if (topo == MPI_CART) {
        int nd = 0;
        PMPI_Cartdim_get(comm, &nd);
        *in = *out = 2 * nd;
    } else if (topo == MPI_GRAPH) {
        PMPI_Graph_neighbors_count(comm, my_rank(comm), in);
        *out = *in;
    } else if (topo == MPI_DIST_GRAPH) {
        PMPI_Dist_graph_neighbors_count(comm, in, out, &weighted);
    }
}

/* ---- blocking ---- */

int MPI_Barrier(MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Barrier(comm);
    if (traced)
        barrier(MKT_F_Barrier, t0, rc, comm, NULL);
    TRACE_END
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Bcast(buffer, count, type, root, comm);
    if (traced)
        bcast(MKT_F_Bcast, t0, rc, count, type, root, comm, NULL);
    TRACE_END
}

int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm);
    if (traced)
        scatter(MKT_F_Scatter, t0, rc, (int64_t)sendcount * peers(comm), sendtype, recvbuf, recvcount, recvtype, root,
                comm, NULL);
    TRACE_END
}

int MPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[], MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, comm);
    if (traced) {
        int at_root = root == MPI_ROOT || root == my_rank(comm);
        scatter(MKT_F_Scatterv, t0, rc, at_root ? sum(sendcounts, peers(comm)) : 0, sendtype, recvbuf, recvcount,
                recvtype, root, comm, NULL);
    }
    TRACE_END
}

int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
               MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm);
    if (traced)
        gather(MKT_F_Gather, t0, rc, sendbuf, sendcount, sendtype, (int64_t)recvcount * peers(comm), recvtype, root,
               comm, NULL);
    TRACE_END
}

int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                const int displs[], MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, comm);
    if (traced) {
        int at_root = root == MPI_ROOT || root == my_rank(comm);
        gather(MKT_F_Gatherv, t0, rc, sendbuf, sendcount, sendtype, at_root ? sum(recvcounts, peers(comm)) : 0,
               recvtype, root, comm, NULL);
    }
    TRACE_END
}

int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Reduce(sendbuf, recvbuf, count, type, op, root, comm);
    if (traced)
        reduce(MKT_F_Reduce, t0, rc, sendbuf, count, type, root, comm, NULL);
    TRACE_END
}

int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    if (traced)
        all(MKT_F_Allgather, t0, rc, sendbuf == MPI_IN_PLACE ? recvcount : sendcount,
            sendbuf == MPI_IN_PLACE ? recvtype : sendtype, (int64_t)recvcount * peers(comm), recvtype, comm, NULL);
    TRACE_END
}

int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                   const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm);
    if (traced)
        all(MKT_F_Allgatherv, t0, rc, sendbuf == MPI_IN_PLACE ? 0 : sendcount, sendtype, sum(recvcounts, peers(comm)),
            recvtype, comm, NULL);
    TRACE_END
}

int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    if (traced) {
        int64_t n = peers(comm);
        all(MKT_F_Alltoall, t0, rc, n * (sendbuf == MPI_IN_PLACE ? recvcount : sendcount),
            sendbuf == MPI_IN_PLACE ? recvtype : sendtype, n * recvcount, recvtype, comm, NULL);
    }
    TRACE_END
}

int MPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                  void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm);
    if (traced) {
        int n = peers(comm);
        int in_place = sendbuf == MPI_IN_PLACE;
        all(MKT_F_Alltoallv, t0, rc, sum(in_place ? recvcounts : sendcounts, n), in_place ? recvtype : sendtype,
            sum(recvcounts, n), recvtype, comm, NULL);
    }
    TRACE_END
}

int MPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[], const MPI_Datatype sendtypes[],
                  void *recvbuf, const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                  MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm);
    if (traced) {
        int n = peers(comm);
        int in_place = sendbuf == MPI_IN_PLACE;
        int64_t s =
            rc == MPI_SUCCESS ? typed_sum(in_place ? recvcounts : sendcounts, in_place ? recvtypes : sendtypes, n) : 0;
        int64_t r = rc == MPI_SUCCESS ? typed_sum(recvcounts, recvtypes, n) : 0;
        all(MKT_F_Alltoallw, t0, rc, s, MPI_BYTE, r, MPI_BYTE, comm, NULL);
    }
    TRACE_END
}

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Allreduce(sendbuf, recvbuf, count, type, op, comm);
    if (traced)
        all(MKT_F_Allreduce, t0, rc, count, type, count, type, comm, NULL);
    TRACE_END
}

int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype type, MPI_Op op,
                       MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Reduce_scatter(sendbuf, recvbuf, recvcounts, type, op, comm);
    if (traced) {
        uint32_t index;
        const rt_comm *c = rt_comm_get(comm, &index);
        int mine = c->my_rank >= 0 && c->my_rank < c->size ? recvcounts[c->my_rank] : 0;
        all(MKT_F_Reduce_scatter, t0, rc, sum(recvcounts, c->size), type, mine, type, comm, NULL);
    }
    TRACE_END
}

int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype type, MPI_Op op,
                             MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Reduce_scatter_block(sendbuf, recvbuf, recvcount, type, op, comm);
    if (traced)
        all(MKT_F_Reduce_scatter_block, t0, rc, (int64_t)recvcount * peers(comm), type, recvcount, type, comm, NULL);
    TRACE_END
}

int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Scan(sendbuf, recvbuf, count, type, op, comm);
    if (traced)
        all(MKT_F_Scan, t0, rc, count, type, count, type, comm, NULL);
    TRACE_END
}

int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Exscan(sendbuf, recvbuf, count, type, op, comm);
    if (traced)
        all(MKT_F_Exscan, t0, rc, count, type, count, type, comm, NULL);
    TRACE_END
}

int MPI_Neighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                           MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Neighbor_allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    if (traced) {
        int in, out;
        degrees(comm, &in, &out);
        all(MKT_F_Neighbor_allgather, t0, rc, (int64_t)sendcount * out, sendtype, (int64_t)recvcount * in, recvtype,
            comm, NULL);
    }
    TRACE_END
}

int MPI_Neighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                            const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Neighbor_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm);
    if (traced) {
        int in, out;
        degrees(comm, &in, &out);
        all(MKT_F_Neighbor_allgatherv, t0, rc, (int64_t)sendcount * out, sendtype, sum(recvcounts, in), recvtype, comm,
            NULL);
    }
    TRACE_END
}

int MPI_Neighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                          MPI_Datatype recvtype, MPI_Comm comm)
{
    TRACE_BEGIN
    int rc = PMPI_Neighbor_alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    if (traced) {
        int in, out;
        degrees(comm, &in, &out);
        all(MKT_F_Neighbor_alltoall, t0, rc, (int64_t)sendcount * out, sendtype, (int64_t)recvcount * in, recvtype,
            comm, NULL);
    }
    TRACE_END
}

int MPI_Neighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                           void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype,
                           MPI_Comm comm)
{
    TRACE_BEGIN
    int rc =
        PMPI_Neighbor_alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm);
    if (traced) {
        int in, out;
        degrees(comm, &in, &out);
        all(MKT_F_Neighbor_alltoallv, t0, rc, sum(sendcounts, out), sendtype, sum(recvcounts, in), recvtype, comm,
            NULL);
    }
    TRACE_END
}

int MPI_Neighbor_alltoallw(const void *sendbuf, const int sendcounts[], const MPI_Aint sdispls[],
                           const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                           const MPI_Aint rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    TRACE_BEGIN
    int rc =
        PMPI_Neighbor_alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm);
    if (traced) {
        int in, out;
        degrees(comm, &in, &out);
        int64_t s = rc == MPI_SUCCESS ? typed_sum(sendcounts, sendtypes, out) : 0;
        int64_t r = rc == MPI_SUCCESS ? typed_sum(recvcounts, recvtypes, in) : 0;
        all(MKT_F_Neighbor_alltoallw, t0, rc, s, MPI_BYTE, r, MPI_BYTE, comm, NULL);
    }
    TRACE_END
}

/* ---- non-blocking: the same records, with the request that completes them ---- */

int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ibarrier(comm, request);
    if (traced)
        barrier(MKT_F_Ibarrier, t0, rc, comm, request);
    TRACE_END
}

int MPI_Ibcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ibcast(buffer, count, type, root, comm, request);
    if (traced)
        bcast(MKT_F_Ibcast, t0, rc, count, type, root, comm, request);
    TRACE_END
}

int MPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iscatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm, request);
    if (traced)
        scatter(MKT_F_Iscatter, t0, rc, (int64_t)sendcount * peers(comm), sendtype, recvbuf, recvcount, recvtype, root,
                comm, request);
    TRACE_END
}

int MPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[], MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iscatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, comm, request);
    if (traced) {
        int at_root = root == MPI_ROOT || root == my_rank(comm);
        scatter(MKT_F_Iscatterv, t0, rc, at_root ? sum(sendcounts, peers(comm)) : 0, sendtype, recvbuf, recvcount,
                recvtype, root, comm, request);
    }
    TRACE_END
}

int MPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Igather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm, request);
    if (traced)
        gather(MKT_F_Igather, t0, rc, sendbuf, sendcount, sendtype, (int64_t)recvcount * peers(comm), recvtype, root,
               comm, request);
    TRACE_END
}

int MPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                 const int displs[], MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Igatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, comm, request);
    if (traced) {
        int at_root = root == MPI_ROOT || root == my_rank(comm);
        gather(MKT_F_Igatherv, t0, rc, sendbuf, sendcount, sendtype, at_root ? sum(recvcounts, peers(comm)) : 0,
               recvtype, root, comm, request);
    }
    TRACE_END
}

int MPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm,
                MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ireduce(sendbuf, recvbuf, count, type, op, root, comm, request);
    if (traced)
        reduce(MKT_F_Ireduce, t0, rc, sendbuf, count, type, root, comm, request);
    TRACE_END
}

int MPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                   MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iallgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm, request);
    if (traced)
        all(MKT_F_Iallgather, t0, rc, sendbuf == MPI_IN_PLACE ? recvcount : sendcount,
            sendbuf == MPI_IN_PLACE ? recvtype : sendtype, (int64_t)recvcount * peers(comm), recvtype, comm, request);
    TRACE_END
}

int MPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                    const int displs[], MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iallgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm, request);
    if (traced)
        all(MKT_F_Iallgatherv, t0, rc, sendbuf == MPI_IN_PLACE ? 0 : sendcount, sendtype, sum(recvcounts, peers(comm)),
            recvtype, comm, request);
    TRACE_END
}

int MPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ialltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm, request);
    if (traced) {
        int64_t n = peers(comm);
        all(MKT_F_Ialltoall, t0, rc, n * (sendbuf == MPI_IN_PLACE ? recvcount : sendcount),
            sendbuf == MPI_IN_PLACE ? recvtype : sendtype, n * recvcount, recvtype, comm, request);
    }
    TRACE_END
}

int MPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                   void *recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                   MPI_Request *request)
{
    TRACE_BEGIN
    int rc =
        PMPI_Ialltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm, request);
    if (traced) {
        int n = peers(comm);
        int in_place = sendbuf == MPI_IN_PLACE;
        all(MKT_F_Ialltoallv, t0, rc, sum(in_place ? recvcounts : sendcounts, n), in_place ? recvtype : sendtype,
            sum(recvcounts, n), recvtype, comm, request);
    }
    TRACE_END
}

int MPI_Ialltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[], const MPI_Datatype sendtypes[],
                   void *recvbuf, const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                   MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ialltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls, recvtypes, comm,
                             request);
    if (traced) {
        int n = peers(comm);
        int in_place = sendbuf == MPI_IN_PLACE;
        int64_t s =
            rc == MPI_SUCCESS ? typed_sum(in_place ? recvcounts : sendcounts, in_place ? recvtypes : sendtypes, n) : 0;
        int64_t r = rc == MPI_SUCCESS ? typed_sum(recvcounts, recvtypes, n) : 0;
        all(MKT_F_Ialltoallw, t0, rc, s, MPI_BYTE, r, MPI_BYTE, comm, request);
    }
    TRACE_END
}

int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                   MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iallreduce(sendbuf, recvbuf, count, type, op, comm, request);
    if (traced)
        all(MKT_F_Iallreduce, t0, rc, count, type, count, type, comm, request);
    TRACE_END
}

int MPI_Ireduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype type, MPI_Op op,
                        MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ireduce_scatter(sendbuf, recvbuf, recvcounts, type, op, comm, request);
    if (traced) {
        uint32_t index;
        const rt_comm *c = rt_comm_get(comm, &index);
        int mine = c->my_rank >= 0 && c->my_rank < c->size ? recvcounts[c->my_rank] : 0;
        all(MKT_F_Ireduce_scatter, t0, rc, sum(recvcounts, c->size), type, mine, type, comm, request);
    }
    TRACE_END
}

int MPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype type, MPI_Op op,
                              MPI_Comm comm, MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Ireduce_scatter_block(sendbuf, recvbuf, recvcount, type, op, comm, request);
    if (traced)
        all(MKT_F_Ireduce_scatter_block, t0, rc, (int64_t)recvcount * peers(comm), type, recvcount, type, comm,
            request);
    TRACE_END
}

int MPI_Iscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
              MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iscan(sendbuf, recvbuf, count, type, op, comm, request);
    if (traced)
        all(MKT_F_Iscan, t0, rc, count, type, count, type, comm, request);
    TRACE_END
}

int MPI_Iexscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                MPI_Request *request)
{
    TRACE_BEGIN
    int rc = PMPI_Iexscan(sendbuf, recvbuf, count, type, op, comm, request);
    if (traced)
        all(MKT_F_Iexscan, t0, rc, count, type, count, type, comm, request);
    TRACE_END
}
