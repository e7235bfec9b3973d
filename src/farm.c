/* farm.c - the task farm's mechanics: task lines shared by every rank, the task function that
 * runs one command (with retries) through the runner and journals it, and GNU parallel's joblog.
 *
 * A command that fails is a result, not an error of the map: the farm goes on (GNU parallel's
 * default, --halt never) and the job's exit status tells. Only a command that cannot be started
 * or recorded stops the map.
 */
#include "mpikit/farm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpikit/runner.h"

enum { FARM_CANNOT_RUN = 5, FARM_UNRECORDED = 4 };

void mk_farm_tasks_free(mk_farm_tasks *t)
{
    free(t->bytes);
    free(t->args);
    memset(t, 0, sizeof *t);
}

/* Rank 0: every line of fp into t->bytes, each ended by a NUL. */
static int read_lines(FILE *fp, const char *path, mk_farm_tasks *t, mk_err *err)
{
    char *line = NULL;
    size_t cap = 0, bcap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (memchr(line, '\0', (size_t)len) != NULL) {
            rc = mk_err_set(err, MK_EXIT_USAGE, "--tasks-file: %s:%llu: a NUL byte in the line", path,
                            (unsigned long long)lineno);
            break;
        }
        if (t->size + (uint64_t)len + 1 > bcap) {
            size_t want = bcap ? 2 * bcap : 4096;
            while (want < t->size + (uint64_t)len + 1)
                want *= 2;
            char *p = realloc(t->bytes, want);
            if (p == NULL) {
                rc = mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
                break;
            }
            t->bytes = p;
            bcap = want;
        }
        memcpy(t->bytes + t->size, line, (size_t)len + 1);
        t->size += (uint64_t)len + 1;
        t->n++;
    }
    if (rc == 0 && ferror(fp))
        rc = mk_err_set(err, MK_EXIT_FAILURE, "--tasks-file: cannot read '%s': %s", path, strerror(errno));
    free(line);
    return rc;
}

static int read_file_rank0(const char *path, mk_farm_tasks *t, mk_err *err)
{
    if (strcmp(path, "-") == 0)
        return read_lines(stdin, "stdin", t, err);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "--tasks-file: cannot open '%s': %s", path, strerror(errno));
    int rc = read_lines(fp, path, t, err);
    fclose(fp);
    return rc;
}

int mk_farm_read_tasks(MPI_Comm comm, const char *path, uint64_t count, mk_farm_tasks *t, mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    memset(t, 0, sizeof *t);
    if (path == NULL) {
        t->n = count;
        t->size = count;
        if ((t->bytes = calloc(count + 1, 1)) == NULL)   /* count empty strings */
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    } else if (rank == 0) {
        read_file_rank0(path, t, err);
    }
    if (mk_err_agree(comm, err) != 0)
        goto fail;
    if (path != NULL) {
        uint64_t head[2] = {t->n, t->size};
        MPI_Bcast(head, 2, MPI_UINT64_T, 0, comm);
        t->n = head[0];
        t->size = head[1];
        if (rank != 0 && (t->bytes = malloc(t->size + 1)) == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        if (mk_err_agree(comm, err) != 0)
            goto fail;
        /* in pieces: an int count per MPI call */
        for (uint64_t off = 0; off < t->size; off += 1u << 30) {
            uint64_t piece = t->size - off < (1u << 30) ? t->size - off : (1u << 30);
            MPI_Bcast(t->bytes + off, (int)piece, MPI_CHAR, 0, comm);
        }
    }
    if ((t->args = malloc((t->n + 1) * sizeof *t->args)) == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(comm, err) != 0)
        goto fail;
    char *p = t->bytes;
    for (uint64_t i = 0; i < t->n; i++) {
        t->args[i] = p;
        p += strlen(p) + 1;
    }
    return 0;
fail:
    mk_farm_tasks_free(t);
    return -1;
}

void mk_farm_ctx_init(mk_farm_ctx *c, int rank)
{
    memset(c, 0, sizeof *c);
    c->rank = rank;
    if (gethostname(c->host, sizeof c->host) != 0)
        strcpy(c->host, "localhost");
    c->host[sizeof c->host - 1] = '\0';
}

char *mk_farm_command(const mk_farm_ctx *c, uint64_t task)
{
    return mk_expand_command(c->command, c->tasks->args[task], task + 1, c->append_arg);
}

void mk_farm_print_commands(FILE *out, const mk_farm_ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        char *command = mk_farm_command(c, i);
        fprintf(out, "%s\n", command ? command : "");
        free(command);
    }
}

