/* trace.h - the MPI-free core of the tracer (libmpikit-trace.so): the event record, the
 * per-rank buffer, the serialized per-process trace, clock alignment, the merged model and
 * its writers (Chrome trace JSON, SVG timeline, summary). Nothing here includes mpi.h, so
 * every piece is unit-tested without MPI (tests/unit/test_trace_*.c).
 *
 * Vocabulary: a "process" is one MPI process; a "group" is one MPI_COMM_WORLD (the launched
 * one, or the children of one MPI_Comm_spawn); a "slice" is one MPI call with its start and
 * end; a "flow" is an arrow between two slices (a message, or a collective's dependency). */
#ifndef MKT_TRACE_H
#define MKT_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the functions traced ---- */

/* What a call does, for colours and the summary. */
typedef enum {
    MKT_K_SEND,     /* point-to-point send (blocking or posting) */
    MKT_K_RECV,     /* point-to-point receive (blocking or posting) */
    MKT_K_SENDRECV, /* both at once */
    MKT_K_WAIT,     /* completion of requests: Wait*, Test* */
    MKT_K_PROBE,    /* Probe, Iprobe, Mprobe, Improbe */
    MKT_K_COLL,     /* every collective, blocking or posting */
    MKT_K_IO,       /* MPI-IO */
    MKT_K_COMM,     /* communicator management, spawn */
    MKT_K_INIT,     /* MPI_Init, MPI_Init_thread, MPI_Finalize */
    MKT_K_COUNT
} mkt_kind;

/* How a collective's ranks depend on each other: the arrows drawn between them. */
typedef enum {
    MKT_C_NONE,      /* not a collective */
    MKT_C_FROM_ROOT, /* Bcast, Scatter(v): every rank waits for the root */
    MKT_C_TO_ROOT,   /* Gather(v), Reduce: the root waits for every rank */
    MKT_C_ALL,       /* Barrier, All*, Reduce_scatter, neighbours: every rank waits for the last */
    MKT_C_SCAN       /* Scan, Exscan: rank i waits for rank i-1 */
} mkt_coll_shape;

