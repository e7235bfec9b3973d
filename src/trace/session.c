/* session.c - the life of a trace: started inside MPI_Init, extended by MPI_Comm_spawn,
 * gathered and written inside MPI_Finalize.
 *
 *   MPI_Init       dup MPI_COMM_WORLD (the tracer's own channel), learn every rank's kernel,
 *                  align clocks (one handshake per other kernel), a spawned group also
 *                  registers its parent intercomm and opens a link to the spawning root
 *   MPI_Comm_spawn the root runs the children through the launcher (so they are traced too,
 *                  as their own group), every parent registers the intercomm and links to it
 *   MPI_Finalize   each spawning root receives its children's trace over the link; clocks are
 *                  aligned again; every rank sends its trace to its group's rank 0; a spawned
 *                  group's rank 0 forwards the lot to its parent, the launched group's rank 0
 *                  merges and writes DIR (renamed into place only when complete)
 *
 * Nothing touches the file system before that last rename: a run that aborts leaves no
 * trace directory, and no temporary either (a spilled buffer is an unnamed file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

enum { TAG_PING = 3101, TAG_TIME, TAG_HELLO, TAG_SIZE, TAG_DATA };
enum { ROUNDS = 32 };
#define CHUNK ((size_t)1 << 30)

typedef struct {
    uint64_t boot;
    int32_t world_rank, spare;
} hello;

/* ---- clocks ---- */

/* The follower's side of a handshake with `ref` on comm: ROUNDS ping/answer pairs. */
static mkt_offset follow(MPI_Comm comm, int ref)
{
    mkt_sample s[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        int64_t t_ref = 0;
        s[k].t_send = rt_now();
        PMPI_Send(&k, 1, MPI_INT, ref, TAG_PING, comm);
        PMPI_Recv(&t_ref, 1, MPI_INT64_T, ref, TAG_TIME, comm, MPI_STATUS_IGNORE);
        s[k].t_recv = rt_now();
        s[k].t_ref = t_ref;
    }
    return mkt_offset_estimate(s, ROUNDS);
}

static void serve(MPI_Comm comm, int follower)
{
    for (int k = 0; k < ROUNDS; k++) {
        int dummy;
        PMPI_Recv(&dummy, 1, MPI_INT, follower, TAG_PING, comm, MPI_STATUS_IGNORE);
        int64_t now = rt_now();
        PMPI_Send(&now, 1, MPI_INT64_T, follower, TAG_TIME, comm);
    }
}

/* The first rank on each kernel other than rank 0's measures its offset to rank 0; the
 * others on that kernel share it (model.c); rank 0's kernel is exact. */
static int is_leader(int r)
{
    if (rt_st.boots[r] == rt_st.boots[0])
        return 0;
    for (int q = 1; q < r; q++)
        if (rt_st.boots[q] == rt_st.boots[r])
            return 0;
    return 1;
}

static void group_clocks(int final)
{
    if (rt_st.rank == 0) {
        for (int r = 1; r < rt_st.size; r++)
            if (is_leader(r))
                serve(rt_st.tcomm, r);
        return;
    }
    if (!is_leader(rt_st.rank))
        return;
    mkt_offset o = follow(rt_st.tcomm, 0);
    if (!final)
        rt_st.clock.a = rt_st.clock.b = o;
    else if (o.at > rt_st.clock.a.at)
        rt_st.clock.b = o;
    rt_st.clock.measured = 1;
}

/* ---- identity ---- */

static uint64_t boot_id(void)
{
    char id[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f != NULL) {
        if (fgets(id, sizeof id, f) == NULL)
            id[0] = '\0';
        fclose(f);
    }
    if (id[0] == '\0') /* no boot id: the host name stands for the kernel */
        gethostname(id, sizeof id - 1);
    return mkt_hash_str(id);
}