int mk_farm_succeeded(const mk_farm_result *r)
{
    return r->exitval == 0 && r->signal == 0;
}

int mk_farm_task(uint64_t j, void *result, void *ctx)
{
    mk_farm_ctx *c = ctx;
    uint64_t task = c->todo[j];
    char *command = mk_farm_command(c, task);
    if (command == NULL) {
        mk_err_set(&c->task_err, MK_EXIT_FAILURE, "out of memory");
        return FARM_CANNOT_RUN;
    }
    mk_farm_result r;
    memset(&r, 0, sizeof r);   /* the whole slot is journalled: no stray bytes */
    r.rank = c->rank;
    memcpy(r.host, c->host, sizeof r.host);
    mk_run_spec spec = {command, c->timeout, 1.0, NULL, NULL, c->stop};
    mk_run_status st;
    mk_err err;
    mk_err_clear(&err);
    int rc = 0;
    do {
        if (mk_run_command(&spec, &st, &err) != 0) {
            mk_err_set(&c->task_err, err.code, "task %llu: %s", (unsigned long long)task + 1, err.msg);
            rc = FARM_CANNOT_RUN;
            break;
        }
        r.attempts++;
    } while (!mk_run_succeeded(&st) && !st.interrupted && r.attempts <= c->retries);
    free(command);
    if (rc != 0 || st.interrupted)
        return rc;   /* interrupted: not finished, so not recorded; a resume runs it again */
    r.start = st.start;
    r.seconds = st.seconds;
    r.exitval = st.exitval;
    r.signal = st.signal;
    memcpy(result, &r, sizeof r);
    if (c->journal != NULL && mk_journal_add(c->journal, task, &r, &c->task_err) != 0)
        return FARM_UNRECORDED;
    return 0;
}

typedef struct {
    double end;
    uint64_t task;
} finish;

static int by_end(const void *a, const void *b)
{
    const finish *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->task > y->task) - (x->task < y->task);
}

int mk_farm_write_joblog(FILE *fp, const mk_farm_ctx *c, const mk_farm_result *results, uint64_t n, mk_err *err)
{
    finish *order = malloc((n + 1) * sizeof *order);
    if (order == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    for (uint64_t i = 0; i < n; i++)
        order[i] = (finish){results[i].start + results[i].seconds, i};
    qsort(order, n, sizeof *order, by_end);
    fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n", fp);
    int rc = 0;
    for (uint64_t k = 0; k < n && rc == 0; k++) {
        const mk_farm_result *r = &results[order[k].task];
        char *command = mk_farm_command(c, order[k].task);
        if (command == NULL) {
            rc = mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
            break;
        }
        fprintf(fp, "%llu\t%s\t%.3f\t%10.3f\t0\t0\t%d\t%d\t%s\n", (unsigned long long)order[k].task + 1, r->host,
                r->start, r->seconds, (int)r->exitval, (int)r->signal, command);
        free(command);
    }
    free(order);
    return rc;
}

uint64_t mk_farm_first_failure(const mk_farm_result *results, uint64_t n, uint64_t *nfailed)
{
    uint64_t first = n;
    *nfailed = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!mk_farm_succeeded(&results[i])) {
            if (first == n)
                first = i;
            (*nfailed)++;
        }
    }
    return first;
}
