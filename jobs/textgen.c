/* textgen - write N bytes of deterministic English-like text to one file, split over MPI ranks.
 *
 *   usage: mpirun -n 4 textgen --bytes 1G -o corpus.txt [--seed S] [--vocab V] [--zipf S]
 *
 * The output is cut into 64 KiB pages; page p is a pure function of (seed, p), so any rank
 * can make any page and the file is byte-identical for every rank count:
 *
 *   pages      | p0 | p1 | p2 | p3 | p4 | p5 | p6 | p7 | p8 | p9 |p10|  64 KiB each, the last cut at N
 *   split      |    rank 0    |    rank 1    |    rank 2    | rank 3 |  mk_block_range
 *                     |              |              |           |
 *   generate   each rank fills up to 64 of its pages in memory
 *                     |              |              |           |
 *   write      MPI_File_write_at_all at byte p * 64 KiB, one batch per call; every
 *              rank makes the same number of calls (empty ones when it is done)
 *                     v              v              v           v
 *   file       |====================================================|  FILE.tmp-XXXXXXXX
 *                                          |
 *   commit     mk_err_agree: did every rank succeed? rank 0 renames the temporary
 *              file to FILE or deletes it: FILE is either complete or untouched
 *                                          |
 *   report     rank 0: bytes, pages, seconds, MB/s
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/outfile.h"
#include "mpikit/partition.h"
#include "mpikit/progress.h"
#include "mpikit/report.h"
#include "mpikit/rng.h"
#include "mpikit/textgen.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define TEXTGEN_TABLES "summary"

#define PAGE MK_TEXTGEN_PAGE_SIZE

/* Pages per write call: 4 MiB per rank is large enough for file-system throughput and
 * small enough that memory does not grow with the output size. */
enum { BATCH_PAGES = 64 };