/* One entry per traced function; MKT_F_COUNT entries. X(name, kind, shape). */
#define MKT_FUNCS(X)                                                                              \
    X(Init, INIT, NONE) X(Init_thread, INIT, NONE) X(Finalize, INIT, NONE)                        \
    X(Send, SEND, NONE) X(Ssend, SEND, NONE) X(Bsend, SEND, NONE) X(Rsend, SEND, NONE)            \
    X(Isend, SEND, NONE) X(Issend, SEND, NONE) X(Ibsend, SEND, NONE) X(Irsend, SEND, NONE)        \
    X(Recv, RECV, NONE) X(Irecv, RECV, NONE) X(Mrecv, RECV, NONE) X(Imrecv, RECV, NONE)           \
    X(Sendrecv, SENDRECV, NONE) X(Sendrecv_replace, SENDRECV, NONE)                               \
    X(Wait, WAIT, NONE) X(Waitall, WAIT, NONE) X(Waitany, WAIT, NONE) X(Waitsome, WAIT, NONE)     \
    X(Test, WAIT, NONE) X(Testall, WAIT, NONE) X(Testany, WAIT, NONE) X(Testsome, WAIT, NONE)     \
    X(Probe, PROBE, NONE) X(Iprobe, PROBE, NONE) X(Mprobe, PROBE, NONE) X(Improbe, PROBE, NONE)   \
    X(Barrier, COLL, ALL) X(Bcast, COLL, FROM_ROOT) X(Scatter, COLL, FROM_ROOT)                   \
    X(Scatterv, COLL, FROM_ROOT) X(Gather, COLL, TO_ROOT) X(Gatherv, COLL, TO_ROOT)               \
    X(Reduce, COLL, TO_ROOT) X(Allgather, COLL, ALL) X(Allgatherv, COLL, ALL)                     \
    X(Alltoall, COLL, ALL) X(Alltoallv, COLL, ALL) X(Alltoallw, COLL, ALL)                        \
    X(Allreduce, COLL, ALL) X(Reduce_scatter, COLL, ALL) X(Reduce_scatter_block, COLL, ALL)       \
    X(Scan, COLL, SCAN) X(Exscan, COLL, SCAN)                                                     \
    X(Neighbor_allgather, COLL, ALL) X(Neighbor_allgatherv, COLL, ALL)                            \
    X(Neighbor_alltoall, COLL, ALL) X(Neighbor_alltoallv, COLL, ALL)                              \
    X(Neighbor_alltoallw, COLL, ALL)                                                              \
    X(Ibarrier, COLL, ALL) X(Ibcast, COLL, FROM_ROOT) X(Iscatter, COLL, FROM_ROOT)                \
    X(Iscatterv, COLL, FROM_ROOT) X(Igather, COLL, TO_ROOT) X(Igatherv, COLL, TO_ROOT)            \
    X(Ireduce, COLL, TO_ROOT) X(Iallgather, COLL, ALL) X(Iallgatherv, COLL, ALL)                  \
    X(Ialltoall, COLL, ALL) X(Ialltoallv, COLL, ALL) X(Ialltoallw, COLL, ALL)                     \
    X(Iallreduce, COLL, ALL) X(Ireduce_scatter, COLL, ALL) X(Ireduce_scatter_block, COLL, ALL)    \
    X(Iscan, COLL, SCAN) X(Iexscan, COLL, SCAN)                                                   \
    X(File_open, IO, NONE) X(File_close, IO, NONE) X(File_set_view, IO, NONE)                     \
    X(File_sync, IO, NONE) X(File_set_size, IO, NONE)                                             \
    X(File_read, IO, NONE) X(File_read_at, IO, NONE) X(File_read_all, IO, NONE)                   \
    X(File_read_at_all, IO, NONE) X(File_read_shared, IO, NONE) X(File_read_ordered, IO, NONE)    \
    X(File_write, IO, NONE) X(File_write_at, IO, NONE) X(File_write_all, IO, NONE)                \
    X(File_write_at_all, IO, NONE) X(File_write_shared, IO, NONE)                                 \
    X(File_write_ordered, IO, NONE)                                                               \
    X(File_iread, IO, NONE) X(File_iread_at, IO, NONE) X(File_iwrite, IO, NONE)                   \
    X(File_iwrite_at, IO, NONE) X(File_iread_all, IO, NONE) X(File_iread_at_all, IO, NONE)        \
    X(File_iwrite_all, IO, NONE) X(File_iwrite_at_all, IO, NONE)                                  \
    X(Comm_dup, COMM, NONE) X(Comm_dup_with_info, COMM, NONE) X(Comm_split, COMM, NONE)           \
    X(Comm_split_type, COMM, NONE) X(Comm_create, COMM, NONE) X(Comm_create_group, COMM, NONE)    \
    X(Comm_free, COMM, NONE) X(Comm_disconnect, COMM, NONE)                                       \
    X(Cart_create, COMM, NONE) X(Cart_sub, COMM, NONE) X(Intercomm_create, COMM, NONE)            \
    X(Intercomm_merge, COMM, NONE) X(Comm_spawn, COMM, NONE) X(Comm_spawn_multiple, COMM, NONE)   \
    X(Abort, INIT, NONE)

#define MKT_ENUM_(name, kind, shape) MKT_F_##name,
typedef enum { MKT_FUNCS(MKT_ENUM_) MKT_F_COUNT } mkt_func;
#undef MKT_ENUM_

/* "MPI_Send" for MKT_F_Send; "MPI_?" for an unknown id. */
const char *mkt_func_name(int func);
mkt_kind mkt_func_kind(int func);
mkt_coll_shape mkt_func_shape(int func);
/* Short lower-case name of a kind ("send", "collective", ...), for tables and legends. */
const char *mkt_kind_name(mkt_kind kind);

