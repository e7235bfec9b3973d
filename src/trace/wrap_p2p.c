/* wrap_p2p.c - the PMPI wrappers for MPI_Init/MPI_Finalize, point-to-point sends and
 * receives (blocking and posting), probes, and the completions of requests. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

/* ---- init and finalize ---- */

int MPI_Init(int *argc, char ***argv)
{
    int64_t t0 = rt_now();
    int rc = PMPI_Init(argc, argv);
    int64_t t1 = rt_now();
    if (rc == MPI_SUCCESS)
        rt_start(MKT_F_Init, t0, t1, MPI_THREAD_SINGLE);
    return rc;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    int64_t t0 = rt_now();
    int rc = PMPI_Init_thread(argc, argv, required, provided);
    int64_t t1 = rt_now();
    if (rc == MPI_SUCCESS)
        rt_start(MKT_F_Init_thread, t0, t1, *provided);
    return rc;
}

int MPI_Finalize(void)
{
    rt_depth++;
    rt_finish();
    rt_depth--;
    return PMPI_Finalize();
}

/* ---- sends ---- */

static void record_send(int func, int64_t t0, int rc, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
                        MPI_Request *request)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    uint32_t index;
    const rt_comm *c = rt_comm_get(comm, &index);
    e.comm = index;
    rt_peer(&e, c, dest);
    e.tag = tag;
    e.seq = rt_send_seq();
    if (rc == MPI_SUCCESS) {
        e.sbytes = rt_bytes(count, type);
        if (request != NULL)
            e.req = rt_req_add(*request, RT_REQ_SEND, index);
    }
    rt_emit(&e, 1);
}

#define BLOCKING_SEND(NAME)                                                                                            \
    int MPI_##NAME(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)                    \
    {                                                                                                                  \
        int traced = rt_enter();                                                                                       \
        int64_t t0 = traced ? rt_now() : 0;                                                                            \
        int rc = PMPI_##NAME(buf, count, type, dest, tag, comm);                                                       \
        if (traced)                                                                                                    \
            record_send(MKT_F_##NAME, t0, rc, count, type, dest, tag, comm, NULL);                                     \
        rt_leave();                                                                                                    \
        return rc;                                                                                                     \
    }

#define POSTED_SEND(NAME)                                                                                              \
    int MPI_##NAME(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,                    \
                   MPI_Request *request)                                                                               \
    {                                                                                                                  \
        int traced = rt_enter();                                                                                       \
        int64_t t0 = traced ? rt_now() : 0;                                                                            \
        int rc = PMPI_##NAME(buf, count, type, dest, tag, comm, request);                                              \
        if (traced)                                                                                                    \
            record_send(MKT_F_##NAME, t0, rc, count, type, dest, tag, comm, request);                                  \
        rt_leave();                                                                                                    \
        return rc;                                                                                                     \
    }

BLOCKING_SEND(Send)
BLOCKING_SEND(Ssend)
BLOCKING_SEND(Bsend)
BLOCKING_SEND(Rsend)
POSTED_SEND(Isend)
POSTED_SEND(Issend)
POSTED_SEND(Ibsend)
POSTED_SEND(Irsend)

/* ---- receives ---- */

/* Fill the receive side from a status: who sent, with which tag, how many bytes. */
static void from_status(mkt_event *e, const rt_comm *c, int rc, int source, int tag, MPI_Status *st)
{
    if (rc != MPI_SUCCESS) {
        rt_peer(e, c, source);
        e->tag = tag;
        return;
    }
    int bytes = 0;
    rt_peer(e, c, st->MPI_SOURCE);
    e->tag = st->MPI_TAG;
    if (st->MPI_SOURCE != MPI_PROC_NULL && PMPI_Get_count(st, MPI_BYTE, &bytes) == MPI_SUCCESS &&
        bytes != MPI_UNDEFINED)
        e->rbytes = bytes;
}

int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Recv(buf, count, type, source, tag, comm, st);
    if (traced) {
        mkt_event e;
        rt_call(&e, MKT_F_Recv, t0, rc);
        uint32_t index;
        const rt_comm *c = rt_comm_get(comm, &index);
        e.comm = index;
        e.seq = rt_recv_seq();
        from_status(&e, c, rc, source, tag, st);
        rt_emit(&e, 1);
    }
    rt_leave();
    return rc;
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Request *request)
{
    int traced = rt_enter();
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Irecv(buf, count, type, source, tag, comm, request);
    if (traced) {
        mkt_event e;
        rt_call(&e, MKT_F_Irecv, t0, rc);
        uint32_t index;
        const rt_comm *c = rt_comm_get(comm, &index);
        e.comm = index;
        rt_peer(&e, c, source);
        e.tag = tag;
        e.seq = rt_recv_seq();
        if (rc == MPI_SUCCESS)
            e.req = rt_req_add(*request, RT_REQ_RECV, index);
        rt_emit(&e, 1);
    }
    rt_leave();
    return rc;
}