typedef struct {
    const char *bytes_text;
    uint64_t bytes;
    const char *output;
    int64_t seed, vocab;
    double zipf;
    int progress, no_progress, format, table;
} options;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .seed = 1, .vocab = 20000, .zipf = 1.0};
    const mk_option opts[] = {
        {"bytes", 0, MK_OPT_STRING, &o->bytes_text, "N", "bytes to write (required; suffixes K, M, G, T; 0 allowed)",
         0, 0, 0, 0, NULL},
        {"output", 'o', MK_OPT_STRING, &o->output, "FILE", "the file to write (required; replaced when complete)",
         0, 0, 0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random seed: same seed, same text (default 1)", 0, INT64_MAX, 0,
         0, NULL},
        {"vocab", 0, MK_OPT_INT, &o->vocab, "V", "distinct words (default 20000)", 1, 10000000, 0, 0, NULL},
        {"zipf", 0, MK_OPT_DOUBLE, &o->zipf, "S", "Zipf exponent of word frequencies (default 1.0, English-like)",
         0, 0, 0.0, 10.0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "summary format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, TEXTGEN_TABLES),
        {"progress", 0, MK_OPT_FLAG, &o->progress, NULL, "show a progress bar on stderr even when not a terminal",
         0, 0, 0, 0, NULL},
        {"no-progress", 0, MK_OPT_FLAG, &o->no_progress, NULL, "never show the progress bar", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "textgen",
        .usage = "[options] --bytes N -o FILE",
        .summary = "Write N bytes of deterministic English-like text (Zipf-distributed words, sentences,\n"
                   "lines, paragraphs) to FILE, generated in parallel by the MPI ranks. The bytes depend\n"
                   "only on the options, never on the rank count.\n"
                   "Run it as: mpirun -n 4 textgen --bytes 1G -o corpus.txt",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    char **positional = NULL;
    int npositional = 0;
    int rc = mk_cli_parse(&cli, argc, argv, out, &positional, &npositional, err);
    free(positional);
    if (rc != MK_CLI_OK)
        return rc;
    if (mk_table_check_format(o->format, o->table, err) != 0)
        return MK_CLI_ERROR;
    if (o->bytes_text == NULL)
        return mk_err_set(err, MK_EXIT_USAGE, "--bytes is required");
    /* Offsets are MPI_Offset (signed 64-bit); half of that range is still 4 EiB. */
    if (mk_parse_size(o->bytes_text, &o->bytes) != 0 || o->bytes > (uint64_t)INT64_MAX / 2)
        return mk_err_set(err, MK_EXIT_USAGE, "--bytes: invalid size '%s' (e.g. 1000000, 64M, 1G)",
                          o->bytes_text);
    if (o->output == NULL || o->output[0] == '\0')
        return mk_err_set(err, MK_EXIT_USAGE, "-o/--output FILE is required");
    return MK_CLI_OK;
}

static int mpi_error(mk_err *err, int rc, const char *what, const char *path)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", rc);
    return mk_err_set(err, MK_EXIT_FAILURE, "%s '%s': %s", what, path, text);
}

/* The output is written under a temporary name beside FILE (same directory, so the final
 * rename is atomic) and only renamed once complete. */
typedef struct {
    char tmp[4096];
    MPI_File fh;
    int created;    /* rank 0: this run created tmp, so it may delete it */
} output_file;

/* Claim the disk space up front. Open MPI's OMPIO (4.1) reports success for collective
 * writes that hit ENOSPC, so a full disk would otherwise yield a short or holed file;
 * with the blocks reserved the writes cannot run out of space. Best effort: file systems
 * without fallocate are left to the size check in output_commit. */
static int reserve_space(const char *tmp, const char *path, uint64_t bytes, mk_err *err)
{
    if (bytes == 0)
        return 0;
    int fd = open(tmp, O_WRONLY);
    if (fd < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", tmp, strerror(errno));
    int rc = fallocate(fd, 0, 0, (off_t)bytes) == 0 ? 0 : errno;
    close(fd);
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %" PRIu64 " bytes to '%s': %s", bytes, path,
                          strerror(rc));
    return 0;
}

/* Collective: rank 0 picks the temporary name and reserves its space, every rank opens it. */
static int output_open(const mk_job *job, const char *path, uint64_t bytes, output_file *of, mk_err *err)
{
    memset(of, 0, sizeof *of);
    of->fh = MPI_FILE_NULL;
    if (job->world_rank == 0 && mk_outfile_check_target(path, "output", err) == 0) {
        /* Unique enough across concurrent runs; MPI_MODE_EXCL catches the rest. */
        uint32_t tag = (uint32_t)mk_rng_u64((uint64_t)getpid(), (uint64_t)(mk_now() * 1e9));
        int n = snprintf(of->tmp, sizeof of->tmp, "%s.tmp-%08" PRIx32, path, tag);
        if (n < 0 || (size_t)n >= sizeof of->tmp)
            mk_err_set(err, MK_EXIT_FAILURE, "output path too long: '%s'", path);
    }
    MPI_Bcast(of->tmp, (int)sizeof of->tmp, MPI_CHAR, 0, job->comm);
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    int rc = MPI_File_open(job->comm, of->tmp, MPI_MODE_WRONLY | MPI_MODE_CREATE | MPI_MODE_EXCL,
                           MPI_INFO_NULL, &of->fh);
    if (rc != MPI_SUCCESS) {
        of->fh = MPI_FILE_NULL;
        mpi_error(err, rc, "cannot create", path);
    }
    of->created = job->world_rank == 0 && rc == MPI_SUCCESS;
    if (of->created)
        reserve_space(of->tmp, path, bytes, err);
    if (mk_err_agree(job->comm, err) != 0) {
        /* Open is collective and fails everywhere together; a handle left here is ours. */
        if (of->fh != MPI_FILE_NULL)
            MPI_File_close(&of->fh);
        if (of->created)
            unlink(of->tmp);
        return -1;
    }
    return 0;
}

/* Collective: close, check, agree, and rank 0 renames or deletes: FILE is whole or untouched. */
static int output_commit(const mk_job *job, const char *path, uint64_t bytes, output_file *of, mk_err *err)
{
    int rc = MPI_File_close(&of->fh);
    if (rc != MPI_SUCCESS && err->code == 0)
        mpi_error(err, rc, "cannot write", path);
    /* The write calls' own verdict is not trusted alone (see reserve_space). */
    struct stat st;
    if (job->world_rank == 0 && err->code == 0) {
        if (stat(of->tmp, &st) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
        else if ((uint64_t)st.st_size != bytes)
            mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': the file has %jd of %" PRIu64 " bytes", path,
                       (intmax_t)st.st_size, bytes);
    }
    mk_err_agree(job->comm, err);
    if (job->world_rank == 0 && err->code == 0 && rename(of->tmp, path) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "cannot rename '%s' to '%s': %s", of->tmp, path, strerror(errno));
    if (mk_err_agree(job->comm, err) != 0) {
        if (of->created)
            unlink(of->tmp);
        return -1;
    }
    return 0;
}

/* Bytes of page p that belong to an output of `total` bytes. */
static size_t page_bytes(uint64_t page, uint64_t total)
{
    uint64_t start = page * PAGE;
    return total - start < PAGE ? (size_t)(total - start) : PAGE;
}

/* Generate this rank's pages and write them, batch by batch. Collective: every rank makes
 * `rounds` write calls, the same count everywhere, whatever its share. After a local error
 * the rank keeps making empty calls so the others are not left waiting. */
static void generate_and_write(const mk_job *job, const options *o, const mk_textgen *g, MPI_File fh,
                               unsigned char *buf, mk_err *err)
{
    uint64_t npages = (o->bytes + PAGE - 1) / PAGE;
    mk_range mine = mk_block_range(npages, job->world_size, job->world_rank);
    /* The first parts of a block split are the largest. */
    uint64_t most = mk_block_range(npages, job->world_size, 0).count;
    uint64_t rounds = (most + BATCH_PAGES - 1) / BATCH_PAGES;

    mk_progress bar;
    mk_progress_begin(&bar, mk_progress_wanted(o->progress, o->no_progress, job->world_rank) ? stderr : NULL,
                      "textgen", "B", o->bytes);
    for (uint64_t r = 0; r < rounds; r++) {
        uint64_t first = mine.start + r * BATCH_PAGES, count = 0;
        if (err->code == 0 && r * BATCH_PAGES < mine.count)
            count = mine.count - r * BATCH_PAGES < BATCH_PAGES ? mine.count - r * BATCH_PAGES : BATCH_PAGES;
        size_t len = 0;
        for (uint64_t i = 0; i < count; i++) {
            mk_textgen_page(g, first + i, buf + i * PAGE, PAGE);
            len += page_bytes(first + i, o->bytes);
        }
        MPI_Status status;
        int rc = MPI_File_write_at_all(fh, (MPI_Offset)first * (MPI_Offset)PAGE, buf, (int)len, MPI_BYTE, &status);
        int written = 0;
        if (rc == MPI_SUCCESS)
            rc = MPI_Get_count(&status, MPI_BYTE, &written);
        if (err->code == 0 && rc != MPI_SUCCESS)
            mpi_error(err, rc, "cannot write", o->output);
        else if (err->code == 0 && (size_t)written != len)
            mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': short write (%d of %zu bytes)", o->output,
                       written, len);
        /* Rank 0 sees only its own share; the shares are equal, so its fraction is the job's. */
        if (mine.count > 0) {
            uint64_t done = r * BATCH_PAGES + count;
            mk_progress_set(&bar, (uint64_t)((double)o->bytes * (double)done / (double)mine.count));
        }
    }
    mk_progress_set(&bar, o->bytes);
    mk_progress_end(&bar);
}

