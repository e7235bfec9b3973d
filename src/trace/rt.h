/* rt.h - the MPI side of the tracer, shared by runtime.c and the wrap_*.c files: the state of
 * this process's trace, communicator and request registries, and the helpers every wrapper
 * uses. A wrapper is
 *
 *     int traced = rt_enter();             (0 inside another traced call, or when off)
 *     int64_t t0 = traced ? rt_now() : 0;
 *     int rc = PMPI_Xxx(...);
 *     if (traced) { mkt_event e; rt_call(&e, MKT_F_Xxx, t0, rc); ...fields...; rt_emit(&e, 1); }
 *     rt_leave();
 *
 * so the recorded slice is exactly the PMPI call, and the tracer's own work (translating
 * ranks, taking the buffer's lock) falls outside it. */
#ifndef MKT_RT_H
#define MKT_RT_H

#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "trace.h"

/* A communicator the tracer knows: its agreed id and how its ranks map to world ranks. */
typedef struct {
    uint64_t id;
    int kind; /* as mkt_comm.kind */
    int size, remote_size, my_rank;
    int32_t *world_of; /* local rank -> world rank in group group_of[rank] */
    uint8_t *group_of;
    int32_t *remote_world_of; /* intercommunicator: remote rank -> world rank */
    uint8_t *remote_group_of;
    uint32_t coll_seq; /* collectives called on it so far */
} rt_comm;

/* The tracer's channel to a group of spawned children (a dup of the spawn's intercomm). */
typedef struct {
    MPI_Comm comm;
    int is_root;   /* this process was the spawn's root: it receives their trace */
    int same_boot; /* root only: the children's rank 0 reads our clock */
    char label[MKT_LABEL_MAX];
} rt_link;

/* Everything this process's trace holds. One instance (rt_st): an interposed library has
 * no caller to hand its state to, so this is the tracer's one global. */
typedef struct {
    int started;
    int locking;               /* MPI_THREAD_MULTIPLE: calls may run at once, tables are locked */
    mkt_buffer *buf;
    MPI_Comm tcomm; /* a dup of MPI_COMM_WORLD: the tracer's own messages */
    int rank, size, provided;
    char label[MKT_LABEL_MAX];
    char parent_label[MKT_LABEL_MAX];
    int parent_rank;
    char outdir[4096];
    int format; /* mkt_out_format */
    size_t capacity;
    uint64_t limit;
    char program[MKT_NAME_MAX], host[MKT_NAME_MAX];
    char command[2 * MKT_NAME_MAX];
    uint64_t boot;
    uint64_t *boots; /* boot of every rank of the group */
    mkt_clockmap clock, parent_clock;
    int64_t t_init, t_final;
    /* communicators and the groups their members belong to */
    pthread_mutex_t lock;
    rt_comm **comms;
    uint32_t ncomms, capcomms;
    mkt_map comm_at;
    mkt_group_ref groups[256];
    uint32_t ngroups;
    rt_comm *world, *self;
    /* posted requests and matched messages */
    pthread_mutex_t req_lock;
    mkt_map req_at, msg_at;
    atomic_uint next_req, send_seq, recv_seq, creations, spawns;
    atomic_ullong dropped_calls;  /* calls not recorded: the buffer's limit was reached */
    atomic_int nthreads;
    /* spawned children, and the link to the parent when this group was spawned */
    rt_link *links;
    int nlinks;
    MPI_Comm parent_link;
    int parent_link_root; /* the spawning root's rank in the link's remote group */
    int parent_same_boot;
    char launcher[4096];
} rt_state;

extern rt_state rt_st;

/* The tables' locks, taken only under MPI_THREAD_MULTIPLE (below it MPI calls, and so the
 * wrappers, never run at the same time). */
static inline void rt_lock(pthread_mutex_t *m)
{
    if (rt_st.locking)
        pthread_mutex_lock(m);
}

static inline void rt_unlock(pthread_mutex_t *m)
{
    if (rt_st.locking)
        pthread_mutex_unlock(m);
}