/* ---- one recorded event: 64 bytes, written by the wrappers, read by the merge ---- */

typedef enum {
    MKT_R_CALL = 1, /* a slice: one MPI call */
    MKT_R_RECV = 2, /* the receive half of the CALL before it (MPI_Sendrecv) */
    MKT_R_DONE = 3  /* a request completed by the CALL before it (Wait*, Test*) */
} mkt_rtype;

/* Peer values that are not ranks. */
enum { MKT_PEER_NONE = -1, MKT_PEER_ANY = -2, MKT_PEER_ROOT = -3, MKT_PEER_NULL = -4 };

/* Flags. */
enum {
    MKT_FL_FLAG = 1,      /* a Test/Iprobe that found something */
    MKT_FL_INPLACE = 2,   /* MPI_IN_PLACE */
    MKT_FL_ERROR = 4      /* the call returned an error */
};

typedef struct {
    int64_t t0, t1;     /* ns on this process's CLOCK_MONOTONIC */
    int64_t sbytes;     /* bytes this process sends (CALL) */
    int64_t rbytes;     /* bytes it receives (CALL, RECV, DONE) */
    int32_t peer;       /* peer or root as a world rank of group `group`, or MKT_PEER_* */
    int32_t tag;        /* p2p tag; -1 for MPI_ANY_TAG at posting */
    uint32_t comm;      /* index into the process's communicator table */
    uint32_t seq;       /* sends/receives: posting order; collectives: instance on `comm` */
    uint32_t req;       /* request serial (posting CALL and DONE), 0 = none */
    uint32_t count;     /* polls merged into one Test/Iprobe slice; requests completed by a wait */
    uint16_t func;      /* mkt_func */
    uint8_t type;       /* mkt_rtype */
    uint8_t group;      /* index of the peer's group in the process's group table */
    uint8_t flags;      /* MKT_FL_* */
    uint8_t thread;     /* which thread of the process (0 = the first to call MPI) */
    uint16_t spare;
} mkt_event;

/* ---- the per-process buffer: fixed size, spilled to an unnamed file when full ---- */

typedef struct mkt_buffer mkt_buffer;

/* A buffer of `capacity` events. When full, the filled half is written by a helper thread
 * to an unnamed temporary file in `spill_dir` (NULL: $TMPDIR or /tmp), at most `limit`
 * events in total (0: no limit); events past the limit are counted as dropped. */
mkt_buffer *mkt_buffer_new(size_t capacity, uint64_t limit, const char *spill_dir);
void mkt_buffer_free(mkt_buffer *b);
/* Locking on (the default) or off: off only when no two threads can record at once (an MPI
 * library initialized below MPI_THREAD_MULTIPLE allows one MPI call at a time). */
void mkt_buffer_set_locking(mkt_buffer *b, int on);
/* Room for n consecutive events, zeroed, or NULL (dropped: counted). *index (if not NULL)
 * gets the index of the first. The caller fills them and then calls mkt_buffer_commit;
 * between the two the buffer is locked (keep it short). */
mkt_event *mkt_buffer_reserve(mkt_buffer *b, size_t n, uint64_t *index);
void mkt_buffer_commit(mkt_buffer *b);
/* The last event reserved, still locked, when it was the most recent one (for merging a
 * repeated poll into it); NULL otherwise, and then nothing is locked. */
mkt_event *mkt_buffer_last(mkt_buffer *b, uint64_t expected_index);
/* Index the next reserved event will get (events ever reserved, dropped included). */
uint64_t mkt_buffer_next_index(mkt_buffer *b);
/* Every event kept, in order, into a malloc'd array (*n of them); 0 or -1. Call with no
 * other thread recording. */
