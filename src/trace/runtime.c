/* runtime.c - what the wrappers share: recording events, the communicator registry (agreed
 * ids, world ranks of members), posted requests and matched messages, completions. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

rt_state rt_st;
__thread int rt_depth __attribute__((tls_model("initial-exec")));
volatile int rt_recording;

/* This thread's number, and the poll it recorded last (to merge repeats). */
static __thread int tl_thread __attribute__((tls_model("initial-exec"))) = -1;
static __thread int tl_poll __attribute__((tls_model("initial-exec")));
static __thread uint64_t tl_poll_key __attribute__((tls_model("initial-exec")));
static __thread uint64_t tl_poll_index __attribute__((tls_model("initial-exec")));
static __thread int64_t tl_poll_t1 __attribute__((tls_model("initial-exec")));

/* Repeated polls closer than this are one slice: a busy-wait loop is waiting in MPI. */
#define POLL_GAP_NS 10000

/* An MPI handle (a pointer in Open MPI, an int in MPICH) as a map key. */
#define HANDLE_KEY(h) ((uint64_t)(uintptr_t)(h))

/* ---- events ---- */

void rt_call(mkt_event *e, int func, int64_t t0, int rc)
{
    int64_t t1 = rt_now();
    memset(e, 0, sizeof *e);
    if (tl_thread < 0) {
        int n = atomic_fetch_add(&rt_st.nthreads, 1);
        tl_thread = n < 255 ? n : 255;
    }
    e->t0 = t0;
    e->t1 = t1;
    e->func = (uint16_t)func;
    e->type = MKT_R_CALL;
    e->thread = (uint8_t)tl_thread;
    e->peer = MKT_PEER_NONE;
    if (rc != MPI_SUCCESS)
        e->flags |= MKT_FL_ERROR;
}

void rt_emit(const mkt_event *e, size_t n)
{
    mkt_event *slot = mkt_buffer_reserve(rt_st.buf, n, NULL);
    if (slot != NULL) {
        memcpy(slot, e, n * sizeof *e);
        mkt_buffer_commit(rt_st.buf);
    } else {
        atomic_fetch_add(&rt_st.dropped_calls, 1);
    }
    tl_poll = 0;
}

void rt_emit_poll(mkt_event *e, uint64_t key)
{
    if (tl_poll && tl_poll_key == key && e->t0 - tl_poll_t1 < POLL_GAP_NS) {
        mkt_event *last = mkt_buffer_last(rt_st.buf, tl_poll_index);
        if (last != NULL) {
            last->t1 = e->t1;
            last->count++;
            mkt_buffer_commit(rt_st.buf);
            tl_poll_t1 = e->t1;
            return;
        }
    }
    e->count = 1;
    uint64_t index;
    mkt_event *slot = mkt_buffer_reserve(rt_st.buf, 1, &index);
    tl_poll = slot != NULL;
    if (slot != NULL) {
        *slot = *e;
        mkt_buffer_commit(rt_st.buf);
    } else {
        atomic_fetch_add(&rt_st.dropped_calls, 1);
    }
    tl_poll_key = key;
    tl_poll_index = index;
    tl_poll_t1 = e->t1;
}

int64_t rt_bytes(int64_t count, MPI_Datatype type)
{
    MPI_Count size = 0;
    if (count <= 0 || type == MPI_DATATYPE_NULL || PMPI_Type_size_x(type, &size) != MPI_SUCCESS)
        return 0;
    return count * (int64_t)size;
}

uint32_t rt_send_seq(void)
{
    return atomic_fetch_add(&rt_st.send_seq, 1);
}

uint32_t rt_recv_seq(void)
{
    return atomic_fetch_add(&rt_st.recv_seq, 1);
}

/* ---- groups and communicators ---- */

