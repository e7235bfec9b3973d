/* json.c - the merged trace in the Chrome Trace Event format, for Perfetto and
 * chrome://tracing: one process track per MPI process (pid = world rank for the launched
 * group), each call a complete slice ("ph":"X") named by its MPI function, each message and
 * each collective dependency a flow arrow ("ph":"s" inside the sending slice, "ph":"f" with
 * "bp":"e" inside the receiving one). Times are microseconds with nanosecond decimals. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Start the next element of traceEvents: a separator before every one but the first. */
static void next_event(FILE *out, int *first)
{
    fputs(*first ? "\n" : ",\n", out);
    *first = 0;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* A buffered writer for the events: formatting by hand, not with printf, because a trace
 * has one line per call and per arrow and millions of them must not take minutes. */
typedef struct {
    FILE *out;
    size_t n;
    char **comm;              /* each communicator's name as a JSON string, computed once */
    char buf[1 << 16];
} writer;

static void flush_out(writer *w)
{
    fwrite(w->buf, 1, w->n, w->out);
    w->n = 0;
}

static void put(writer *w, const char *s)
{
    size_t k = strlen(s);
    if (w->n + k > sizeof w->buf)
        flush_out(w);
    if (k > sizeof w->buf) {
        fputs(s, w->out);
        return;
    }
    memcpy(w->buf + w->n, s, k);
    w->n += k;
}

static void put_i64(writer *w, int64_t v)
{
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        tmp[k++] = '-';
    if (w->n + (size_t)k > sizeof w->buf)
        flush_out(w);
    while (k > 0)
        w->buf[w->n++] = tmp[--k];
}

/* ns as microseconds with three decimals, without going through a double */
static void put_us(writer *w, int64_t ns)
{
    if (ns < 0) {
        put(w, "-");
        ns = -ns;
    }
    char frac[6] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10), (char)('0' + ns % 10), '\0'};
    put_i64(w, ns / 1000);
    put(w, frac);
}

static void put_peer(writer *w, int peer)
{
    switch (peer) {
    case MKT_PEER_ANY: put(w, "\"any\""); break;
    case MKT_PEER_ROOT: put(w, "\"root\""); break;
    case MKT_PEER_NULL: put(w, "\"MPI_PROC_NULL\""); break;
    default: put_i64(w, peer); break;
    }
}

static void slice_args(writer *w, const mkt_trace *t, const mkt_slice *s)
{
    mkt_kind k = mkt_func_kind(s->func);
    put(w, "\"comm\":");
    put(w, s->comm >= 0 && s->comm < t->ncomms ? w->comm[s->comm] : "\"?\"");
    if (k == MKT_K_SEND || k == MKT_K_RECV || k == MKT_K_SENDRECV || k == MKT_K_PROBE) {
        put(w, ",\"peer\":");
        put_peer(w, s->peer);
        put(w, ",\"tag\":");
        put_i64(w, s->tag);
    }
    put(w, ",\"bytes\":");
    put_i64(w, s->sbytes + s->rbytes);
    if (k == MKT_K_COLL || k == MKT_K_SENDRECV) {
        put(w, ",\"send_bytes\":");
        put_i64(w, s->sbytes);
        put(w, ",\"recv_bytes\":");
        put_i64(w, s->rbytes);
    }
    if (k == MKT_K_COLL) {
        put(w, ",\"comm_rank\":");
        put_i64(w, s->tag);
        put(w, ",\"instance\":");
        put_i64(w, s->instance);
        if (mkt_func_shape(s->func) == MKT_C_FROM_ROOT || mkt_func_shape(s->func) == MKT_C_TO_ROOT) {
            put(w, ",\"root\":");
            put_peer(w, s->peer);
        }
    }
    if (s->req != 0) {
        put(w, ",\"request\":");
        put_i64(w, s->req);
    }
    if (s->ndone > 0) {
        put(w, ",\"completes\":[");
        for (int i = 0; i < s->ndone; i++) {
            if (i > 0)
                put(w, ",");
            put_i64(w, t->done[s->first_done + (size_t)i]);
        }
        put(w, "]");
    }
    if (k == MKT_K_WAIT || k == MKT_K_PROBE)
        put(w, (s->flags & MKT_FL_FLAG) ? ",\"found\":true" : ",\"found\":false");
    if (s->count > 1 && s->ndone == 0 && !(s->flags & MKT_FL_FLAG)) {   /* merged unsuccessful polls */
        put(w, ",\"polls\":");
        put_i64(w, s->count);
    }
    if (s->flags & MKT_FL_ERROR)
        put(w, ",\"error\":true");
}