static void identity(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(exe, '/');
    snprintf(rt_st.program, sizeof rt_st.program, "%.127s", base != NULL ? base + 1 : exe);
    /* the command line, for titles: the program's name, then its arguments (NULs to spaces) */
    char line[4096] = "";
    size_t len = 0;
    FILE *f = fopen("/proc/self/cmdline", "r");
    if (f != NULL) {
        len = fread(line, 1, sizeof line - 1, f);
        fclose(f);
    }
    line[len] = '\0';
    int at = snprintf(rt_st.command, sizeof rt_st.command, "%s", rt_st.program);
    size_t room = sizeof rt_st.command - 1;
    for (size_t i = strlen(line); i < len && at >= 0 && (size_t)at < room; i++) {
        if (line[i] == '\0')
            line[i] = ' ';
        rt_st.command[at++] = line[i];
    }
    while (at > 0 && (size_t)at <= room && rt_st.command[at - 1] == ' ')
        at--;
    rt_st.command[at >= 0 && (size_t)at <= room ? (size_t)at : room] = '\0';
    if (gethostname(rt_st.host, sizeof rt_st.host - 1) != 0)
        snprintf(rt_st.host, sizeof rt_st.host, "?");
}

static uint64_t env_count(const char *name, uint64_t fallback)
{
    const char *v = getenv(name);
    char *end;
    errno = 0;
    unsigned long long x = v != NULL ? strtoull(v, &end, 10) : 0;
    return v == NULL || errno != 0 || *end != '\0' || end == v ? fallback : (uint64_t)x;
}

static void options(void)
{
    const char *dir = getenv("MKTRACE_DIR");
    if (dir != NULL && dir[0] != '\0')
        snprintf(rt_st.outdir, sizeof rt_st.outdir, "%s", dir);
    else
        snprintf(rt_st.outdir, sizeof rt_st.outdir, "trace-%s", rt_st.program);
    const char *fmt = getenv("MKTRACE_FORMAT");
    rt_st.format = fmt == NULL                ? MKT_OUT_TEXT
                   : strcmp(fmt, "csv") == 0  ? MKT_OUT_CSV
                   : strcmp(fmt, "json") == 0 ? MKT_OUT_JSON
                                              : MKT_OUT_TEXT;
    rt_st.capacity = (size_t)env_count("MKTRACE_BUFFER", 8192);
    rt_st.limit = env_count("MKTRACE_LIMIT", 1u << 20);
    const char *launcher = getenv("MKTRACE_LAUNCHER");
    snprintf(rt_st.launcher, sizeof rt_st.launcher, "%s", launcher != NULL ? launcher : "");
}

/* ---- the communicators every process has ---- */

static int add_fixed_comms(void)
{
    rt_st.ngroups = 0;
    rt_group_index(mkt_hash_str(rt_st.label), rt_st.label);
    char id[MKT_LABEL_MAX + 8];
    snprintf(id, sizeof id, "%s:world", rt_st.label);
    return rt_comm_add_fixed(mkt_hash_str(id) | 1,
                             mkt_hash(&rt_st.rank, sizeof rt_st.rank, mkt_hash_str(rt_st.label) ^ 0x5e1f) | 1);
}

/* ---- the link between a spawned group and its parent ---- */

/* Child side, in MPI_Init: register the parent intercomm, open the link, and (rank 0)
 * greet the spawning root and align to its clock. */
static void link_to_parent(MPI_Comm parent)
{
    rt_comm_register(parent);
    if (PMPI_Comm_dup(parent, &rt_st.parent_link) != MPI_SUCCESS) {
        rt_st.parent_link = MPI_COMM_NULL;
        return;
    }
    PMPI_Comm_set_errhandler(rt_st.parent_link, MPI_ERRORS_RETURN);
    if (rt_st.rank != 0)
        return;
    hello h, mine = {rt_st.boot, rt_st.rank, 0};
    MPI_Status st;
    PMPI_Recv(&h, (int)sizeof h, MPI_BYTE, MPI_ANY_SOURCE, TAG_HELLO, rt_st.parent_link, &st);
    rt_st.parent_rank = h.world_rank;
    PMPI_Send(&mine, (int)sizeof mine, MPI_BYTE, st.MPI_SOURCE, TAG_HELLO, rt_st.parent_link);
    rt_st.parent_same_boot = h.boot == rt_st.boot;
    rt_st.parent_clock.exact = rt_st.parent_same_boot;
    if (!rt_st.parent_same_boot) {
        rt_st.parent_clock.a = rt_st.parent_clock.b = follow(rt_st.parent_link, st.MPI_SOURCE);
        rt_st.parent_clock.measured = 1;
    }
    /* the source's rank in the parent's communicator, for the messages at MPI_Finalize */
    rt_st.parent_link_root = st.MPI_SOURCE;
}