int mkt_buffer_collect(mkt_buffer *b, mkt_event **events, size_t *n);
uint64_t mkt_buffer_dropped(const mkt_buffer *b);
/* Number of spills so far (each one a write of half the buffer). */
uint64_t mkt_buffer_spills(const mkt_buffer *b);

/* ---- clocks ---- */

/* One handshake round: the follower reads t_send, the reference answers with t_ref, the
 * follower reads t_recv. All ns. */
typedef struct {
    int64_t t_send, t_ref, t_recv;
} mkt_sample;

/* Offset of the follower's clock to the reference's at one moment: ref = local + offset,
 * known within +-error (half the round trip of the best sample). */
typedef struct {
    int64_t at;       /* follower's local time of the estimate */
    int64_t offset;   /* ns */
    int64_t error;    /* ns, >= 0 */
} mkt_offset;

/* The estimate from n samples: the one with the shortest round trip (least queueing). */
mkt_offset mkt_offset_estimate(const mkt_sample *s, int n);

/* A linear map local -> reference from two estimates (init and finalize); `exact` means the
 * same clock (same kernel boot): the map is the identity and the error zero. */
typedef struct {
    int exact;        /* same clock as the reference */
    int measured;     /* a and b hold estimates (else: use another process's map, see model.c) */
    mkt_offset a, b;  /* b.at > a.at, or b == a for a constant offset */
} mkt_clockmap;

int64_t mkt_clock_apply(const mkt_clockmap *m, int64_t local);
/* The error bound of the map at `local` (interpolated between the two estimates). */
int64_t mkt_clock_error(const mkt_clockmap *m, int64_t local);

/* ---- a serialized process trace (what each rank sends to rank 0 at MPI_Finalize) ---- */

#define MKT_LABEL_MAX 64
#define MKT_NAME_MAX 128

/* A communicator as the process knows it; index = mkt_event.comm. */
typedef struct {
    uint64_t id;          /* agreed by every member (0: this process only knows it) */
    int32_t size;         /* local group size */
    int32_t remote_size;  /* intercommunicator: remote group size; else 0 */
    int32_t kind;         /* 0 world, 1 self, 2 derived intra, 3 inter, 4 unregistered */
    int32_t spare;
} mkt_comm;

/* A group (one MPI_COMM_WORLD): its label, e.g. "0" for the launched processes, "0/r1s2" for
 * the children of rank 1's second spawn. */
typedef struct {
    uint64_t hash;        /* mkt_hash of the label */
    char label[MKT_LABEL_MAX];
} mkt_group_ref;

typedef struct {
    /* identity */
    char label[MKT_LABEL_MAX];   /* own group */
    char program[MKT_NAME_MAX];  /* basename of the executable */
    char command[2 * MKT_NAME_MAX]; /* the command line, shortened: PROGRAM ARGS... */
    char host[MKT_NAME_MAX];
    int32_t rank, size;          /* in the own group's MPI_COMM_WORLD */
    uint64_t boot;               /* hash of the kernel's boot id: same boot = same clock */
    /* the parent link (spawned groups, set on their rank 0 only) */
    char parent_label[MKT_LABEL_MAX];
    int32_t parent_rank;         /* rank of the spawn's root in the parent group, or -1 */
    int32_t thread_level;
    /* clocks: this process -> its group's rank 0; rank 0 -> the parent root */
    mkt_clockmap clock;
    mkt_clockmap parent_clock;
    /* window of the program: end of MPI_Init, start of MPI_Finalize (local ns) */
    int64_t t_init, t_final;
    uint64_t dropped;            /* calls not recorded: past the limit */
    /* tables */
    uint32_t ngroups, ncomms;
    mkt_group_ref *groups;       /* [0] is the own group */
    mkt_comm *comms;
    size_t nevents;
    mkt_event *events;
} mkt_proc;

/* 64-bit FNV-1a of a byte string and of a C string. */
uint64_t mkt_hash(const void *data, size_t len, uint64_t seed);
uint64_t mkt_hash_str(const char *s);

