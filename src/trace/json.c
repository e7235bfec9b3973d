/* json.c - the merged trace in the Chrome Trace Event format, for Perfetto and
 * chrome://tracing: one process track per MPI process (pid = world rank for the launched
 * group), each call a complete slice ("ph":"X") named by its MPI function, each message and
 * each collective dependency a flow arrow ("ph":"s" inside the sending slice, "ph":"f" with
 * "bp":"e" inside the receiving one). Times are microseconds with nanosecond decimals. */
#include <inttypes.h>
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

/* ns as microseconds with three decimals, without going through a double */
static void json_us(FILE *out, int64_t ns)
{
    if (ns < 0) {
        fputc('-', out);
        ns = -ns;
    }
    fprintf(out, "%" PRId64 ".%03d", ns / 1000, (int)(ns % 1000));
}

static void peer_value(FILE *out, int peer)
{
    switch (peer) {
    case MKT_PEER_ANY: fputs("\"any\"", out); break;
    case MKT_PEER_ROOT: fputs("\"root\"", out); break;
    case MKT_PEER_NULL: fputs("\"MPI_PROC_NULL\"", out); break;
    default: fprintf(out, "%d", peer); break;
    }
}

static void slice_args(FILE *out, const mkt_trace *t, const mkt_slice *s)
{
    char buf[96];
    mkt_kind k = mkt_func_kind(s->func);
    fprintf(out, "\"comm\":");
    json_string(out, mkt_comm_name(t, s->comm, buf, sizeof buf));
    if (k == MKT_K_SEND || k == MKT_K_RECV || k == MKT_K_SENDRECV || k == MKT_K_PROBE) {
        fputs(",\"peer\":", out);
        peer_value(out, s->peer);
        fprintf(out, ",\"tag\":%d", s->tag);
    }
    fprintf(out, ",\"bytes\":%" PRId64, s->sbytes + s->rbytes);
    if (k == MKT_K_COLL || k == MKT_K_SENDRECV)
        fprintf(out, ",\"send_bytes\":%" PRId64 ",\"recv_bytes\":%" PRId64, s->sbytes, s->rbytes);
    if (k == MKT_K_COLL) {
        fprintf(out, ",\"comm_rank\":%d,\"instance\":%" PRId64, s->tag, s->instance);
        if (mkt_func_shape(s->func) == MKT_C_FROM_ROOT || mkt_func_shape(s->func) == MKT_C_TO_ROOT) {
            fputs(",\"root\":", out);
            peer_value(out, s->peer);
        }
    }
    if (s->req != 0)
        fprintf(out, ",\"request\":%" PRIu32, s->req);
    if (s->ndone > 0) {
        fputs(",\"completes\":[", out);
        for (int i = 0; i < s->ndone; i++)
            fprintf(out, "%s%" PRIu32, i > 0 ? "," : "", t->done[s->first_done + (size_t)i]);
        fputc(']', out);
    }
    if (k == MKT_K_WAIT || k == MKT_K_PROBE)
        fprintf(out, ",\"found\":%s", (s->flags & MKT_FL_FLAG) ? "true" : "false");
    if (s->count > 1 && k != MKT_K_WAIT)
        fprintf(out, ",\"polls\":%" PRIu32, s->count);
    if (s->flags & MKT_FL_ERROR)
        fputs(",\"error\":true", out);
}

static void write_metadata(FILE *out, const mkt_trace *t, int *first)
{
    char name[160];
    for (int pid = 0; pid < t->nprocs; pid++) {
        next_event(out, first);
        fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":", pid);
        json_string(out, mkt_process_name(t, pid, name, sizeof name));
        fputs("}}", out);
        next_event(out, first);
        fprintf(out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"sort_index\":%d}}", pid,
                pid);
        next_event(out, first);
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
            next_event(out, first);
            fprintf(out,
                    "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                    "\"args\":{\"name\":\"MPI calls, thread %d\"}}",
                    s->pid, tid, tid);
        }
        last_pid = s->pid;
        last_tid = s->tid;
    }
}

static void write_slices(FILE *out, const mkt_trace *t, int *first)
{
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *s = &t->slices[i];
        next_event(out, first);
        fprintf(out,
                "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":", mkt_func_name(s->func),
                mkt_kind_name(mkt_func_kind(s->func)), s->pid, s->tid);
        json_us(out, s->t0);
        fputs(",\"dur\":", out);
        json_us(out, s->t1 - s->t0);
        fputs(",\"args\":{", out);
        slice_args(out, t, s);
        fputs("}}", out);
    }
}

static void write_flows(FILE *out, const mkt_trace *t, int *first)
{
    for (size_t i = 0; i < t->nflows; i++) {
        const mkt_flow *f = &t->flows[i];
        const mkt_slice *a = &t->slices[f->from], *b = &t->slices[f->to];
        const char *name = f->kind == MKT_FLOW_MSG ? "message" : "collective";
        /* strictly inside both slices, so each end binds to its own slice */
        int64_t ts_from = f->t_from + (a->t1 - a->t0 >= 2 ? 1 : 0);
        int64_t ts_to = f->t_to - (b->t1 - b->t0 >= 2 ? 1 : 0);
        next_event(out, first);
        fprintf(out, "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"s\",\"id\":%zu,\"pid\":%d,\"tid\":%d,\"ts\":", name,
                name, i + 1, a->pid, a->tid);
        json_us(out, ts_from);
        fprintf(out, ",\"args\":{\"bytes\":%" PRId64 "}}", f->bytes);
        next_event(out, first);
        fprintf(out,
                "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"f\",\"bp\":\"e\",\"id\":%zu,\"pid\":%d,\"tid\":%d,\"ts\":",
                name, name, i + 1, b->pid, b->tid);
        json_us(out, ts_to);
        fputc('}', out);
    }
}

int mkt_write_json(FILE *out, const mkt_trace *t)
{
    size_t messages = 0;
    for (size_t i = 0; i < t->nflows; i++)
        messages += t->flows[i].kind == MKT_FLOW_MSG;
    fputs("{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"tool\":\"mktrace\",\"program\":", out);
    json_string(out, t->program);
    fprintf(out,
            ",\"processes\":%d,\"groups\":%d,\"hosts\":%d,\"clock_error_ns\":%" PRId64
            ",\"calls\":%zu,\"messages\":%zu,\"unmatched_sends\":%zu,\"unmatched_receives\":%zu"
            ",\"backward_arrows\":%zu},\n\"traceEvents\":[",
            t->nprocs, t->ngroups, t->nhosts, t->clock_error, t->nslices, messages, t->unmatched_sends,
            t->unmatched_recvs, t->backward_flows);
    int first = 1;
    write_metadata(out, t, &first);
    write_slices(out, t, &first);
    write_flows(out, t, &first);
    fputs("\n]}\n", out);
    return ferror(out) ? -1 : 0;
}