int rt_group_index(uint64_t hash, const char *label)
{
    for (uint32_t g = 0; g < rt_st.ngroups; g++)
        if (rt_st.groups[g].hash == hash)
            return (int)g;
    if (rt_st.ngroups == 256)
        return 0;
    mkt_group_ref *r = &rt_st.groups[rt_st.ngroups];
    r->hash = hash;
    snprintf(r->label, sizeof r->label, "%s", label != NULL ? label : "");
    return (int)rt_st.ngroups++;
}

/* World ranks of group g's members, for the ranks of my world that it holds (translated
 * through MPI groups; ranks outside my world are -1). */
static void translate_local(MPI_Group g, int n, int32_t *world_of, uint8_t *group_of)
{
    MPI_Group wg;
    int *in = malloc((size_t)n * sizeof *in), *out = malloc((size_t)n * sizeof *out);
    if (in == NULL || out == NULL || PMPI_Comm_group(MPI_COMM_WORLD, &wg) != MPI_SUCCESS) {
        for (int r = 0; r < n; r++)
            world_of[r] = -1;
        free(in);
        free(out);
        return;
    }
    for (int r = 0; r < n; r++)
        in[r] = r;
    PMPI_Group_translate_ranks(g, n, in, wg, out);
    for (int r = 0; r < n; r++) {
        world_of[r] = out[r] == MPI_UNDEFINED ? -1 : out[r];
        group_of[r] = 0;
    }
    PMPI_Group_free(&wg);
    free(in);
    free(out);
}

/* A new entry with its translation tables allocated and the local group translated. */
static rt_comm *new_comm(MPI_Comm comm, int kind)
{
    rt_comm *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    int inter = 0;
    PMPI_Comm_test_inter(comm, &inter);
    PMPI_Comm_size(comm, &c->size);
    PMPI_Comm_rank(comm, &c->my_rank);
    if (inter)
        PMPI_Comm_remote_size(comm, &c->remote_size);
    c->kind = inter && kind != 4 ? 3 : kind;
    c->world_of = calloc((size_t)c->size + 1, sizeof *c->world_of);
    c->group_of = calloc((size_t)c->size + 1, 1);
    c->remote_world_of = calloc((size_t)c->remote_size + 1, sizeof *c->remote_world_of);
    c->remote_group_of = calloc((size_t)c->remote_size + 1, 1);
    if (c->world_of == NULL || c->group_of == NULL || c->remote_world_of == NULL || c->remote_group_of == NULL) {
        free(c->world_of);
        free(c->group_of);
        free(c->remote_world_of);
        free(c->remote_group_of);
        free(c);
        return NULL;
    }
    MPI_Group g;
    if (PMPI_Comm_group(comm, &g) == MPI_SUCCESS) {
        translate_local(g, c->size, c->world_of, c->group_of);
        PMPI_Group_free(&g);
    }
    if (inter && PMPI_Comm_remote_group(comm, &g) == MPI_SUCCESS) {
        translate_local(g, c->remote_size, c->remote_world_of, c->remote_group_of);
        PMPI_Group_free(&g);
    }
    return c;
}

/* Add an entry to the table under the handle; its index, or 0 (world) when out of memory. */
static uint32_t add_comm(MPI_Comm comm, rt_comm *c)
{
    rt_lock(&rt_st.lock);
    uint32_t index = 0;
    if (rt_st.ncomms == rt_st.capcomms) {
        uint32_t cap = rt_st.capcomms == 0 ? 16 : 2 * rt_st.capcomms;
        rt_comm **bigger =
            realloc(rt_st.comms, cap * sizeof *bigger); /* NOLINT(bugprone-sizeof-expression): pointers */
        if (bigger != NULL) {
            rt_st.comms = bigger;
            rt_st.capcomms = cap;
        }
    }
    if (rt_st.ncomms < rt_st.capcomms) {
        index = rt_st.ncomms++;
        rt_st.comms[index] = c;
        if (comm != MPI_COMM_WORLD && comm != MPI_COMM_SELF)
            mkt_map_put(&rt_st.comm_at, HANDLE_KEY(comm), index);
    }
    rt_unlock(&rt_st.lock);
    return index;
}