/* Serialize one process into a malloc'd byte string (*len bytes); 0 or -1. */
int mkt_proc_pack(const mkt_proc *p, unsigned char **out, size_t *len);
/* Parse every process packed back to back in data[0..len) into a malloc'd array (*procs,
 * *nprocs); 0 or -1 with a reason in why. The arrays inside point into new allocations. */
int mkt_procs_unpack(const unsigned char *data, size_t len, mkt_proc **procs, size_t *nprocs,
                     char *why, size_t whylen);
void mkt_procs_free(mkt_proc *procs, size_t nprocs);

/* ---- pointer-keyed hash map (request and communicator handles) ---- */

typedef struct {
    uint64_t *keys;   /* 0 = empty */
    int64_t *values;
    size_t cap, n;
} mkt_map;

void mkt_map_init(mkt_map *m);
void mkt_map_free(mkt_map *m);
/* Insert or replace; 0 or -1 (no memory). Key 0 is reserved. */
int mkt_map_put(mkt_map *m, uint64_t key, int64_t value);
/* 1 and *value when found, else 0. */
int mkt_map_get(const mkt_map *m, uint64_t key, int64_t *value);
/* Remove; 1 when it was there. */
int mkt_map_del(mkt_map *m, uint64_t key);

/* ---- the merged trace ---- */

typedef struct {
    int pid;              /* global process number: rank for group 0, then the children */
    int tid;
    int func;
    int64_t t0, t1;       /* ns since the trace's zero, on the reference clock */
    int64_t sbytes, rbytes;
    int peer;             /* global pid of the peer/root, or MKT_PEER_* */
    int tag;
    int comm;             /* index into mkt_trace.comm_ids, or -1 */
    uint32_t seq;
    uint32_t req;         /* request posted by this call */
    uint32_t count;       /* polls merged / requests completed */
    int flags;
    int ndone;            /* requests completed (their serials in done[first_done..]) */
    size_t first_done;
    int64_t instance;     /* collective instance number (index into instances), or -1 */
} mkt_slice;

typedef enum { MKT_FLOW_MSG, MKT_FLOW_COLL } mkt_flow_kind;

typedef struct {
    size_t from, to;      /* slice indices */
    int64_t t_from, t_to; /* the arrow's ends */
    int64_t bytes;
    int tag;
    mkt_flow_kind kind;
} mkt_flow;

typedef struct {
    int group;            /* index into groups */
    int rank;
    char host[MKT_NAME_MAX];
    int64_t t_init, t_final;  /* window, trace time */
    int64_t clock_error;      /* bound on this process's clock alignment (ns) */
    uint64_t dropped;
} mkt_process;

typedef struct {
    char label[MKT_LABEL_MAX];
    int parent;           /* index of the parent group, -1 for the launched one */
    int parent_rank;
    int size;
    int first_pid;        /* pids first_pid .. first_pid+size-1 */
} mkt_group;

typedef struct {
    char program[MKT_NAME_MAX];
    char command[2 * MKT_NAME_MAX];
    int nprocs, ngroups;
    mkt_process *procs;
    mkt_group *groups;
    size_t nslices, nflows;
    mkt_slice *slices;    /* sorted by (pid, t0) */
    mkt_flow *flows;
    uint32_t *done;       /* request serials completed, referenced by slices */
    size_t ndone;
    uint64_t *comm_ids;   /* global communicator ids, in order of first use */
    int ncomms;
    int *comm_kind;       /* per comm id: as mkt_comm.kind */
    int64_t t_begin, t_end;   /* from the earliest end of MPI_Init to the latest MPI_Finalize */
    int64_t clock_error;      /* worst alignment error over all processes (0: one clock) */
    size_t unmatched_sends, unmatched_recvs;
    size_t backward_flows;    /* arrows that end before they start (clock error across nodes) */
    int nhosts;
} mkt_trace;

