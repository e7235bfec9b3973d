/* hello - who am I? One record per rank, gathered to rank 0 and printed in rank order
 * (the MPI version of printing os.getpid() from every multiprocessing.Process).
 *
 *   usage: mpirun -n N hello [--thread LEVEL] [--format text|csv|json]
 *
 *   rank 0        rank 1        rank 2         ...   each fills one fixed-size record:
 *   [record]      [record]      [record]             rank, size, host, pid, ppid,
 *      |             |             |                 CPU affinity, MPI library, thread level
 *      +-------------+-------------+--- MPI_Gather (bytes) ---+
 *                                                             v
 *   rank 0:   table, one row per rank in rank order (never interleaved output)
 *
 * MPI is started with MPI_Init_thread(--thread); the row shows what the library provided.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define HELLO_TABLES "ranks"

#define THREAD_CHOICES "single|funneled|serialized|multiple"

typedef struct {
    int thread;   /* index into THREAD_CHOICES, which is the MPI_THREAD_* order */
    int format, table;
} options;

/* One rank's record: plain bytes, so it travels as MPI_BYTE. */
typedef struct {
    int rank, size;
    long pid, ppid;
    int provided;
    char host[64];
    char affinity[128];
    char library[128];
} record;

static const char *thread_name(int level)
{
    switch (level) {
    case MPI_THREAD_SINGLE: return "single";
    case MPI_THREAD_FUNNELED: return "funneled";
    case MPI_THREAD_SERIALIZED: return "serialized";
    case MPI_THREAD_MULTIPLE: return "multiple";
    default: return "unknown";
    }
}

static int level_of_choice(int choice)
{
    static const int levels[] = {MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED, MPI_THREAD_SERIALIZED,
                                 MPI_THREAD_MULTIPLE};
    return levels[choice];
}

/* The CPUs in the set as ranges, "0-3,6,8-9"; "?" when unknown. */
static void format_affinity(char *buf, size_t len)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        snprintf(buf, len, "?");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        int last = cpu;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
            last++;
        int n = last == cpu ? snprintf(buf + used, len - used, "%s%d", used ? "," : "", cpu)
                            : snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", cpu, last);
        if (n < 0 || (size_t)n >= len - used) {
            snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
            return;
        }
        used += (size_t)n;
        cpu = last;
    }
}

static void fill_record(const mk_job *job, int provided, record *r)
{
    memset(r, 0, sizeof *r);
    r->rank = job->world_rank;
    r->size = job->world_size;
    r->pid = (long)getpid();
    r->ppid = (long)getppid();
    r->provided = provided;
    if (gethostname(r->host, sizeof r->host - 1) != 0)
        snprintf(r->host, sizeof r->host, "?");
    format_affinity(r->affinity, sizeof r->affinity);
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len);
    lib[len < MPI_MAX_LIBRARY_VERSION_STRING ? len : MPI_MAX_LIBRARY_VERSION_STRING - 1] = '\0';
    lib[strcspn(lib, "\r\n")] = '\0';  /* first line only */
    /* Open MPI appends ", package: ..., ident: ..., repo rev: ..., date"; keep the name and version. */
    char *comma = strchr(lib, ',');
    if (comma != NULL)
        *comma = '\0';
    snprintf(r->library, sizeof r->library, "%.*s", (int)sizeof r->library - 1, lib);
}

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .thread = 0, .format = MK_FMT_TEXT};
    const mk_option opts[] = {
        {"thread", 0, MK_OPT_CHOICE, &o->thread, "LEVEL",
         "thread level requested from MPI_Init_thread: single (default), funneled, serialized, multiple", 0, 0, 0,
         0, THREAD_CHOICES},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, HELLO_TABLES),
    };
    const mk_cli cli = {
        .prog = "hello",
        .usage = "[options]",
        .summary = "Every rank reports rank, size, hostname, pid, parent pid, CPU affinity, the MPI library\n"
                   "and the thread level MPI_Init_thread provided; rank 0 prints them in rank order.\n"
                   "Run it as: mpirun -n 4 hello --format json",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && mk_table_check_format(o->format, o->table, err) != 0)
        return MK_CLI_ERROR;
    return rc;
}

/* The --thread option must be known before MPI starts: a first look at argv, no messages.
 * Bad values are reported by the full parse after MPI_Init_thread. */
static int requested_level(int argc, char **argv)
{
    static const char *names[] = {"single", "funneled", "serialized", "multiple"};
    const char *v = mk_cli_peek(argc, argv, "thread");
    for (int k = 0; v != NULL && k < 4; k++)
        if (strcmp(v, names[k]) == 0)
            return level_of_choice(k);
    return MPI_THREAD_SINGLE;
}

int main(int argc, char **argv)
{
    mk_job job;
    int required = requested_level(argc, argv), provided = MPI_THREAD_SINGLE;
    mk_job_begin_thread(&job, "hello", &argc, &argv, required, &provided);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);

    /* fill: each rank describes itself */
    record mine;
    fill_record(&job, provided, &mine);

    /* gather: fixed-size records, so one MPI_Gather of bytes; rank 0 owns the table */
    record *all = NULL;
    if (job.world_rank == 0 && (all = calloc((size_t)job.world_size, sizeof *all)) == NULL)
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    if (MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0, job.comm) !=
        MPI_SUCCESS)
        mk_err_set(&err, MK_EXIT_FAILURE, "MPI_Gather of the records failed");
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);

    /* print: rank order, one row per rank */
    if (out != NULL) {
        const char *cols[] = {"rank", "size", "host", "pid", "ppid", "cpus", "thread_requested",
                              "thread_provided", "mpi_library"};
        mk_table *t = mk_table_new("ranks", "hello from every rank", 9, cols);
        for (int i = 0; i < job.world_size; i++) {
            const record *r = &all[i];
            mk_table_i64(t, r->rank);
            mk_table_i64(t, r->size);
            mk_table_str(t, r->host);
            mk_table_i64(t, r->pid);
            mk_table_i64(t, r->ppid);
            mk_table_str(t, r->affinity);
            mk_table_str(t, thread_name(required));
            mk_table_str(t, thread_name(r->provided));
            mk_table_str(t, r->library);
        }
        (void)mk_report_print(out, &t, 1, (mk_format)o.format, HELLO_TABLES, o.table);
        mk_table_free(t);
    }
    free(all);
    mk_job_end(&job);
}
