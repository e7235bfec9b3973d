/* summary.c - the numbers behind the picture: per process the time in MPI and outside it
 * (computing) between MPI_Init and MPI_Finalize, per function the calls, time and bytes,
 * the rank-to-rank message matrix, and the load imbalance of the launched ranks (how much
 * longer the busiest rank computes than the mean: 0% is perfect balance). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static double seconds(int64_t ns)
{
    return (double)ns * 1e-9;
}

static int cmp_func(const void *a, const void *b)
{
    const mkt_func_stats *x = a, *y = b;
    if (x->seconds != y->seconds)
        return x->seconds > y->seconds ? -1 : 1;
    return x->func - y->func;
}

static void imbalance(mkt_stats *s, const mkt_trace *t)
{
    double sum = 0, max = 0, wall = 0, mpi = 0;
    int n = 0;
    for (int p = 0; p < s->nprocs; p++) {
        wall += s->procs[p].wall;
        mpi += s->procs[p].mpi;
        if (t->procs[p].group != 0)
            continue;
        sum += s->procs[p].compute;
        if (s->procs[p].compute > max)
            max = s->procs[p].compute;
        n++;
    }
    s->compute_mean = n > 0 ? sum / n : 0;
    s->compute_max = max;
    s->imbalance = s->compute_mean > 0 ? max / s->compute_mean - 1.0 : 0;
    s->mpi_fraction = wall > 0 ? mpi / wall : 0;
}

int mkt_stats_build(mkt_stats *s, const mkt_trace *t)
{
    memset(s, 0, sizeof *s);
    size_t np = (size_t)t->nprocs;
    s->nprocs = t->nprocs;
    s->procs = calloc(np + 1, sizeof *s->procs);
    s->funcs = calloc(MKT_F_COUNT, sizeof *s->funcs);
    s->msg_count = calloc(np * np + 1, sizeof *s->msg_count);
    s->msg_bytes = calloc(np * np + 1, sizeof *s->msg_bytes);
    if (s->procs == NULL || s->funcs == NULL || s->msg_count == NULL || s->msg_bytes == NULL) {
        mkt_stats_free(s);
        return -1;
    }
    for (int f = 0; f < MKT_F_COUNT; f++)
        s->funcs[f].func = f;
    int64_t *mpi_ns = calloc(np + 1, sizeof *mpi_ns);
    if (mpi_ns == NULL) {
        mkt_stats_free(s);
        return -1;
    }
    /* time in MPI: the union of the calls' intervals (threads may call MPI at once) */
    int64_t run_a = 0, run_b = 0;
    int run_pid = -1;
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *sl = &t->slices[i];
        const mkt_process *p = &t->procs[sl->pid];
        mkt_func_stats *f = &s->funcs[sl->func];
        mkt_kind kind = mkt_func_kind(sl->func);
        f->calls++;
        f->seconds += seconds(sl->t1 - sl->t0);
        if (kind != MKT_K_PROBE) {   /* a probe's bytes are the message it saw, not moved */
            f->bytes_sent += (uint64_t)sl->sbytes;
            f->bytes_recv += (uint64_t)sl->rbytes;
        }
        if (kind == MKT_K_INIT)
            continue;
        mkt_proc_stats *ps = &s->procs[sl->pid];
        ps->calls++;
        if (kind != MKT_K_PROBE && kind != MKT_K_IO) { /* messages only: a probe moves no data */
            ps->bytes_sent += (uint64_t)sl->sbytes;
            ps->bytes_recv += (uint64_t)sl->rbytes;
        }
        int64_t a = sl->t0 > p->t_init ? sl->t0 : p->t_init, b = sl->t1 < p->t_final ? sl->t1 : p->t_final;
        if (b <= a)
            continue;
        if (sl->pid != run_pid || a > run_b) { /* slices come sorted by (pid, t0) */
            if (run_pid >= 0)
                mpi_ns[run_pid] += run_b - run_a;
            run_pid = sl->pid;
            run_a = a;
            run_b = b;
        } else if (b > run_b) {
            run_b = b;
        }
    }
    if (run_pid >= 0)
        mpi_ns[run_pid] += run_b - run_a;
    for (int p = 0; p < t->nprocs; p++) {
        mkt_proc_stats *ps = &s->procs[p];
        ps->pid = p;
        int64_t wall = t->procs[p].t_final - t->procs[p].t_init;
        ps->wall = seconds(wall > 0 ? wall : 0);
        ps->mpi = seconds(mpi_ns[p]);
        ps->compute = ps->wall > ps->mpi ? ps->wall - ps->mpi : 0;
    }
    free(mpi_ns);
    for (size_t i = 0; i < t->nflows; i++) {
        const mkt_flow *fl = &t->flows[i];
        if (fl->kind != MKT_FLOW_MSG)
            continue;
        size_t from = (size_t)t->slices[fl->from].pid, to = (size_t)t->slices[fl->to].pid;
        s->msg_count[from * np + to]++;
        s->msg_bytes[from * np + to] += (uint64_t)fl->bytes;
        s->procs[from].messages_sent++;
    }
    qsort(s->funcs, MKT_F_COUNT, sizeof *s->funcs, cmp_func);
    int kept = 0; /* the functions called, still most time first */
    for (int f = 0; f < MKT_F_COUNT; f++)
        if (s->funcs[f].calls > 0)
            s->funcs[kept++] = s->funcs[f];
    s->nfuncs = kept;
    imbalance(s, t);
    return 0;
}