/* A send and a receive in one call: the CALL record is the send, a RECV record follows. */
static void record_sendrecv(int func, int64_t t0, int rc, int64_t sbytes, int dest, int sendtag, int source,
                            int recvtag, MPI_Comm comm, MPI_Status *st)
{
    mkt_event e[2];
    rt_call(&e[0], func, t0, rc);
    uint32_t index;
    const rt_comm *c = rt_comm_get(comm, &index);
    e[0].comm = index;
    rt_peer(&e[0], c, dest);
    e[0].tag = sendtag;
    e[0].seq = rt_send_seq();
    e[0].sbytes = sbytes;
    memset(&e[1], 0, sizeof e[1]);
    e[1].type = MKT_R_RECV;
    e[1].func = e[0].func;
    e[1].thread = e[0].thread;
    e[1].comm = index;
    e[1].seq = rt_recv_seq();
    from_status(&e[1], c, rc, source, recvtag, st);
    rt_emit(e, 2);
}

int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag,
                           comm, st);
    if (traced)
        record_sendrecv(MKT_F_Sendrecv, t0, rc, rc == MPI_SUCCESS ? rt_bytes(sendcount, sendtype) : 0, dest, sendtag,
                        source, recvtag, comm, st);
    rt_leave();
    return rc;
}

int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype type, int dest, int sendtag, int source, int recvtag,
                         MPI_Comm comm, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Sendrecv_replace(buf, count, type, dest, sendtag, source, recvtag, comm, st);
    if (traced)
        record_sendrecv(MKT_F_Sendrecv_replace, t0, rc, rc == MPI_SUCCESS ? rt_bytes(count, type) : 0, dest, sendtag,
                        source, recvtag, comm, st);
    rt_leave();
    return rc;
}

/* ---- probes ---- */

/* A probe's record: the message it found (peer, tag, size), or a poll that found none. */
static void record_probe(int func, int64_t t0, int rc, int found, int source, int tag, MPI_Comm comm, MPI_Status *st,
                         MPI_Message *msg)
{
    mkt_event e;
    rt_call(&e, func, t0, rc);
    uint32_t index;
    const rt_comm *c = rt_comm_get(comm, &index);
    e.comm = index;
    if (!found || rc != MPI_SUCCESS) {
        rt_peer(&e, c, source);
        e.tag = tag;
        int64_t key[4] = {func, source, tag, (int64_t)index};
        rt_emit_poll(&e, mkt_hash(key, sizeof key, 0));
        return;
    }
    e.flags |= MKT_FL_FLAG;
    from_status(&e, c, rc, source, tag, st);
    if (msg != NULL) { /* a matched probe: the message is now taken, in this order */
        e.seq = rt_recv_seq();
        rt_msg_add(*msg, e.seq, index);
    }
    rt_emit(&e, 1);
}

int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Probe(source, tag, comm, st);
    if (traced)
        record_probe(MKT_F_Probe, t0, rc, 1, source, tag, comm, st, NULL);
    rt_leave();
    return rc;
}

int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Iprobe(source, tag, comm, flag, st);
    if (traced)
        record_probe(MKT_F_Iprobe, t0, rc, rc == MPI_SUCCESS && *flag, source, tag, comm, st, NULL);
    rt_leave();
    return rc;
}

int MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Mprobe(source, tag, comm, message, st);
    if (traced)
        record_probe(MKT_F_Mprobe, t0, rc, 1, source, tag, comm, st, message);
    rt_leave();
    return rc;
}

int MPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Improbe(source, tag, comm, flag, message, st);
    if (traced)
        record_probe(MKT_F_Improbe, t0, rc, rc == MPI_SUCCESS && *flag, source, tag, comm, st, message);
    rt_leave();
    return rc;
}

int MPI_Mrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    MPI_Message saved = *message;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Mrecv(buf, count, type, message, st);
    if (traced) {
        mkt_event e;
        rt_call(&e, MKT_F_Mrecv, t0, rc);
        uint32_t seq = 0, index = 0;
        if (rt_msg_take(saved, &seq, &index)) {
            e.comm = index;
            e.seq = seq;
            from_status(&e, rt_comm_at(index), rc, MPI_ANY_SOURCE, MPI_ANY_TAG, st);
        } else {
            e.peer = MKT_PEER_NULL; /* MPI_MESSAGE_NO_PROC, or a message probed untraced */
        }
        rt_emit(&e, 1);
    }
    rt_leave();
    return rc;
}

int MPI_Imrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message, MPI_Request *request)
{
    int traced = rt_enter();
    MPI_Message saved = *message;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Imrecv(buf, count, type, message, request);
    if (traced) {
        mkt_event e;
        rt_call(&e, MKT_F_Imrecv, t0, rc);
        uint32_t seq = 0, index = 0;
        if (rt_msg_take(saved, &seq, &index)) {
            e.comm = index;
            e.seq = seq;
            e.peer = MKT_PEER_ANY;
            e.tag = MPI_ANY_TAG;
            if (rc == MPI_SUCCESS)
                e.req = rt_req_add(*request, RT_REQ_RECV, index);
        } else {
            e.peer = MKT_PEER_NULL;
        }
        rt_emit(&e, 1);
    }
    rt_leave();
    return rc;
}

/* ---- completions ---- */

int MPI_Request_free(MPI_Request *request)
{
    MPI_Request saved = *request;
    int rc = PMPI_Request_free(request);
    if (rt_st.started)
        rt_req_forget(saved);
    return rc;
}

int MPI_Wait(MPI_Request *request, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    MPI_Request saved = *request;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Wait(request, st);
    if (traced) {
        rt_completion c = {MKT_F_Wait, rc, 1, 1, 1, 0, t0, &saved, NULL, st};
        rt_complete(&c);
    }
    rt_leave();
    return rc;
}

int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    int traced = rt_enter();
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    MPI_Request saved = *request;
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Test(request, flag, st);
    if (traced) {
        int done = rc == MPI_SUCCESS && *flag;
        rt_completion c = {MKT_F_Test, rc, 1, done, done, 0, t0, &saved, NULL, st};
        rt_complete(&c);
    }
    rt_leave();
    return rc;
}

/* Copies of the handles and room for statuses when the caller ignores them: on the stack
 * for a few requests, else on the heap. */
typedef struct {
    MPI_Request saved_small[16];
    MPI_Status st_small[16];
    MPI_Request *saved;
    MPI_Status *st;
    int ok;
} many;

static void many_begin(many *m, int n, const MPI_Request *reqs, MPI_Status *statuses)
{
    int big = n > 16;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): MPI_Request is a handle (a pointer) by design */
    m->saved = big ? calloc((size_t)n, sizeof(MPI_Request)) : m->saved_small;
    m->st = statuses != MPI_STATUSES_IGNORE ? statuses : big ? calloc((size_t)n, sizeof(MPI_Status)) : m->st_small;
    m->ok = m->saved != NULL && m->st != NULL;
    for (int i = 0; m->ok && i < n; i++)
        m->saved[i] = reqs[i];
}

static void many_end(many *m, MPI_Status *statuses)
{
    if (m->saved != m->saved_small)
        free(m->saved);
    if (m->st != statuses && m->st != m->st_small)
        free(m->st);
}