/* Parent side, after the children started: the same steps, mirrored. */
static void link_to_children(MPI_Comm intercomm, int is_root, const char *label)
{
    rt_comm_register(intercomm);
    rt_link l;
    memset(&l, 0, sizeof l);
    snprintf(l.label, sizeof l.label, "%s", label);
    l.is_root = is_root;
    if (PMPI_Comm_dup(intercomm, &l.comm) != MPI_SUCCESS)
        return;
    PMPI_Comm_set_errhandler(l.comm, MPI_ERRORS_RETURN);
    rt_lock(&rt_st.lock);
    rt_group_index(mkt_hash_str(label), label);
    rt_unlock(&rt_st.lock);
    if (is_root) {
        hello h = {rt_st.boot, rt_st.rank, 0}, theirs;
        PMPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_HELLO, l.comm);
        PMPI_Recv(&theirs, (int)sizeof theirs, MPI_BYTE, 0, TAG_HELLO, l.comm, MPI_STATUS_IGNORE);
        l.same_boot = theirs.boot == rt_st.boot;
        if (!l.same_boot)
            serve(l.comm, 0);
    }
    rt_link *more = realloc(rt_st.links, (size_t)(rt_st.nlinks + 1) * sizeof *more);
    if (more == NULL) {
        PMPI_Comm_free(&l.comm);
        return;
    }
    rt_st.links = more;
    rt_st.links[rt_st.nlinks++] = l;
}

/* ---- start ---- */

void rt_start(int func, int64_t t0, int64_t t1, int provided)
{
    if (rt_st.started)
        return;
    pthread_mutex_init(&rt_st.lock, NULL);
    pthread_mutex_init(&rt_st.req_lock, NULL);
    mkt_map_init(&rt_st.comm_at);
    mkt_map_init(&rt_st.req_at);
    mkt_map_init(&rt_st.msg_at);
    rt_st.provided = provided;
    rt_st.parent_rank = -1;
    rt_st.parent_link = MPI_COMM_NULL;
    identity();
    options();
    if (PMPI_Comm_dup(MPI_COMM_WORLD, &rt_st.tcomm) != MPI_SUCCESS)
        return;
    /* the tracer's own failures must never end the program: errors are return codes */
    PMPI_Comm_set_errhandler(rt_st.tcomm, MPI_ERRORS_RETURN);
    PMPI_Comm_rank(rt_st.tcomm, &rt_st.rank);
    PMPI_Comm_size(rt_st.tcomm, &rt_st.size);
    rt_st.boot = boot_id();
    /* MKTRACE_FAKE_HOSTS=1 (tests): every process pretends to run on a kernel of its own, so
     * the clock handshakes of a multi-host run are exercised on one machine */
    const char *fake = getenv("MKTRACE_FAKE_HOSTS"), *group = getenv("MKTRACE_GROUP");
    if (fake != NULL && strcmp(fake, "1") == 0)
        rt_st.boot = mkt_hash(&rt_st.rank, sizeof rt_st.rank, rt_st.boot ^ mkt_hash_str(group != NULL ? group : "0"));
    MPI_Comm parent = MPI_COMM_NULL;
    PMPI_Comm_get_parent(&parent);
    int child = parent != MPI_COMM_NULL && group != NULL && group[0] != '\0';
    if (parent != MPI_COMM_NULL && !child) {
        /* children that inherited the preload but were not started by the launcher (e.g.
         * MPI_Comm_spawn_multiple): their parent does not link to them, so stay out */
        PMPI_Comm_free(&rt_st.tcomm);
        return;
    }
    snprintf(rt_st.label, sizeof rt_st.label, "%s", child ? group : "0");
    rt_st.buf = mkt_buffer_new(rt_st.capacity, rt_st.limit, NULL);
    rt_st.locking = provided == MPI_THREAD_MULTIPLE;
    if (rt_st.buf != NULL)
        mkt_buffer_set_locking(rt_st.buf, rt_st.locking);
    rt_st.boots = calloc((size_t)rt_st.size, sizeof *rt_st.boots);
    if (rt_st.buf == NULL || rt_st.boots == NULL || add_fixed_comms() != 0)
        return;
    PMPI_Allgather(&rt_st.boot, 1, MPI_UINT64_T, rt_st.boots, 1, MPI_UINT64_T, rt_st.tcomm);
    rt_st.clock.exact = rt_st.boots[rt_st.rank] == rt_st.boots[0];
    rt_st.started = 1;
    group_clocks(0);
    if (child) {
        char *slash = strrchr(rt_st.label, '/');
        snprintf(rt_st.parent_label, sizeof rt_st.parent_label, "%.*s", slash != NULL ? (int)(slash - rt_st.label) : 0,
                 rt_st.label);
        link_to_parent(parent);
    }
    /* the program sees MPI_Init end now, after the tracer's set-up (t1 is MPI's own end) */
    (void)t1;
    mkt_event e;
    rt_call(&e, func, t0, MPI_SUCCESS);
    rt_st.t_init = e.t1;
    e.count = (uint32_t)provided;
    rt_emit(&e, 1);
    rt_recording = 1;
}