void mkt_stats_free(mkt_stats *s)
{
    free(s->procs);
    free(s->funcs);
    free(s->msg_count);
    free(s->msg_bytes);
    memset(s, 0, sizeof *s);
}

static const char *bytes_text(uint64_t b, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 " B", b);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

static void clock_line(FILE *out, const mkt_trace *t)
{
    char err[32];
    if (t->nhosts <= 1)
        fprintf(out, "clocks:  one host: every process read the same clock (exact)\n");
    else
        fprintf(out, "clocks:  %d hosts, aligned at MPI_Init and MPI_Finalize within %s\n", t->nhosts,
                mkt_format_ns(t->clock_error, err, sizeof err));
    if (t->backward_flows > 0)
        fprintf(out, "         %zu arrows point back in time: the clocks disagree by more than a message takes\n",
                t->backward_flows);
}

static void text_processes(FILE *out, const mkt_trace *t, const mkt_stats *s)
{
    char name[160], a[32], b[32], c[32], d[32], e[32];
    fprintf(out, "\n%-22s %10s %10s %10s %6s %7s %8s %10s %10s\n", "process", "wall", "in MPI", "computing", "%MPI",
            "calls", "messages", "sent", "received");
    for (int p = 0; p < s->nprocs; p++) {
        const mkt_proc_stats *ps = &s->procs[p];
        fprintf(out, "%-22s %10s %10s %10s %5.1f%% %7" PRIu64 " %8" PRIu64 " %10s %10s\n",
                mkt_process_name(t, p, name, sizeof name), mkt_format_ns((int64_t)(ps->wall * 1e9), a, sizeof a),
                mkt_format_ns((int64_t)(ps->mpi * 1e9), b, sizeof b),
                mkt_format_ns((int64_t)(ps->compute * 1e9), c, sizeof c), ps->wall > 0 ? 100 * ps->mpi / ps->wall : 0,
                ps->calls, ps->messages_sent, bytes_text(ps->bytes_sent, d, sizeof d),
                bytes_text(ps->bytes_recv, e, sizeof e));
        if (t->procs[p].dropped > 0)
            fprintf(out, "%-22s (%" PRIu64 " calls past the buffer limit were not recorded)\n", "",
                    t->procs[p].dropped);
    }
}

static void text_functions(FILE *out, const mkt_stats *s)
{
    char a[32], b[32], c[32], d[32];
    fprintf(out, "\n%-26s %-12s %8s %10s %10s %10s %10s\n", "function", "kind", "calls", "time", "mean", "sent",
            "received");
    for (int f = 0; f < s->nfuncs; f++) {
        const mkt_func_stats *fs = &s->funcs[f];
        fprintf(out, "%-26s %-12s %8" PRIu64 " %10s %10s %10s %10s\n", mkt_func_name(fs->func),
                mkt_kind_name(mkt_func_kind(fs->func)), fs->calls,
                mkt_format_ns((int64_t)(fs->seconds * 1e9), a, sizeof a),
                mkt_format_ns((int64_t)(fs->seconds * 1e9 / (double)fs->calls), b, sizeof b),
                bytes_text(fs->bytes_sent, c, sizeof c), bytes_text(fs->bytes_recv, d, sizeof d));
    }
}