int MPI_Waitall(int count, MPI_Request reqs[], MPI_Status *statuses)
{
    int traced = rt_enter();
    many m = {.ok = 0};
    if (traced)
        many_begin(&m, count, reqs, statuses);
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Waitall(count, reqs, m.ok ? m.st : statuses);
    if (traced && m.ok) {
        rt_completion c = {MKT_F_Waitall, rc, count, count, 1, 0, t0, m.saved, NULL, m.st};
        rt_complete(&c);
    }
    if (traced)
        many_end(&m, statuses);
    rt_leave();
    return rc;
}

int MPI_Testall(int count, MPI_Request reqs[], int *flag, MPI_Status statuses[])
{
    int traced = rt_enter();
    many m = {.ok = 0};
    if (traced)
        many_begin(&m, count, reqs, statuses);
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Testall(count, reqs, flag, m.ok ? m.st : statuses);
    if (traced && m.ok) {
        int done = rc == MPI_SUCCESS && *flag;
        rt_completion c = {MKT_F_Testall, rc, count, done ? count : 0, done, 0, t0, m.saved, NULL, m.st};
        rt_complete(&c);
    }
    if (traced)
        many_end(&m, statuses);
    rt_leave();
    return rc;
}

int MPI_Waitany(int count, MPI_Request reqs[], int *index, MPI_Status *status)
{
    int traced = rt_enter();
    many m = {.ok = 0};
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    if (traced)
        many_begin(&m, count, reqs, MPI_STATUSES_IGNORE);
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Waitany(count, reqs, index, st);
    if (traced && m.ok) {
        int done = rc == MPI_SUCCESS && *index != MPI_UNDEFINED;
        rt_completion c = {MKT_F_Waitany, rc, count, done, 1, 1, t0, m.saved, index, st};
        rt_complete(&c);
    }
    if (traced)
        many_end(&m, MPI_STATUSES_IGNORE);
    rt_leave();
    return rc;
}

int MPI_Testany(int count, MPI_Request reqs[], int *index, int *flag, MPI_Status *status)
{
    int traced = rt_enter();
    many m = {.ok = 0};
    MPI_Status mine = {0};
    MPI_Status *st = traced && status == MPI_STATUS_IGNORE ? &mine : status;
    if (traced)
        many_begin(&m, count, reqs, MPI_STATUSES_IGNORE);
    int64_t t0 = traced ? rt_now() : 0;
    int rc = PMPI_Testany(count, reqs, index, flag, st);
    if (traced && m.ok) {
        int done = rc == MPI_SUCCESS && *flag && *index != MPI_UNDEFINED;
        rt_completion c = {MKT_F_Testany, rc, count, done, rc == MPI_SUCCESS && *flag, 1, t0, m.saved, index, st};
        rt_complete(&c);
    }
    if (traced)
        many_end(&m, MPI_STATUSES_IGNORE);
    rt_leave();
    return rc;
}

static int some(int func, int incount, MPI_Request reqs[], int *outcount, int indices[], MPI_Status statuses[])
{
    int traced = rt_enter();
    many m = {.ok = 0};
    if (traced)
        many_begin(&m, incount, reqs, statuses);
    int64_t t0 = traced ? rt_now() : 0;
    int rc = func == MKT_F_Waitsome ? PMPI_Waitsome(incount, reqs, outcount, indices, m.ok ? m.st : statuses)
                                    : PMPI_Testsome(incount, reqs, outcount, indices, m.ok ? m.st : statuses);
    if (traced && m.ok) {
        int n = (rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) && *outcount != MPI_UNDEFINED ? *outcount : 0;
        rt_completion c = {func, rc, incount, n, n > 0, 1, t0, m.saved, indices, m.st};
        rt_complete(&c);
    }
    if (traced)
        many_end(&m, statuses);
    rt_leave();
    return rc;
}

int MPI_Waitsome(int incount, MPI_Request reqs[], int *outcount, int indices[], MPI_Status statuses[])
{
    return some(MKT_F_Waitsome, incount, reqs, outcount, indices, statuses);
}

int MPI_Testsome(int incount, MPI_Request reqs[], int *outcount, int indices[], MPI_Status statuses[])
{
    return some(MKT_F_Testsome, incount, reqs, outcount, indices, statuses);
}