/* An id every member computes alike without talking: a hash of the member list (used for
 * communicators made by functions the tracer does not wrap, e.g. MPI_Comm_idup). */
static uint64_t membership_id(const rt_comm *c)
{
    uint64_t h = mkt_hash(&c->kind, sizeof c->kind, 0);
    h = mkt_hash(c->world_of, (size_t)c->size * sizeof *c->world_of, h);
    h = mkt_hash(c->remote_world_of, (size_t)c->remote_size * sizeof *c->remote_world_of, h);
    return h | 1;
}

int rt_comm_add_fixed(uint64_t world_id, uint64_t self_id)
{
    rt_comm *w = new_comm(MPI_COMM_WORLD, 0), *s = new_comm(MPI_COMM_SELF, 1);
    if (w == NULL || s == NULL)
        return -1;
    w->id = world_id;
    s->id = self_id;
    if (add_comm(MPI_COMM_WORLD, w) != 0 || add_comm(MPI_COMM_SELF, s) != 1)
        return -1;
    rt_st.world = w;
    rt_st.self = s;
    return 0;
}

rt_comm *rt_comm_get(MPI_Comm comm, uint32_t *index)
{
    if (comm == MPI_COMM_WORLD) {
        *index = 0;
        return rt_st.world;
    }
    if (comm == MPI_COMM_SELF) {
        *index = 1;
        return rt_st.self;
    }
    int64_t at;
    rt_lock(&rt_st.lock);
    int found = mkt_map_get(&rt_st.comm_at, HANDLE_KEY(comm), &at);
    rt_comm *c = found ? rt_st.comms[at] : NULL;
    rt_unlock(&rt_st.lock);
    if (found) {
        *index = (uint32_t)at;
        return c;
    }
    c = comm != MPI_COMM_NULL ? new_comm(comm, 4) : NULL;
    if (c == NULL) {
        *index = 0;
        return rt_st.world;
    }
    c->id = membership_id(c);
    *index = add_comm(comm, c);
    return *index == 0 ? rt_st.world : c;
}

typedef struct {
    uint64_t candidate, group;
    int32_t world_rank, spare;
} reg_entry;

void rt_comm_register(MPI_Comm newcomm)
{
    if (newcomm == MPI_COMM_NULL || !rt_st.started)
        return;
    rt_comm *c = new_comm(newcomm, 2);
    if (c == NULL)
        return;
    /* a value unique to this process and creation; the largest one names the communicator */
    uint32_t nth = atomic_fetch_add(&rt_st.creations, 1);
    uint64_t group = mkt_hash_str(rt_st.label);
    reg_entry mine = {mkt_hash(&nth, sizeof nth, group ^ (uint64_t)(uint32_t)rt_st.rank) | 1, group, rt_st.rank, 0};
    int n = c->kind == 3 ? c->remote_size : c->size;
    reg_entry *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (all == NULL ||
        PMPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, newcomm) != MPI_SUCCESS) {
        free(all);
        c->id = membership_id(c);
        add_comm(newcomm, c);
        return;
    }
    uint64_t biggest = 0;
    rt_lock(&rt_st.lock);
    for (int r = 0; r < n; r++) {
        if (all[r].candidate > biggest)
            biggest = all[r].candidate;
        int g = rt_group_index(all[r].group, all[r].group == group ? rt_st.label : NULL);
        if (c->kind == 3) {
            c->remote_world_of[r] = all[r].world_rank;
            c->remote_group_of[r] = (uint8_t)g;
        } else {
            c->world_of[r] = all[r].world_rank;
            c->group_of[r] = (uint8_t)g;
        }
    }
    rt_unlock(&rt_st.lock);
    free(all);
    c->id = biggest;
    if (c->kind == 3) {
        /* each side learned the other's largest; one more exchange gives both sides both */
        uint64_t local_biggest = 0;
        PMPI_Allreduce(&biggest, &local_biggest, 1, MPI_UINT64_T, MPI_MAX, newcomm);
        uint64_t pair[2] = {local_biggest < biggest ? local_biggest : biggest,
                            local_biggest < biggest ? biggest : local_biggest};
        c->id = mkt_hash(pair, sizeof pair, 0) | 1;
    }
    add_comm(newcomm, c);
}