/* The functions' totals by kind of call (send, receive, collective, ...). */
static void text_kinds(FILE *out, const mkt_stats *s)
{
    mkt_func_stats kind[MKT_K_COUNT];
    memset(kind, 0, sizeof kind);
    for (int f = 0; f < s->nfuncs; f++) {
        mkt_func_stats *k = &kind[mkt_func_kind(s->funcs[f].func)];
        k->calls += s->funcs[f].calls;
        k->seconds += s->funcs[f].seconds;
        k->bytes_sent += s->funcs[f].bytes_sent;
        k->bytes_recv += s->funcs[f].bytes_recv;
    }
    char a[32], c[32], d[32];
    fprintf(out, "\n%-26s %8s %10s %10s %10s\n", "kind", "calls", "time", "sent", "received");
    for (int k = 0; k < MKT_K_COUNT; k++)
        if (kind[k].calls > 0)
            fprintf(out, "%-26s %8" PRIu64 " %10s %10s %10s\n", mkt_kind_name((mkt_kind)k), kind[k].calls,
                    mkt_format_ns((int64_t)(kind[k].seconds * 1e9), a, sizeof a),
                    bytes_text(kind[k].bytes_sent, c, sizeof c), bytes_text(kind[k].bytes_recv, d, sizeof d));
}

static void text_matrix(FILE *out, const mkt_trace *t, const mkt_stats *s)
{
    size_t np = (size_t)s->nprocs;
    uint64_t total = 0;
    for (size_t i = 0; i < np * np; i++)
        total += s->msg_count[i];
    if (total == 0) {
        fprintf(out, "\nmessages: none (point-to-point)\n");
        return;
    }
    fprintf(out, "\nmessages: count (bytes), row = sender, column = receiver\n%-10s", "from\\to");
    char name[160], b[32], cell[64];
    for (size_t j = 0; j < np; j++)
        fprintf(out, " %16s",
                t->procs[j].group == 0 ? (snprintf(name, sizeof name, "%d", t->procs[j].rank), name)
                                       : mkt_process_name(t, (int)j, name, sizeof name));
    fputc('\n', out);
    for (size_t i = 0; i < np; i++) {
        fprintf(out, "%-10s",
                t->procs[i].group == 0 ? (snprintf(name, sizeof name, "%d", t->procs[i].rank), name)
                                       : mkt_process_name(t, (int)i, name, sizeof name));
        for (size_t j = 0; j < np; j++) {
            uint64_t n = s->msg_count[i * np + j];
            if (n == 0)
                snprintf(cell, sizeof cell, "-");
            else
                snprintf(cell, sizeof cell, "%" PRIu64 " (%s)", n, bytes_text(s->msg_bytes[i * np + j], b, sizeof b));
            fprintf(out, " %16s", cell);
        }
        fputc('\n', out);
    }
}

int mkt_write_summary_text(FILE *out, const mkt_trace *t, const mkt_stats *s)
{
    char span[32], a[32], b[32];
    fprintf(out, "mktrace summary: %s\n%d process%s", t->command, t->nprocs, t->nprocs == 1 ? "" : "es");
    if (t->ngroups > 1)
        fprintf(out, " (%d launched, %d spawned)", t->groups[0].size, t->nprocs - t->groups[0].size);
    fprintf(out, "\nwindow:  %s from the first MPI_Init to the last MPI_Finalize\n",
            mkt_format_ns(t->t_end - t->t_begin, span, sizeof span));
    clock_line(out, t);
    text_processes(out, t, s);
    fprintf(out, "\ntime in MPI: %.1f%% of all processes' time\n", 100 * s->mpi_fraction);
    fprintf(out, "load imbalance: %.1f%% (computing time of the launched ranks: max %s, mean %s)\n", 100 * s->imbalance,
            mkt_format_ns((int64_t)(s->compute_max * 1e9), a, sizeof a),
            mkt_format_ns((int64_t)(s->compute_mean * 1e9), b, sizeof b));
    text_kinds(out, s);
    text_functions(out, s);
    text_matrix(out, t, s);
    if (t->unmatched_sends + t->unmatched_recvs > 0)
        fprintf(out, "\nunmatched: %zu sends, %zu receives (calls lost past the buffer limit, or never completed)\n",
                t->unmatched_sends, t->unmatched_recvs);
    return ferror(out) ? -1 : 0;
}

/* ---- CSV: one table per file, as pandas.read_csv loads it ---- */