static void report(const mk_job *job, const options *o, double seconds)
{
    FILE *out = mk_job_out(job);
    if (out == NULL)
        return;
    const char *cols[] = {"ranks", "bytes", "pages", "seconds", "MB_s"};
    mk_table *t = mk_table_new("summary", "textgen", 5, cols);
    if (t == NULL)
        return;
    mk_table_i64(t, job->world_size);
    mk_table_u64(t, o->bytes);
    mk_table_u64(t, (o->bytes + PAGE - 1) / PAGE);
    mk_table_f64(t, "%.3f", seconds);
    mk_table_f64(t, "%.1f", seconds > 0 ? (double)o->bytes / 1e6 / seconds : 0.0);
    (void)mk_report_print(out, &t, 1, (mk_format)o->format, TEXTGEN_TABLES, o->table);
    mk_table_free(t);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "textgen", &argc, &argv);
    mk_err err;
    mk_err_clear(&err);

    /* parse: every rank parses the same argv, so all reach the same verdict */
    options o;
    int rc = parse_options(argc, argv, mk_job_out(&job), &o, &err);
    mk_job_parsed(&job, rc, &err);
    double t_start = mk_now();

    /* set up: every rank builds the same vocabulary from the seed */
    mk_textgen *g = mk_textgen_new((uint64_t)o.seed, (size_t)o.vocab, o.zipf);
    unsigned char *buf = malloc((size_t)BATCH_PAGES * PAGE);
    if (g == NULL || buf == NULL)
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory (--vocab %" PRId64 ")", o.vocab);
    output_file of;
    if (mk_err_agree(job.comm, &err) != 0 || output_open(&job, o.output, o.bytes, &of, &err) != 0) {
        mk_textgen_free(g);
        free(buf);
        mk_job_exit_error(&job, &err);
    }

    /* split, generate, write */
    generate_and_write(&job, &o, g, of.fh, buf, &err);
    mk_textgen_free(g);
    free(buf);

    /* commit: all ranks succeeded, or the temporary file goes */
    if (output_commit(&job, o.output, o.bytes, &of, &err) != 0)
        mk_job_exit_error(&job, &err);

    report(&job, &o, mk_now() - t_start);
    mk_job_end(&job);
}
