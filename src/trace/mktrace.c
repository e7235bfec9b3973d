/* mktrace - run an MPI program with the tracer preloaded, so nobody spells LD_PRELOAD:
 *
 *     mpirun -n 4 mktrace -o DIR -- PROGRAM ARGS...
 *     srun --mpi=pmix mktrace -o DIR -- PROGRAM ARGS...
 *
 * Each rank's mktrace checks its arguments, puts libmpikit-trace.so (found beside mktrace,
 * in ../lib) in front of LD_PRELOAD, passes the options in MKTRACE_* variables and execs the
 * program: the process keeps its pid, its rank and its signals. At MPI_Finalize the tracer
 * writes DIR (see docs/tracing.md). Errors are one line from rank 0; every rank exits. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "trace.h"

#ifndef MKT_PRELOAD_FIRST
#define MKT_PRELOAD_FIRST "" /* a sanitizer runtime that must load before the tracer */
#endif

typedef struct {
    const char *dir, *child;
    int format;
    int64_t buffer, limit;
} options;

/* This process's rank as the launcher told it, or -1: errors print on rank 0 only. */
static int launch_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long rank = v != NULL ? strtol(v, &end, 10) : -1;
        if (v != NULL && v[0] != '\0' && *end == '\0')
            return (int)rank;
    }
    return -1;
}

static int quiet(void)
{
    return launch_rank() > 0;
}

static int fail(int code, const char *msg)
{
    if (!quiet()) {
        fprintf(stderr, "mktrace: error: %s\n", msg);
        if (code == MK_EXIT_USAGE)
            fprintf(stderr, "Try 'mktrace --help' for more information.\n");
    }
    return code;
}

/* Where the launcher's own arguments end: at "--", or at the first word that is neither an
 * option nor an option's value (the program). */
static int split_at(int argc, char **argv)
{
    static const char *const with_value[] = {"-o", "--output", "-f", "--format", "--buffer", "--limit", "--child"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-')
            return i;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (strcmp(argv[i], with_value[k]) == 0)
                i++;
    }
    return argc;
}