static void csv_text(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int mkt_write_summary_csv(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    char name[160];
    if (strcmp(table, "processes") == 0) {
        fputs("pid,process,group,rank,host,wall_s,mpi_s,compute_s,calls,messages_sent,bytes_sent,bytes_received\n",
              out);
        for (int p = 0; p < s->nprocs; p++) {
            const mkt_proc_stats *ps = &s->procs[p];
            fprintf(out, "%d,", p);
            csv_text(out, mkt_process_name(t, p, name, sizeof name));
            fputc(',', out);
            csv_text(out, t->groups[t->procs[p].group].label);
            fprintf(out, ",%d,", t->procs[p].rank);
            csv_text(out, t->procs[p].host);
            fprintf(out, ",%.9g,%.9g,%.9g,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", ps->wall, ps->mpi,
                    ps->compute, ps->calls, ps->messages_sent, ps->bytes_sent, ps->bytes_recv);
        }
    } else if (strcmp(table, "functions") == 0) {
        fputs("function,kind,calls,seconds,bytes_sent,bytes_received\n", out);
        for (int f = 0; f < s->nfuncs; f++) {
            const mkt_func_stats *fs = &s->funcs[f];
            fprintf(out, "%s,", mkt_func_name(fs->func));
            csv_text(out, mkt_kind_name(mkt_func_kind(fs->func)));
            fprintf(out, ",%" PRIu64 ",%.9g,%" PRIu64 ",%" PRIu64 "\n", fs->calls, fs->seconds, fs->bytes_sent,
                    fs->bytes_recv);
        }
    } else if (strcmp(table, "messages") == 0) {
        fputs("from,to,messages,bytes\n", out);
        size_t np = (size_t)s->nprocs;
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < np; j++)
                if (s->msg_count[i * np + j] > 0)
                    fprintf(out, "%zu,%zu,%" PRIu64 ",%" PRIu64 "\n", i, j, s->msg_count[i * np + j],
                            s->msg_bytes[i * np + j]);
    } else {
        return -1;
    }
    return ferror(out) ? -1 : 0;
}

/* ---- JSON: one document ---- */

static void json_text(FILE *out, const char *s)
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

static void json_processes(FILE *out, const mkt_trace *t, const mkt_stats *s)
{
    char name[160];
    fputs("\"processes\":[", out);
    for (int p = 0; p < s->nprocs; p++) {
        const mkt_proc_stats *ps = &s->procs[p];
        fprintf(out, "%s\n {\"pid\":%d,\"process\":", p > 0 ? "," : "", p);
        json_text(out, mkt_process_name(t, p, name, sizeof name));
        fputs(",\"group\":", out);
        json_text(out, t->groups[t->procs[p].group].label);
        fprintf(out, ",\"rank\":%d,\"host\":", t->procs[p].rank);
        json_text(out, t->procs[p].host);
        fprintf(out,
                ",\"wall_s\":%.9g,\"mpi_s\":%.9g,\"compute_s\":%.9g,\"calls\":%" PRIu64 ",\"messages_sent\":%" PRIu64
                ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64 ",\"dropped_calls\":%" PRIu64 "}",
                ps->wall, ps->mpi, ps->compute, ps->calls, ps->messages_sent, ps->bytes_sent, ps->bytes_recv,
                t->procs[p].dropped);
    }
    fputs("],\n", out);
}

int mkt_write_summary_json(FILE *out, const mkt_trace *t, const mkt_stats *s)
{
    fputs("{\"program\":", out);
    json_text(out, t->program);
    fputs(",\"command\":", out);
    json_text(out, t->command);
    fprintf(out,
            ",\"window_s\":%.9g,\"hosts\":%d,\"clock_error_s\":%.9g,\"mpi_fraction\":%.6g,"
            "\"load_imbalance\":%.6g,\"compute_max_s\":%.9g,\"compute_mean_s\":%.9g,"
            "\"unmatched_sends\":%zu,\"unmatched_receives\":%zu,\n",
            seconds(t->t_end - t->t_begin), t->nhosts, seconds(t->clock_error), s->mpi_fraction, s->imbalance,
            s->compute_max, s->compute_mean, t->unmatched_sends, t->unmatched_recvs);
    json_processes(out, t, s);
    fputs("\"functions\":[", out);
    for (int f = 0; f < s->nfuncs; f++) {
        const mkt_func_stats *fs = &s->funcs[f];
        fprintf(out, "%s\n {\"function\":\"%s\",\"kind\":", f > 0 ? "," : "", mkt_func_name(fs->func));
        json_text(out, mkt_kind_name(mkt_func_kind(fs->func)));
        fprintf(out,
                ",\"calls\":%" PRIu64 ",\"seconds\":%.9g,\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64 "}",
                fs->calls, fs->seconds, fs->bytes_sent, fs->bytes_recv);
    }
    fputs("],\n\"messages\":[", out);
    size_t np = (size_t)s->nprocs;
    int first = 1;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < np; j++)
            if (s->msg_count[i * np + j] > 0) {
                fprintf(out, "%s\n {\"from\":%zu,\"to\":%zu,\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                        first ? "" : ",", i, j, s->msg_count[i * np + j], s->msg_bytes[i * np + j]);
                first = 0;
            }
    fputs("]}\n", out);
    return ferror(out) ? -1 : 0;
}