/* Build the merged trace from every process (any order). 0 or -1 with a reason. */
int mkt_trace_build(mkt_trace *t, mkt_proc *procs, size_t nprocs, char *why, size_t whylen);
void mkt_trace_free(mkt_trace *t);
/* "rank 3", or "spawn 0/r1s1 rank 0" for a child; into buf. */
const char *mkt_process_name(const mkt_trace *t, int pid, char *buf, size_t len);
/* "world", "comm 2", "intercomm 3" for a comm index. */
const char *mkt_comm_name(const mkt_trace *t, int comm, char *buf, size_t len);

/* ---- writers ---- */

/* Chrome Trace Event JSON (Perfetto, chrome://tracing). 0 or -1 on a write error. */
int mkt_write_json(FILE *out, const mkt_trace *t);

/* A self-contained SVG: one row per process, time axis, arrows, hover titles. */
typedef struct {
    int width;            /* px, default 960 */
    size_t max_slices;    /* rectangles drawn at most (default 6000) */
    size_t max_flows;     /* arrows drawn at most (default 1500) */
    const char *title;    /* NULL: the program name */
} mkt_svg_options;
void mkt_svg_defaults(mkt_svg_options *o);
int mkt_write_svg(FILE *out, const mkt_trace *t, const mkt_svg_options *o);
/* XML text with &, <, >, " and ' escaped; control bytes dropped. */
void mkt_xml_text(FILE *out, const char *s);

/* The summary: per-process time in MPI and outside, per-function calls and bytes, the
 * message matrix, load imbalance. */
typedef struct {
    int pid;
    double wall, mpi, compute;    /* seconds */
    uint64_t calls, messages_sent;
    uint64_t bytes_sent, bytes_recv;
} mkt_proc_stats;

typedef struct {
    int func;
    uint64_t calls;
    double seconds;
    uint64_t bytes_sent, bytes_recv;
} mkt_func_stats;

typedef struct {
    int nprocs;
    mkt_proc_stats *procs;
    int nfuncs;
    mkt_func_stats *funcs;        /* functions called at least once, most time first */
    uint64_t *msg_count;          /* nprocs x nprocs, [from * nprocs + to] */
    uint64_t *msg_bytes;
    double compute_mean, compute_max, imbalance; /* imbalance = max/mean - 1 (0: balanced) */
    double mpi_fraction;          /* of all processes' wall time */
} mkt_stats;

int mkt_stats_build(mkt_stats *s, const mkt_trace *t);
void mkt_stats_free(mkt_stats *s);
/* Text, or one of the summary's tables as CSV ("processes", "functions", "messages"), or
 * one JSON document with all of them. */
int mkt_write_summary_text(FILE *out, const mkt_trace *t, const mkt_stats *s);
int mkt_write_summary_csv(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table);
int mkt_write_summary_json(FILE *out, const mkt_trace *t, const mkt_stats *s);

/* ---- output directory ---- */

typedef enum { MKT_OUT_TEXT = 0, MKT_OUT_CSV = 1, MKT_OUT_JSON = 2 } mkt_out_format;

/* Write trace.json, timeline.svg, summary.txt (and summary CSVs or summary.json) into a new
 * temporary directory beside `dir`, then rename it to `dir` (replacing an earlier trace
 * directory). Nothing is left at `dir` or beside it on failure. 0 or -1 with a reason. */
int mkt_output_write(const char *dir, const mkt_trace *t, mkt_out_format format, char *why, size_t whylen);
/* 0 when `dir` may receive a trace: absent, or a directory holding an earlier trace.json
 * (or empty); -1 with a reason otherwise. */
int mkt_output_check(const char *dir, char *why, size_t whylen);

/* Printing helper: "1.50 ms", "12.0 us", "3.20 s" into buf. */
const char *mkt_format_ns(int64_t ns, char *buf, size_t len);

#endif