/* ---- spawn ---- */

/* Whether `command` names an executable (as execvp would find it). */
static int executable(const char *command)
{
    if (strchr(command, '/') != NULL)
        return access(command, X_OK) == 0;
    const char *path = getenv("PATH");
    char dir[4096];
    for (const char *p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0';) {
        size_t n = strcspn(p, ":");
        snprintf(dir, sizeof dir, "%.*s/%s", (int)n, p, command);
        if (access(dir, X_OK) == 0)
            return 1;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

/* The launcher's arguments for the children: --child LABEL [buffer] -- command argv... */
static char **child_argv(const char *command, char *argv[], const char *label, char *buffer, char *limit)
{
    int n = 0;
    while (argv != MPI_ARGV_NULL && argv[n] != NULL)
        n++;
    char **v = calloc((size_t)n + 10, sizeof *v);
    if (v == NULL)
        return NULL;
    int k = 0;
    v[k++] = (char *)"--child";
    v[k++] = (char *)label;
    v[k++] = (char *)"--buffer";
    v[k++] = buffer;
    v[k++] = (char *)"--limit";
    v[k++] = limit;
    v[k++] = (char *)"--";
    v[k++] = (char *)command;
    for (int i = 0; i < n; i++)
        v[k++] = argv[i];
    v[k] = NULL;
    return v;
}

int rt_spawn(const char *command, char *argv[], int maxprocs, MPI_Info info, int root, MPI_Comm comm,
             MPI_Comm *intercomm, int errcodes[], int64_t t0)
{
    int me = 0;
    PMPI_Comm_rank(comm, &me);
    struct {
        int traced;
        char label[MKT_LABEL_MAX];
    } plan;
    memset(&plan, 0, sizeof plan);
    char **v = NULL, buffer[32], limit[32];
    if (me == root && rt_st.launcher[0] != '\0' && command != NULL && executable(command)) {
        unsigned nth = atomic_fetch_add(&rt_st.spawns, 1) + 1;
        int n = snprintf(plan.label, sizeof plan.label, "%s/r%ds%u", rt_st.label, rt_st.rank, nth);
        snprintf(buffer, sizeof buffer, "%zu", rt_st.capacity);
        snprintf(limit, sizeof limit, "%llu", (unsigned long long)rt_st.limit);
        /* labels nest one level per spawn; a label that no longer fits leaves the children untraced */
        v = n > 0 && n < (int)sizeof plan.label ? child_argv(command, argv, plan.label, buffer, limit) : NULL;
        plan.traced = v != NULL;
    }
    /* every parent must know whether the children are traced: they take part in the link */
    PMPI_Bcast(&plan, (int)sizeof plan, MPI_BYTE, root, comm);
    int rc = PMPI_Comm_spawn(plan.traced && me == root ? rt_st.launcher : command, plan.traced && me == root ? v : argv,
                             maxprocs, info, root, comm, intercomm, errcodes);
    mkt_event e;
    rt_call(&e, MKT_F_Comm_spawn, t0, rc);
    uint32_t index;
    e.tag = rt_comm_get(comm, &index)->my_rank;
    e.comm = index;
    e.count = me == root ? (uint32_t)maxprocs : 0;
    rt_emit(&e, 1);
    free(v);
    if (rc == MPI_SUCCESS && *intercomm != MPI_COMM_NULL && plan.traced)
        link_to_children(*intercomm, me == root, plan.label);
    return rc;
}

/* ---- finish ---- */

static void send_blob(const unsigned char *data, size_t len, int dest, MPI_Comm comm)
{
    uint64_t n = len;
    PMPI_Send(&n, 1, MPI_UINT64_T, dest, TAG_SIZE, comm);
    for (size_t at = 0; at < len; at += CHUNK) {
        size_t part = len - at < CHUNK ? len - at : CHUNK;
        PMPI_Send(data + at, (int)part, MPI_BYTE, dest, TAG_DATA, comm);
    }
}

/* Receive a blob from src and append it to *all (*len bytes so far); 0 or -1. */
static int recv_blob(unsigned char **all, size_t *len, int src, MPI_Comm comm)
{
    uint64_t n = 0;
    PMPI_Recv(&n, 1, MPI_UINT64_T, src, TAG_SIZE, comm, MPI_STATUS_IGNORE);
    unsigned char *bigger = realloc(*all, *len + (size_t)n + 1);
    if (bigger == NULL) {
        /* take the chunks anyway, so the sender is not left waiting: a receive of 0 bytes
         * consumes the message and returns MPI_ERR_TRUNCATE (the comm returns errors) */
        unsigned char none;
        for (size_t at = 0; at < n; at += CHUNK)
            PMPI_Recv(&none, 0, MPI_BYTE, src, TAG_DATA, comm, MPI_STATUS_IGNORE);
        return -1;
    }
    *all = bigger;
    for (size_t at = 0; at < n; at += CHUNK) {
        size_t part = n - at < CHUNK ? n - at : CHUNK;
        PMPI_Recv(*all + *len + at, (int)part, MPI_BYTE, src, TAG_DATA, comm, MPI_STATUS_IGNORE);
    }
    *len += (size_t)n;
    return 0;
}

/* This process's record, packed, followed by the records of the children it received. */
static int pack_own(unsigned char **out, size_t *len, const unsigned char *children, size_t clen)
{
    mkt_proc p;
    memset(&p, 0, sizeof p);
    snprintf(p.label, sizeof p.label, "%s", rt_st.label);
    snprintf(p.program, sizeof p.program, "%s", rt_st.program);
    snprintf(p.command, sizeof p.command, "%s", rt_st.command);
    snprintf(p.host, sizeof p.host, "%s", rt_st.host);
    snprintf(p.parent_label, sizeof p.parent_label, "%s", rt_st.parent_label);
    p.rank = rt_st.rank;
    p.size = rt_st.size;
    p.boot = rt_st.boot;
    p.parent_rank = rt_st.parent_rank;
    p.thread_level = rt_st.provided;
    p.clock = rt_st.clock;
    p.parent_clock = rt_st.parent_clock;
    p.t_init = rt_st.t_init;
    p.t_final = rt_st.t_final;
    p.ngroups = rt_st.ngroups;
    p.groups = rt_st.groups;
    p.ncomms = rt_st.ncomms;
    p.comms = calloc((size_t)rt_st.ncomms + 1, sizeof *p.comms);
    if (p.comms == NULL || mkt_buffer_collect(rt_st.buf, &p.events, &p.nevents) != 0) {
        free(p.comms);
        return -1;
    }
    p.dropped = atomic_load(&rt_st.dropped_calls);
    for (uint32_t i = 0; i < rt_st.ncomms; i++) {
        const rt_comm *c = rt_st.comms[i];
        mkt_comm mc = {c->id, c->size, c->remote_size, c->kind, 0};
        p.comms[i] = mc;
    }
    unsigned char *own = NULL;
    size_t olen = 0;
    int rc = mkt_proc_pack(&p, &own, &olen);
    free(p.comms);
    free(p.events);
    if (rc != 0)
        return -1;
    unsigned char *all = realloc(own, olen + clen + 1);
    if (all == NULL) {
        free(own);
        return -1;
    }
    if (clen > 0)
        memcpy(all + olen, children, clen);
    *out = all;
    *len = olen + clen;
    return 0;
}

/* The launched group's rank 0: merge everything and write the trace directory. */
static void write_trace(const unsigned char *all, size_t len)
{
    char why[1024];
    mkt_proc *procs = NULL;
    size_t n = 0;
    mkt_trace t;
    if (mkt_procs_unpack(all, len, &procs, &n, why, sizeof why) != 0) {
        fprintf(stderr, "mktrace: cannot read the gathered trace: %s\n", why);
        return;
    }
    if (mkt_trace_build(&t, procs, n, why, sizeof why) != 0) {
        fprintf(stderr, "mktrace: cannot merge the trace: %s\n", why);
    } else {
        if (mkt_output_write(rt_st.outdir, &t, (mkt_out_format)rt_st.format, why, sizeof why) != 0)
            fprintf(stderr, "mktrace: cannot write the trace: %s\n", why);
        else
            fprintf(stderr, "mktrace: %d process%s, %zu calls: %s/ (trace.json, timeline.svg, summary.txt)\n", t.nprocs,
                    t.nprocs == 1 ? "" : "es", t.nslices, rt_st.outdir);
        mkt_trace_free(&t);
    }
    mkt_procs_free(procs, n);
}

/* Spawning roots: the children's traces, over each link; then every parent lets go of it. */
static void collect_children(unsigned char **children, size_t *clen)
{
    for (int i = 0; i < rt_st.nlinks; i++) {
        rt_link *l = &rt_st.links[i];
        if (l->is_root) {
            if (!l->same_boot)
                serve(l->comm, 0);
            recv_blob(children, clen, 0, l->comm);
        }
        PMPI_Comm_disconnect(&l->comm);
    }
    free(rt_st.links);
    rt_st.links = NULL;
    rt_st.nlinks = 0;
}

void rt_finish(void)
{
    if (!rt_st.started)
        return;
    rt_recording = 0;
    rt_st.t_final = rt_now();
    unsigned char *children = NULL, *own = NULL, *all = NULL;
    size_t clen = 0, olen = 0, alen = 0;
    collect_children(&children, &clen);
    int spawned = rt_st.parent_link != MPI_COMM_NULL;
    if (spawned && rt_st.rank == 0 && !rt_st.parent_same_boot) {
        mkt_offset o = follow(rt_st.parent_link, rt_st.parent_link_root);
        if (o.at > rt_st.parent_clock.a.at)
            rt_st.parent_clock.b = o;
    }
    group_clocks(1);
    int ok = pack_own(&own, &olen, children, clen) == 0;
    free(children);
    if (rt_st.rank != 0) {
        send_blob(ok ? own : NULL, ok ? olen : 0, 0, rt_st.tcomm);
    } else {
        all = own;
        alen = ok ? olen : 0;
        own = NULL;
        for (int r = 1; r < rt_st.size; r++)
            recv_blob(&all, &alen, r, rt_st.tcomm);
        if (spawned)
            send_blob(all, alen, rt_st.parent_link_root, rt_st.parent_link);
        else if (alen > 0)
            write_trace(all, alen);
    }
    free(own);
    free(all);
    if (spawned)
        PMPI_Comm_disconnect(&rt_st.parent_link);
    PMPI_Comm_free(&rt_st.tcomm);
    mkt_buffer_free(rt_st.buf);
    rt_st.buf = NULL;
    rt_st.started = 0;
}