void rt_comm_forget(MPI_Comm comm)
{
    if (comm == MPI_COMM_NULL || comm == MPI_COMM_WORLD || comm == MPI_COMM_SELF)
        return;
    rt_lock(&rt_st.lock);
    mkt_map_del(&rt_st.comm_at, HANDLE_KEY(comm));
    rt_unlock(&rt_st.lock);
}

void rt_peer(mkt_event *e, const rt_comm *c, int rank)
{
    if (rank == MPI_ANY_SOURCE) {
        e->peer = MKT_PEER_ANY;
    } else if (rank == MPI_PROC_NULL) {
        e->peer = MKT_PEER_NULL;
    } else if (rank == MPI_ROOT) {
        e->peer = MKT_PEER_ROOT;
    } else if (c->kind == 3 || (c->kind == 4 && c->remote_size > 0)) {
        e->peer = rank >= 0 && rank < c->remote_size ? c->remote_world_of[rank] : MKT_PEER_NONE;
        e->group = rank >= 0 && rank < c->remote_size ? c->remote_group_of[rank] : 0;
    } else {
        e->peer = rank >= 0 && rank < c->size ? c->world_of[rank] : MKT_PEER_NONE;
        e->group = rank >= 0 && rank < c->size ? c->group_of[rank] : 0;
    }
}

/* ---- requests and messages ---- */

uint32_t rt_req_add(MPI_Request req, int kind, uint32_t comm)
{
    if (req == MPI_REQUEST_NULL)
        return 0;
    uint32_t serial = atomic_fetch_add(&rt_st.next_req, 1) + 1;
    int64_t value = (int64_t)(((uint64_t)serial << 32) | ((uint64_t)(kind & 3) << 30) | (comm & 0x3fffffffu));
    rt_lock(&rt_st.req_lock);
    mkt_map_put(&rt_st.req_at, HANDLE_KEY(req), value);
    rt_unlock(&rt_st.req_lock);
    return serial;
}

/* Look up and forget a request: 1 with its serial, kind and communicator. */
static int req_take(MPI_Request req, uint32_t *serial, int *kind, uint32_t *comm)
{
    int64_t value;
    uint64_t key = HANDLE_KEY(req);
    rt_lock(&rt_st.req_lock);
    int found = mkt_map_get(&rt_st.req_at, key, &value);
    if (found)
        mkt_map_del(&rt_st.req_at, key);
    rt_unlock(&rt_st.req_lock);
    if (!found)
        return 0;
    *serial = (uint32_t)((uint64_t)value >> 32);
    *kind = (int)(((uint64_t)value >> 30) & 3);
    *comm = (uint32_t)value & 0x3fffffffu;
    return 1;
}

void rt_req_forget(MPI_Request req)
{
    rt_lock(&rt_st.req_lock);
    mkt_map_del(&rt_st.req_at, HANDLE_KEY(req));
    rt_unlock(&rt_st.req_lock);
}

void rt_msg_add(MPI_Message msg, uint32_t seq, uint32_t comm)
{
    if (msg == MPI_MESSAGE_NULL || msg == MPI_MESSAGE_NO_PROC)
        return;
    rt_lock(&rt_st.req_lock);
    mkt_map_put(&rt_st.msg_at, HANDLE_KEY(msg), (int64_t)(((uint64_t)seq << 32) | comm));
    rt_unlock(&rt_st.req_lock);
}

