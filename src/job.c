/* job.c - the life of a job: MPI start-up, launch self-check, agreed exit. */
#define MK_JOB_IMPL /* the real mk_job_out, not the analyzer's view of it in job.h */
#include "mpikit/job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mpikit/cli.h"
#include "mpikit/timing.h"

int mk_check_launch(int world_size, mk_err *err)
{
    const char *ntasks = getenv("SLURM_NTASKS");
    /* Only a direct srun launch is checked. Ranks that mpirun started inside an allocation
     * inherit the environment of mpirun's daemon step (SLURM_NTASKS=1 per node) and carry
     * OMPI_MCA_orte_hnp_uri; their world is mpirun's business. */
    const char *step = getenv("SLURM_STEP_ID");
    if (ntasks == NULL || step == NULL || getenv("OMPI_MCA_orte_hnp_uri") != NULL ||
        getenv("MPIKIT_SKIP_LAUNCH_CHECK") != NULL)
        return 0;
    char *end;
    errno = 0;
    long expected = strtol(ntasks, &end, 10);
    if (errno != 0 || *end != '\0' || expected <= 0)
        return 0;
    if (expected != world_size)
        return mk_err_set(err, MK_EXIT_FAILURE,
                          "launch mismatch: MPI world size is %d but SLURM_NTASKS is %ld; "
                          "srun started separate singletons (with Open MPI use 'srun --mpi=pmix')",
                          world_size, expected);
    return 0;
}

/* Open MPI 4.1's sharedfp/lockedfile component formats the file's path into a fixed buffer
 * while MPI_File_open merely asks whether it could serve the file: any path of 245 bytes or
 * more aborts the process ("buffer overflow detected"), HDF5 files included. mpikit never uses
 * shared file pointers, so the component is left out before MPI_Init reads its parameters
 * (measured: 300- and 1050-byte paths then work at 2 and 3 ranks). A setting the user made
 * (OMPI_MCA_sharedfp in the environment) is kept. */
static void avoid_lockedfile_sharedfp(void)
{
    setenv("OMPI_MCA_sharedfp", "^lockedfile", 0);
}

/* required < 0: plain MPI_Init. */
static void begin(mk_job *job, const char *prog, int *argc, char ***argv, int required, int *provided)
{
    memset(job, 0, sizeof *job);
    job->prog = prog;
    double t0 = mk_now();
    avoid_lockedfile_sharedfp();
    if (required < 0)
        MPI_Init(argc, argv);
    else
        MPI_Init_thread(argc, argv, required, provided);
    job->init_seconds = mk_now() - t0;
    job->comm = MPI_COMM_WORLD;
    MPI_Comm_rank(job->comm, &job->world_rank);
    MPI_Comm_size(job->comm, &job->world_size);
    /* Errors come back as codes so every failure path can be agreed on and reported once. */
    MPI_Comm_set_errhandler(job->comm, MPI_ERRORS_RETURN);
    MPI_File_set_errhandler(MPI_FILE_NULL, MPI_ERRORS_RETURN);
    mk_err err;
    mk_err_clear(&err);
    mk_check_launch(job->world_size, &err);
    /* Every singleton sees the same mismatch, so no agreement round is needed (or possible). */
    if (err.code != 0) {
        fprintf(stderr, "%s: error: %s\n", prog, err.msg);
        MPI_Finalize();
        exit(err.code);
    }
    job->started = mk_now();
}

void mk_job_begin(mk_job *job, const char *prog, int *argc, char ***argv)
{
    begin(job, prog, argc, argv, -1, NULL);
}

void mk_job_begin_thread(mk_job *job, const char *prog, int *argc, char ***argv, int required, int *provided)
{
    begin(job, prog, argc, argv, required, provided);
}

FILE *mk_job_out(const mk_job *job)
{
    return job->world_rank == 0 ? stdout : NULL;
}

/* Length of the valid UTF-8 sequence at s (2 to 4 bytes), or 0. */
static int utf8_length(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    if (s[0] > 0xf4)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Messages quote file names, and a file name may hold any byte but '/' and NUL: print
 * control characters and invalid UTF-8 as escapes, so the error stays one readable line. */
static void print_message(FILE *f, const char *msg)
{
    const unsigned char *s = (const unsigned char *)msg;
    while (*s != '\0') {
        int n = *s >= 0x80 ? utf8_length(s) : 0;
        if (n > 0) {
            fwrite(s, 1, (size_t)n, f);
            s += n;
            continue;
        }
        if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\r')
            fputs("\\r", f);
        else if (*s < 0x20 || *s >= 0x7f)
            fprintf(f, "\\x%02x", *s);
        else
            fputc(*s, f);
        s++;
    }
}

void mk_job_exit_error(const mk_job *job, const mk_err *err)
{
    if (job->world_rank == 0) {
        fflush(stdout);
        fprintf(stderr, "%s: error: ", job->prog);
        print_message(stderr, err->msg);
        fputc('\n', stderr);
        if (err->code == MK_EXIT_USAGE)
            fprintf(stderr, "Try '%s --help' for more information.\n", job->prog);
    }
    MPI_Finalize();
    exit(err->code != 0 ? err->code : MK_EXIT_FAILURE);
}

void mk_job_end(const mk_job *job)
{
    (void)job;
    fflush(stdout);
    MPI_Finalize();
    exit(MK_EXIT_OK);
}

void mk_job_parsed(const mk_job *job, int parse_rc, mk_err *err)
{
    if (parse_rc == MK_CLI_EXIT) /* --help or --version: every rank has the same argv */
        mk_job_end(job);
    /* A parse may also read the file system (an output that is also an input), where ranks can
     * see different things: the verdict is agreed, so every rank goes on or none does. */
    if (mk_err_agree(job->comm, err) != 0 || parse_rc != MK_CLI_OK)
        mk_job_exit_error(job, err);
}