/* Index of a group (by label hash) in this process's table, added when new. Locked. */
int rt_group_index(uint64_t hash, const char *label);

/* Kinds of request, kept with each posted request until it completes. */
enum { RT_REQ_SEND = 0, RT_REQ_RECV = 1, RT_REQ_COLL = 2, RT_REQ_IO = 3 };

/* Depth of traced calls on this thread (a PMPI implementation may call MPI_ functions). */
extern __thread int rt_depth __attribute__((tls_model("initial-exec")));
extern volatile int rt_recording;

static inline int rt_enter(void)
{
    return rt_depth++ == 0 && rt_recording;
}

static inline void rt_leave(void)
{
    rt_depth--;
}

static inline int64_t rt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Start an event for a call that began at t0 and ends now. */
void rt_call(mkt_event *e, int func, int64_t t0, int rc);
/* Copy n events into the buffer (the first a CALL; RECV/DONE records follow it). */
void rt_emit(const mkt_event *e, size_t n);
/* A poll that found nothing (Test, Iprobe): merged into this thread's previous event when
 * that was the same poll, unless the program did something else in between (key names the
 * poll: function and arguments). */
void rt_emit_poll(mkt_event *e, uint64_t key);

/* The communicator's entry and index (registered, or added now as unregistered). */
rt_comm *rt_comm_get(MPI_Comm comm, uint32_t *index);
/* The first two entries: MPI_COMM_WORLD (index 0) and MPI_COMM_SELF (1). 0 or -1. */
int rt_comm_add_fixed(uint64_t world_id, uint64_t self_id);
/* The entry at a table index (the world's when out of range). */
rt_comm *rt_comm_at(uint32_t index);
/* Register a communicator just created by a collective call: agree on an id and learn its
 * members' world ranks. Collective over newcomm (MPI_COMM_NULL: nothing to do). */
void rt_comm_register(MPI_Comm newcomm);
/* Forget a communicator about to be freed or disconnected. */
void rt_comm_forget(MPI_Comm comm);
/* Fill e->peer and e->group for `rank` of comm (remote group for an intercommunicator). */
void rt_peer(mkt_event *e, const rt_comm *c, int rank);

/* Bytes of count elements of type (0 for MPI_DATATYPE_NULL or count <= 0). Call only after
 * the traced call succeeded: the datatype is then known to be valid. */
int64_t rt_bytes(int64_t count, MPI_Datatype type);
/* Posting order of sends and receives in this process. */
uint32_t rt_send_seq(void);
uint32_t rt_recv_seq(void);

/* Remember a posted request; returns its serial (the event's req). */
uint32_t rt_req_add(MPI_Request req, int kind, uint32_t comm);
/* Forget a request (MPI_Request_free). */
void rt_req_forget(MPI_Request req);
/* Remember a matched message (MPI_Mprobe) with its receive order; look it up (and forget
 * it) at MPI_Mrecv. */
void rt_msg_add(MPI_Message msg, uint32_t seq, uint32_t comm);
int rt_msg_take(MPI_Message msg, uint32_t *seq, uint32_t *comm);

/* Record a Wait/Test call over n requests whose handles before the call were saved[];
 * completed[k] (k < ncompleted) are the indices that completed, with statuses st[index]
 * (st_stride 1) or st[k] (Waitsome/Testsome: st_by_k). found: a Test that succeeded. */
typedef struct {
    int func, rc, n, ncompleted, found, st_by_k;
    int64_t t0;
    const MPI_Request *saved;
    const int *completed;
    MPI_Status *st;
} rt_completion;
void rt_complete(const rt_completion *c);

/* Parent side of MPI_Comm_spawn (runtime.c). */
int rt_spawn(const char *command, char *argv[], int maxprocs, MPI_Info info, int root, MPI_Comm comm,
             MPI_Comm *intercomm, int errcodes[], int64_t t0);

/* MPI_Init / MPI_Init_thread succeeded: start tracing. */
void rt_start(int func, int64_t t0, int64_t t1, int provided);
/* MPI_Finalize: stop, gather, write. */
void rt_finish(void);

#endif