/* The tracing library: $MKTRACE_LIB, else ../lib/libmpikit-trace.so beside this program. */
static int find_library(char *lib, size_t len, char *self, size_t slen)
{
    ssize_t n = readlink("/proc/self/exe", self, slen - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    const char *env = getenv("MKTRACE_LIB");
    if (env != NULL && env[0] != '\0') {
        snprintf(lib, len, "%s", env);
    } else {
        char *slash = strrchr(self, '/');
        int dirlen = slash != NULL ? (int)(slash - self) : 0;
        snprintf(lib, len, "%.*s/../lib/libmpikit-trace.so", dirlen, self);
    }
    char real[PATH_MAX];
    if (realpath(lib, real) == NULL || access(real, R_OK) != 0)
        return -1;
    snprintf(lib, len, "%s", real);
    return 0;
}

/* DIR as an absolute path, so every rank (whatever its working directory) means the same. */
static int absolute(const char *dir, char *out, size_t len)
{
    char cwd[PATH_MAX];
    if (dir[0] == '/')
        return snprintf(out, len, "%s", dir) < (int)len ? 0 : -1;
    if (getcwd(cwd, sizeof cwd) == NULL)
        return -1;
    return snprintf(out, len, "%s/%s", cwd, dir) < (int)len ? 0 : -1;
}

static int set_environment(const options *o, const char *lib, const char *self, const char *dir)
{
    static const char *const formats[] = {"text", "csv", "json"};
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(MKT_PRELOAD_FIRST) + strlen(lib) + (old != NULL ? strlen(old) : 0) + 3;
    char *preload = malloc(n);
    if (preload == NULL)
        return -1;
    snprintf(preload, n, "%s%s%s%s%s", MKT_PRELOAD_FIRST, MKT_PRELOAD_FIRST[0] != '\0' ? ":" : "", lib,
             old != NULL && old[0] != '\0' ? ":" : "", old != NULL ? old : "");
    char buffer[32], limit[32];
    snprintf(buffer, sizeof buffer, "%lld", (long long)o->buffer);
    snprintf(limit, sizeof limit, "%lld", (long long)o->limit);
    int rc = setenv("LD_PRELOAD", preload, 1) | setenv("MKTRACE_LAUNCHER", self, 1) |
             setenv("MKTRACE_FORMAT", formats[o->format], 1) | setenv("MKTRACE_BUFFER", buffer, 1) |
             setenv("MKTRACE_LIMIT", limit, 1);
    if (o->child != NULL)
        rc |= setenv("MKTRACE_GROUP", o->child, 1);
    else
        rc |= unsetenv("MKTRACE_GROUP") | setenv("MKTRACE_DIR", dir, 1);
    free(preload);
    return rc;
}

int main(int argc, char **argv)
{
    options o = {NULL, NULL, 0, 8192, 1 << 20};
    const mk_option opts[] = {
        {"output", 'o', MK_OPT_STRING, &o.dir, "DIR", "write the trace here: trace.json, timeline.svg, summary.txt", 0,
         0, 0, 0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o.format, "FMT",
         "the summary also as csv (one table per file) or json (one document)", 0, 0, 0, 0, "text|csv|json"},
        {"buffer", 0, MK_OPT_INT, &o.buffer, "N", "calls kept in memory per process before a spill (8192)", 16,
         1 << 26, 0, 0, NULL},
        {"limit", 0, MK_OPT_INT, &o.limit, "N",
         "calls recorded per process at most (1048576); later ones are only counted", 1, INT64_C(1) << 40, 0, 0, NULL},
        {"child", 0, MK_OPT_STRING, &o.child, "LABEL", "(internal) the children of a traced MPI_Comm_spawn", 0, 0, 0, 0,
         NULL},
    };
    const mk_cli cli = {
        .prog = "mktrace",
        .usage = "-o DIR [options] -- PROGRAM [ARGS...]",
        .summary = "Run an MPI program with every MPI call traced (no change to the program). Start it under\n"
                   "mpirun or srun: mpirun -n 4 mktrace -o DIR -- PROGRAM ARGS. At MPI_Finalize DIR receives\n"
                   "trace.json (Perfetto, chrome://tracing), timeline.svg (one row per rank, arrows for\n"
                   "messages) and summary.txt (time in MPI, calls, bytes, message matrix, load imbalance).\n"
                   "A run that ends before MPI_Finalize (abort, crash) leaves no DIR. See docs/tracing.md.",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int split = split_at(argc, argv);
    int program = split < argc && strcmp(argv[split], "--") == 0 ? split + 1 : split;
    mk_err err;
    int rc = mk_cli_parse(&cli, split, argv, quiet() ? NULL : stdout, NULL, NULL, &err);
    if (rc == MK_CLI_EXIT)
        return 0;
    if (rc != MK_CLI_OK)
        return fail(err.code, err.msg);
    if (o.dir == NULL && o.child == NULL)
        return fail(MK_EXIT_USAGE, "missing -o DIR (where the trace goes)");
    if (program >= argc)
        return fail(MK_EXIT_USAGE, "missing the program to run: mktrace -o DIR -- PROGRAM [ARGS...]");
    char dir[PATH_MAX] = "", why[PATH_MAX + 200], msg[2 * PATH_MAX + 300], lib[PATH_MAX] = "", self[PATH_MAX];
    if (o.child == NULL) {
        if (o.dir[0] == '\0' || absolute(o.dir, dir, sizeof dir) != 0)
            return fail(MK_EXIT_FAILURE, "-o: not a usable path");
        if (mkt_output_check(dir, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "-o: %s", why);
            return fail(MK_EXIT_FAILURE, msg);
        }
    }
    if (find_library(lib, sizeof lib, self, sizeof self) != 0) {
        snprintf(msg, sizeof msg, "cannot find the tracing library (%s); set MKTRACE_LIB", lib);
        return fail(MK_EXIT_FAILURE, msg);
    }
    if (set_environment(&o, lib, self, dir) != 0)
        return fail(MK_EXIT_FAILURE, "cannot set the environment");
    execvp(argv[program], argv + program);
    int code = errno == ENOENT ? 127 : 126;
    snprintf(msg, sizeof msg, "cannot run '%s': %s", argv[program], strerror(errno));
    return fail(code, msg);
}