int rt_msg_take(MPI_Message msg, uint32_t *seq, uint32_t *comm)
{
    int64_t value;
    uint64_t key = HANDLE_KEY(msg);
    rt_lock(&rt_st.req_lock);
    int found = mkt_map_get(&rt_st.msg_at, key, &value);
    if (found)
        mkt_map_del(&rt_st.msg_at, key);
    rt_unlock(&rt_st.req_lock);
    if (found) {
        *seq = (uint32_t)((uint64_t)value >> 32);
        *comm = (uint32_t)value;
    }
    return found;
}

rt_comm *rt_comm_at(uint32_t index)
{
    rt_lock(&rt_st.lock);
    rt_comm *c = index < rt_st.ncomms ? rt_st.comms[index] : rt_st.world;
    rt_unlock(&rt_st.lock);
    return c;
}

/* One DONE record for a completed request; 0 when the request is unknown or did not end. */
static int done_record(mkt_event *d, const rt_completion *c, MPI_Request saved, MPI_Status *st)
{
    if (saved == MPI_REQUEST_NULL)
        return 0;
    if (c->rc == MPI_ERR_IN_STATUS && st->MPI_ERROR == MPI_ERR_PENDING)
        return 0; /* not completed */
    uint32_t serial, comm;
    int kind;
    if (!req_take(saved, &serial, &kind, &comm))
        return 0;
    memset(d, 0, sizeof *d);
    d->type = MKT_R_DONE;
    d->req = serial;
    d->func = (uint16_t)c->func;
    d->peer = MKT_PEER_NONE;
    if (kind != RT_REQ_RECV || (c->rc == MPI_ERR_IN_STATUS && st->MPI_ERROR != MPI_SUCCESS))
        return 1;
    int cancelled = 0, bytes = 0;
    PMPI_Test_cancelled(st, &cancelled);
    if (cancelled)
        return 1;
    rt_peer(d, rt_comm_at(comm), st->MPI_SOURCE);
    d->tag = st->MPI_TAG;
    if (PMPI_Get_count(st, MPI_BYTE, &bytes) == MPI_SUCCESS && bytes != MPI_UNDEFINED)
        d->rbytes = bytes;
    return 1;
}

void rt_complete(const rt_completion *c)
{
    /* completed == NULL: all n requests completed when ncompleted > 0, none otherwise */
    int n = c->completed != NULL ? c->ncompleted : c->ncompleted > 0 ? c->n : 0;
    mkt_event stack[17], *ev = n + 1 <= 17 ? stack : malloc((size_t)(n + 1) * sizeof *ev);
    if (ev == NULL)
        return;
    rt_call(&ev[0], c->func, c->t0, c->rc == MPI_ERR_IN_STATUS ? MPI_SUCCESS : c->rc);
    if (c->rc == MPI_ERR_IN_STATUS)
        ev[0].flags |= MKT_FL_ERROR;
    size_t m = 1;
    int ok = c->rc == MPI_SUCCESS || c->rc == MPI_ERR_IN_STATUS;
    for (int k = 0; ok && k < n; k++) {
        int i = c->completed != NULL ? c->completed[k] : k;
        MPI_Status *st = c->st_by_k ? &c->st[k] : &c->st[i];
        if (i >= 0 && i < c->n && done_record(&ev[m], c, c->saved[i], st)) {
            ev[m].thread = ev[0].thread;
            m++;
        }
    }
    ev[0].count = (uint32_t)(m - 1);
    if (c->found)
        ev[0].flags |= MKT_FL_FLAG;
    int is_test =
        c->func == MKT_F_Test || c->func == MKT_F_Testall || c->func == MKT_F_Testany || c->func == MKT_F_Testsome;
    if (is_test && !c->found && m == 1) {
        uint64_t key = (uint64_t)c->func;
        for (int i = 0; i < c->n; i++)
            key = key * 1000003u ^ HANDLE_KEY(c->saved[i]);
        rt_emit_poll(&ev[0], key);
    } else {
        rt_emit(ev, m);
    }
    if (ev != stack)
        free(ev);
}