static void write_metadata(FILE *out, const mkt_trace *t)
{
    int first = 1;   /* there is always at least one process: metadata comes first */
    char name[160];
    for (int pid = 0; pid < t->nprocs; pid++) {
        next_event(out, &first);
        fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":", pid);
        json_string(out, mkt_process_name(t, pid, name, sizeof name));
        fputs("}}", out);
        next_event(out, &first);
        fprintf(out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"sort_index\":%d}}", pid,
                pid);
        next_event(out, &first);
        fprintf(out, "{\"name\":\"process_labels\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"labels\":", pid);
        json_string(out, t->procs[pid].host);
        fputs("}}", out);
    }
    /* one thread track per thread that called MPI */
    int last_pid = -1, last_tid = -1;
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *s = &t->slices[i];
        if (s->pid == last_pid && s->tid <= last_tid)
            continue;
        if (s->pid != last_pid)
            last_tid = -1;
        for (int tid = last_tid + 1; tid <= s->tid; tid++) {
            next_event(out, &first);
            fprintf(out,
                    "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                    "\"args\":{\"name\":\"MPI calls, thread %d\"}}",
                    s->pid, tid, tid);
        }
        last_pid = s->pid;
        last_tid = s->tid;
    }
}

static void write_slices(writer *w, const mkt_trace *t)
{
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *s = &t->slices[i];
        put(w, ",\n{\"name\":\"");
        put(w, mkt_func_name(s->func));
        put(w, "\",\"cat\":\"");
        put(w, mkt_kind_name(mkt_func_kind(s->func)));
        put(w, "\",\"ph\":\"X\",\"pid\":");
        put_i64(w, s->pid);
        put(w, ",\"tid\":");
        put_i64(w, s->tid);
        put(w, ",\"ts\":");
        put_us(w, s->t0);
        put(w, ",\"dur\":");
        put_us(w, s->t1 - s->t0);
        put(w, ",\"args\":{");
        slice_args(w, t, s);
        put(w, "}}");
    }
}

/* One end of an arrow: "s" inside the sending slice, "f" bound to the enclosing slice. */
static void flow_end(writer *w, const char *name, int start, size_t id, const mkt_slice *s, int64_t ts)
{
    put(w, ",\n{\"name\":\"");
    put(w, name);
    put(w, "\",\"cat\":\"");
    put(w, name);
    put(w, start ? "\",\"ph\":\"s\",\"id\":" : "\",\"ph\":\"f\",\"bp\":\"e\",\"id\":");
    put_i64(w, (int64_t)id);
    put(w, ",\"pid\":");
    put_i64(w, s->pid);
    put(w, ",\"tid\":");
    put_i64(w, s->tid);
    put(w, ",\"ts\":");
    put_us(w, ts);
}

static void write_flows(writer *w, const mkt_trace *t)
{
    for (size_t i = 0; i < t->nflows; i++) {
        const mkt_flow *f = &t->flows[i];
        const mkt_slice *a = &t->slices[f->from], *b = &t->slices[f->to];
        const char *name = f->kind == MKT_FLOW_MSG ? "message" : "collective";
        /* strictly inside both slices, so each end binds to its own slice */
        flow_end(w, name, 1, i + 1, a, f->t_from + (a->t1 - a->t0 >= 2 ? 1 : 0));
        put(w, ",\"args\":{\"bytes\":");
        put_i64(w, f->bytes);
        put(w, "}}");
        flow_end(w, name, 0, i + 1, b, f->t_to - (b->t1 - b->t0 >= 2 ? 1 : 0));
        put(w, "}");
    }
}

/* Each communicator's name as a JSON string. */
static int comm_names(writer *w, const mkt_trace *t)
{
    w->comm = calloc((size_t)t->ncomms + 1, sizeof *w->comm);
    if (w->comm == NULL)
        return -1;
    for (int c = 0; c < t->ncomms; c++) {
        char name[96], quoted[200];
        mkt_comm_name(t, c, name, sizeof name);
        snprintf(quoted, sizeof quoted, "\"%s\"", name);   /* names are plain ASCII words */
        w->comm[c] = strdup(quoted);
        if (w->comm[c] == NULL)
            return -1;
    }
    return 0;
}

int mkt_write_json(FILE *out, const mkt_trace *t)
{
    size_t messages = 0;
    for (size_t i = 0; i < t->nflows; i++)
        messages += t->flows[i].kind == MKT_FLOW_MSG;
    fputs("{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"tool\":\"mktrace\",\"program\":", out);
    json_string(out, t->program);
    fputs(",\"command\":", out);
    json_string(out, t->command);
    fprintf(out,
            ",\"processes\":%d,\"groups\":%d,\"hosts\":%d,\"clock_error_ns\":%" PRId64
            ",\"calls\":%zu,\"messages\":%zu,\"unmatched_sends\":%zu,\"unmatched_receives\":%zu"
            ",\"backward_arrows\":%zu},\n\"traceEvents\":[",
            t->nprocs, t->ngroups, t->nhosts, t->clock_error, t->nslices, messages, t->unmatched_sends,
            t->unmatched_recvs, t->backward_flows);
    write_metadata(out, t);
    writer *w = calloc(1, sizeof *w);
    int rc = w != NULL && comm_names(w, t) == 0 ? 0 : -1;
    if (rc == 0) {
        w->out = out;
        write_slices(w, t);
        write_flows(w, t);
        flush_out(w);
    }
    for (int c = 0; w != NULL && w->comm != NULL && c < t->ncomms; c++)
        free(w->comm[c]);
    if (w != NULL)
        free(w->comm);
    free(w);
    fputs("\n]}\n", out);
    return rc == 0 && !ferror(out) ? 0 : -1;
}
