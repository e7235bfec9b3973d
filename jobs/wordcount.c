/* wordcount - count lines, words and bytes like `LC_ALL=C wc`, and word frequencies,
 * over one or more text files split across MPI ranks.
 *
 *   usage: mpirun -n N wordcount [options] FILE...
 *
 * The files are one stream of bytes cut into N equal blocks (by bytes, not by file):
 *
 *   file bytes   |--------------- t8.shakespeare.txt ---------------|--- more.txt ---|
 *   split        |   rank 0     |    rank 1    |    rank 2    |    rank 3     |
 *                      |              |              |               |
 *   read+count   MPI_File_read_at_all in chunks (memory bounded by --chunk-size);
 *                wc counts + tokens (runs of letters) that START in the block
 *                      |              |              |               |
 *   carry        MPI_Exscan of the in-word state: did the block open inside a word?
 *                (a word may span ranks; neutral bytes make it depend on bytes far back)
 *                      |              |              |               |
 *   shuffle      MPI_Alltoallv: word w goes to the rank its hash picks  (MapReduce)
 *                  [a..]   [b..]        [c..]          [d..]     disjoint shards
 *                      \______________|______________/_______________/
 *   reduce       MPI_Reduce of per-file counts; MPI_Gatherv of each shard's top K
 *                                     v
 *   report       rank 0: wc block, top-K table, timings
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/checkpoint.h"
#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/fault.h"
#include "mpikit/h5.h"
#include "mpikit/job.h"
#include "mpikit/outfile.h"
#include "mpikit/partition.h"
#include "mpikit/progress.h"
#include "mpikit/report.h"
#include "mpikit/samefile.h"
#include "mpikit/stop.h"
#include "mpikit/textsplit.h"
#include "mpikit/timing.h"
#include "mpikit/wc.h"
#include "mpikit/wordtable.h"

/* The tables a run can make, for --table; the main result first. */
#define WORDCOUNT_TABLES "top|vocabulary|files|total|timing|summary"

enum { MODE_UNSET = -1, MODE_ALL, MODE_WC, MODE_WORDS };

typedef struct {
    int64_t top;
    uint64_t chunk_size;
    const char *counts_path;
    const char *checkpoint_path;
    int mode;
    int lines, words, bytes; /* -l, -w, -c: only these counts, as wc (they imply --mode wc) */
    int format, table;
    int timing, verbose, progress, no_progress;
    volatile sig_atomic_t *stop;   /* the stop notice's flag with --checkpoint, else NULL */
} options;

/* What one rank found in its blocks, and where its scan stands (all of it is what a
 * checkpoint saves). */
typedef struct {
    mk_wc_state piece;        /* the piece being read */
    int pieces, piece_mid_file, skip_leading;
    mk_wc_counts *per_file;   /* indexed by file */
    mk_wc_state first_piece;  /* the piece that opens this rank's block, before the carry fix */
    mk_wc_carry carry;        /* the block's effect on the in-word state */
    int first_file;           /* file of the first piece, -1 when the block is empty */
    int first_mid_file;       /* the first piece starts after offset 0 */
    mk_wordtable *words;
    uint64_t tokens;
    uint64_t bytes;
} rank_result;

/* --table names a table this run makes. */
static int table_check(const options *o, mk_err *err)
{
    const char *n = WORDCOUNT_TABLES;
    int t = o->table, words = o->mode != MODE_WC, wc = o->mode != MODE_WORDS;
    if (mk_table_check_format(o->format, t, err) != 0 ||
        mk_table_require(n, t, "top", words, "not made with --mode wc", err) != 0 ||
        mk_table_require(n, t, "top", o->top > 0, "not made with --top 0", err) != 0 ||
        mk_table_require(n, t, "vocabulary", words, "not made with --mode wc", err) != 0 ||
        mk_table_require(n, t, "files", wc, "not made with --mode words", err) != 0 ||
        mk_table_require(n, t, "total", wc, "not made with --mode words", err) != 0 ||
        mk_table_require(n, t, "timing", o->timing, "needs --timing", err) != 0 ||
        mk_table_require(n, t, "summary", o->timing, "needs --timing", err) != 0)
        return -1;
    return 0;
}

/* -l/-w/-c are wc's: they select counts and so mean --mode wc; with an explicit other mode
 * they are a contradiction, not something to drop silently. */
static int wc_selection_check(options *o, mk_err *err)
{
    if (!(o->lines || o->words || o->bytes)) {
        if (o->mode == MODE_UNSET)
            o->mode = MODE_ALL;
        return 0;
    }
    if (o->mode != MODE_WC && o->mode != MODE_UNSET)
        return mk_err_set(err, MK_EXIT_USAGE, "--lines/--words/--bytes (-l/-w/-c) select wc counts: not with --mode %s",
                          o->mode == MODE_ALL ? "all" : "words");
    if (o->counts_path != NULL)
        return mk_err_set(err, MK_EXIT_USAGE, "--counts needs word frequencies: not with -l/-w/-c");
    o->mode = MODE_WC;
    return 0;
}

/* '-' (standard input): the ranks read their blocks at offsets with MPI-IO, which a pipe
 * cannot serve; say so rather than "cannot open '-'". */
static int stdin_check(char **files, int nfiles, mk_err *err)
{
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i], "-") == 0)
            return mk_err_set(err, MK_EXIT_USAGE,
                              "'-': standard input cannot be split over ranks (each reads its block at an offset "
                              "with MPI-IO); save it to a file first, e.g. cat > in.txt");
    return 0;
}

static int parse_options(int argc, char **argv, FILE *out, options *o, char ***files, int *nfiles, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .top = 10, .chunk_size = 64u << 20, .mode = MODE_UNSET};
    const mk_option opts[] = {
        {"top", 'k', MK_OPT_INT, &o->top, "K", "show the K most frequent words (0: none; default 10)", 0, 1000000,
         0, 0, NULL},
        {"lines", 'l', MK_OPT_FLAG, &o->lines, NULL, "print the line counts (like wc -l; implies --mode wc)", 0, 0, 0,
         0, NULL},
        {"words", 'w', MK_OPT_FLAG, &o->words, NULL, "print the word counts (like wc -w; implies --mode wc)", 0, 0, 0,
         0, NULL},
        {"bytes", 'c', MK_OPT_FLAG, &o->bytes, NULL, "print the byte counts (like wc -c; implies --mode wc)", 0, 0, 0,
         0, NULL},
        {"counts", 0, MK_OPT_STRING, &o->counts_path, "FILE.csv",
         "write every word and its count, most frequent first (.h5: HDF5, in parallel)", 0, 0, 0, 0, NULL},
        {"chunk-size", 0, MK_OPT_SIZE, &o->chunk_size, "SIZE",
         "bytes read per rank per step (default 64M; bounds memory)", 1, 1 << 30, 0, 0, NULL},
        {"mode", 'm', MK_OPT_CHOICE, &o->mode, "MODE",
         "all (default), wc (lines/words/bytes only), words (frequencies only)", 0, 0, 0, 0, "all|wc|words"},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, WORDCOUNT_TABLES),
        {"timing", 't', MK_OPT_FLAG, &o->timing, NULL, "report per-phase times over ranks and MB/s", 0, 0, 0, 0,
         NULL},
        {"verbose", 'v', MK_OPT_FLAG, &o->verbose, NULL, "also print each rank's share, in rank order", 0, 0, 0,
         0, NULL},
        {"progress", 0, MK_OPT_FLAG, &o->progress, NULL, "show a progress bar on stderr even when not a terminal",
         0, 0, 0, 0, NULL},
        {"no-progress", 0, MK_OPT_FLAG, &o->no_progress, NULL, "never show the progress bar", 0, 0, 0, 0, NULL},
        {"checkpoint", 0, MK_OPT_STRING, &o->checkpoint_path, "FILE",
         "on SIGUSR1/SIGTERM/SIGINT save progress to FILE and exit 3; rerun to resume", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "wordcount",
        .usage = "[options] FILE...",
        .summary = "Count lines, words and bytes exactly as `LC_ALL=C wc` does, and word frequencies\n"
                   "(runs of ASCII letters, lowercased), with the files split over the MPI ranks.\n"
                   "Run it as: mpirun -n 4 wordcount t8.shakespeare.txt",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 1,
        .max_positional = -1,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, files, nfiles, err);
    if (rc == MK_CLI_OK && (wc_selection_check(o, err) != 0 || stdin_check(*files, *nfiles, err) != 0 ||
                            table_check(o, err) != 0)) {
        free(*files);
        *files = NULL;
        return MK_CLI_ERROR;
    }
    return rc;
}

/* --counts FILE.h5: every rank writes its shard (no gather), sorted, at its place in `count` and
 * in two datasets that store the words compactly: `word_bytes`, every word's bytes back to back,
 * and `word_offset` (distinct + 1 entries), so word i is word_bytes[word_offset[i] :
 * word_offset[i + 1]]. Fixed-length strings padded every word to the longest one (a single
 * 10,000-letter token made pg100's table 258 MB), and parallel HDF5 1.10 cannot write
 * variable-length strings. The totals become attributes. Temporary name, renamed when complete. */
static int write_counts_h5(const mk_job *job, const char *path, const mk_wordtable *shard, uint64_t tokens,
                           int argc, char **argv, mk_err *err)
{
    size_t n = 0;
    mk_word_count *w = mk_wordtable_sorted(shard, 0, &n);
    uint64_t mine[2] = {n, 0}, first[2] = {0, 0}, total[2] = {0, 0}; /* words, bytes */
    for (size_t i = 0; w != NULL && i < n; i++)
        mine[1] += w[i].len;
    MPI_Exscan(mine, first, 2, MPI_UINT64_T, MPI_SUM, job->comm);
    if (job->world_rank == 0)
        first[0] = first[1] = 0;
    MPI_Allreduce(mine, total, 2, MPI_UINT64_T, MPI_SUM, job->comm);
    MPI_Bcast(&tokens, 1, MPI_UINT64_T, 0, job->comm);
    /* the last rank also writes the end offset, word_offset[distinct] = total bytes */
    uint64_t noffsets = n + (job->world_rank == job->world_size - 1);
    char *bytes = mk_fault_hit("wordcount.alloc") ? NULL : malloc(mine[1] ? mine[1] : 1);
    uint64_t *offsets = malloc((n + 1) * sizeof *offsets), *counts = malloc((n ? n : 1) * sizeof *counts);
    if (w == NULL || bytes == NULL || offsets == NULL || counts == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for --counts");
    uint64_t pos = 0;
    for (size_t i = 0; err->code == 0 && i < n; i++) {
        offsets[i] = first[1] + pos;
        memcpy(bytes + pos, w[i].word, w[i].len);
        pos += w[i].len;
        counts[i] = w[i].count;
    }
    if (err->code == 0)
        offsets[n] = first[1] + pos;
    free(w);
    mk_h5 h;
    if (mk_err_agree(job->comm, err) != 0 || mk_h5_create(&h, job->comm, path, err) != 0) {
        free(bytes);
        free(offsets);
        free(counts);
        return -1;
    }
    hid_t db = -1, doff = -1, dc = -1;
    uint64_t dims_bytes[1] = {total[1]}, dims_offsets[1] = {total[0] + 1}, dims_words[1] = {total[0]};
    if (mk_h5_provenance(&h, "wordcount", argc, argv, err) == 0 &&
        mk_h5_attr_i64(&h, "/", "distinct", (int64_t)total[0], err) == 0 &&
        mk_h5_attr_i64(&h, "/", "tokens", (int64_t)tokens, err) == 0 &&
        mk_h5_attr_str(&h, "/", "layout", "word i = word_bytes[word_offset[i] : word_offset[i+1]], seen count[i] times",
                       err) == 0 &&
        mk_h5_dataset_create(&h, "/word_bytes", H5T_STD_U8LE, 1, dims_bytes, NULL, &db, err) == 0 &&
        mk_h5_dataset_create(&h, "/word_offset", H5T_STD_U64LE, 1, dims_offsets, NULL, &doff, err) == 0 &&
        mk_h5_dataset_create(&h, "/count", H5T_STD_U64LE, 1, dims_words, NULL, &dc, err) == 0 &&
        mk_h5_attr_str(&h, "/word_bytes", "description",
                       "the words' bytes back to back, each word a run of ASCII letters, lowercased", err) == 0 &&
        mk_h5_attr_str(&h, "/word_offset", "description",
                       "where word i starts in /word_bytes; the last entry is the total length", err) == 0 &&
        mk_h5_attr_str(&h, "/count", "description", "occurrences of word i", err) == 0 &&
        /* an empty dataset has no storage to write to (no words, or no letters at all) */
        (total[1] == 0 || mk_h5_write_rows(&h, db, H5T_NATIVE_UCHAR, first[1], mine[1], bytes, err) == 0) &&
        mk_h5_write_rows(&h, doff, H5T_NATIVE_UINT64, first[0], noffsets, offsets, err) == 0 && total[0] > 0)
        mk_h5_write_rows(&h, dc, H5T_NATIVE_UINT64, first[0], n, counts, err);
    hid_t sets[3] = {db, doff, dc};
    for (int i = 0; i < 3; i++)
        if (sets[i] >= 0)
            H5Dclose(sets[i]);
    free(bytes);
    free(offsets);
    free(counts);
    if (mk_err_agree(job->comm, err) != 0) {
        mk_h5_abandon(&h);
        return -1;
    }
    return mk_h5_commit(&h, "/count", err);
}

/* Feed the tokens of one piece; a token that began before the piece belongs to another rank. */
static int tokenize_chunk(mk_tokenizer *tk, const mk_chunk *c, int *skip_leading)
{
    size_t i = 0;
    if (*skip_leading) {
        while (i < c->length && mk_is_letter(c->data[i]))
            i++;
        if (i == c->length)
            return 0;
        *skip_leading = 0;
    }
    return mk_tokenizer_feed(tk, c->data + i, c->length - i);
}

/* A token still open at the end of a rank's block is this rank's: read on until it ends. */
static int finish_token_past_end(mk_reader *rd, mk_tokenizer *tk, const mk_chunk *c, mk_err *err)
{
    uint64_t pos = c->offset + c->length;
    unsigned char buf[4096];
    while (mk_tokenizer_in_token(tk)) {
        long got = mk_reader_pread(rd, pos, buf, sizeof buf, err);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        size_t n = 0;
        while (n < (size_t)got && mk_is_letter(buf[n]))
            n++;
        if (mk_tokenizer_feed(tk, buf, n) != 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        if (n < (size_t)got)
            break;
        pos += (uint64_t)got;
    }
    return mk_tokenizer_finish(tk) == 0 ? 0 : mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
}

/* Set by a signal; read at the reader's agreement points. Signals leave no other way to
 * reach the program, so this one flag is the job's only global. */
/* What run a checkpoint belongs to: options that shape the split, and every file's
 * name, size and modification time (a changed file must not be resumed). */
static void build_identity(const mk_job *job, const options *o, const mk_fileset *fs, mk_blob *id)
{
    mk_blob_put(id, "wordcount 1", 11);
    mk_blob_put_u64(id, (uint64_t)job->world_size);
    mk_blob_put_u64(id, o->chunk_size);
    mk_blob_put_u64(id, (uint64_t)o->mode);
    mk_blob_put_u64(id, (uint64_t)fs->nfiles);
    for (int i = 0; i < fs->nfiles; i++) {
        struct stat st;
        uint64_t mtime = stat(fs->paths[i], &st) == 0 ? (uint64_t)st.st_mtime : 0;
        mk_blob_put_u64(id, strlen(fs->paths[i]));
        mk_blob_put(id, fs->paths[i], strlen(fs->paths[i]));
        mk_blob_put_u64(id, fs->sizes[i]);
        mk_blob_put_u64(id, mtime);
    }
}

static void put_wc_state(mk_blob *b, const mk_wc_state *w)
{
    mk_blob_put_u64(b, w->counts.lines);
    mk_blob_put_u64(b, w->counts.words);
    mk_blob_put_u64(b, w->counts.bytes);
    mk_blob_put_u64(b, (uint64_t)w->in_word);
    mk_blob_put_u64(b, (uint64_t)w->seen_significant);
    mk_blob_put_u64(b, (uint64_t)w->first_sig_printable);
}

static void get_wc_state(mk_blob *b, mk_wc_state *w)
{
    w->counts.lines = mk_blob_get_u64(b);
    w->counts.words = mk_blob_get_u64(b);
    w->counts.bytes = mk_blob_get_u64(b);
    w->in_word = (int)mk_blob_get_u64(b);
    w->seen_significant = (int)mk_blob_get_u64(b);
    w->first_sig_printable = (int)mk_blob_get_u64(b);
}

static int save_state(const rank_result *res, const mk_tokenizer *tk, uint64_t position, int nfiles, mk_blob *b)
{
    mk_blob_put_u64(b, position);
    mk_blob_put_u64(b, res->bytes);
    mk_blob_put_u64(b, tk->tokens);
    for (int i = 0; i < nfiles; i++) {
        mk_blob_put_u64(b, res->per_file[i].lines);
        mk_blob_put_u64(b, res->per_file[i].words);
        mk_blob_put_u64(b, res->per_file[i].bytes);
    }
    put_wc_state(b, &res->first_piece);
    put_wc_state(b, &res->piece);
    int64_t ints[6] = {res->pieces, res->piece_mid_file, res->skip_leading, res->first_file, res->first_mid_file,
                       res->carry};
    for (int i = 0; i < 6; i++)
        mk_blob_put_u64(b, (uint64_t)ints[i]);
    mk_blob_put_u64(b, tk->partial_len);
    mk_blob_put(b, tk->partial, tk->partial_len);
    char *packed = NULL;
    size_t packed_len = 0, n = 0;
    mk_word_count *all = res->words ? mk_wordtable_sorted(res->words, 0, &n) : NULL;
    if (res->words != NULL && (all == NULL || mk_wordtable_pack(all, n, &packed, &packed_len) != 0))
        b->bad = 1;
    mk_blob_put_u64(b, packed_len);
    mk_blob_put(b, packed, packed_len);
    free(packed);
    free(all);
    return b->bad ? -1 : 0;
}

static int load_state(mk_blob *b, rank_result *res, mk_tokenizer *tk, uint64_t *position, int nfiles)
{
    *position = mk_blob_get_u64(b);
    res->bytes = mk_blob_get_u64(b);
    tk->tokens = mk_blob_get_u64(b);
    for (int i = 0; i < nfiles; i++) {
        res->per_file[i].lines = mk_blob_get_u64(b);
        res->per_file[i].words = mk_blob_get_u64(b);
        res->per_file[i].bytes = mk_blob_get_u64(b);
    }
    get_wc_state(b, &res->first_piece);
    get_wc_state(b, &res->piece);
    res->pieces = (int)mk_blob_get_u64(b);
    res->piece_mid_file = (int)mk_blob_get_u64(b);
    res->skip_leading = (int)mk_blob_get_u64(b);
    res->first_file = (int)(int64_t)mk_blob_get_u64(b);
    res->first_mid_file = (int)mk_blob_get_u64(b);
    res->carry = (mk_wc_carry)mk_blob_get_u64(b);
    uint64_t partial = mk_blob_get_u64(b);
    if (b->bad || partial > b->len - b->pos)
        return -1;
    tk->partial_len = 0;
    if (partial > 0) {
        /* stored lowercased already; feeding letters again keeps them as they are */
        if (mk_tokenizer_feed(tk, b->data + b->pos, partial) != 0)
            return -1;
        b->pos += partial;
    }
    uint64_t packed = mk_blob_get_u64(b);
    if (b->bad || packed > b->len - b->pos)
        return -1;
    if (res->words != NULL && mk_wordtable_unpack_add(res->words, (const char *)b->data + b->pos, packed) != 0)
        return -1;
    b->pos += packed;
    return 0;
}

/* Read and count this rank's block. Pieces after the first start at a file start, so
 * their counts are final at once; the first may open mid-word and waits for the carry. */
static int count_my_block(const mk_job *job, const options *o, const mk_fileset *fs, rank_result *res,
                          mk_timing *tm, mk_blob *resume, mk_blob *save, mk_err *err)
{
    int do_wc = o->mode != MODE_WORDS, do_words = o->mode != MODE_WC;
    int ph_count = mk_timing_phase(tm, "count");
    mk_reader *rd;
    if (mk_reader_open(&rd, job->comm, fs, (size_t)o->chunk_size, err) != 0)
        return -1;
    mk_tokenizer tk;
    mk_tokenizer_init(&tk, res->words);
    res->first_file = -1;
    res->carry = MK_WC_CARRY_IDENTITY;
    uint64_t position = 0;
    if (resume != NULL && load_state(resume, res, &tk, &position, fs->nfiles) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "checkpoint of rank %d is damaged", job->world_rank);
    if (mk_err_agree(job->comm, err) != 0) {
        mk_tokenizer_free(&tk);
        mk_reader_close(rd);
        return -1;
    }
    mk_reader_resume_at(rd, position);
    mk_reader_set_stop_flag(rd, o->stop);
    /* test hooks: rank 0 behaves as if signalled after K chunks; every chunk takes US
     * microseconds longer, so that a real signal sent by a test lands during the reads */
    const char *stop_after = getenv("MPIKIT_INJECT_STOP_AFTER");
    long chunks_left = stop_after != NULL && job->world_rank == 0 ? strtol(stop_after, NULL, 10) : -1;
    const char *slow = getenv("MPIKIT_INJECT_SLOW_CHUNK_US");
    long slow_us = slow != NULL ? strtol(slow, NULL, 10) : 0;

    mk_progress bar;
    mk_range share = mk_block_range(fs->total, job->world_size, job->world_rank);
    mk_progress_begin(&bar, mk_progress_wanted(o->progress, o->no_progress, job->world_rank) ? stderr : NULL,
                      "wordcount", "B", share.count);
    mk_progress_set(&bar, position);
    /* A local failure must not leave the collective reads: the rank records it, keeps
     * taking part in the reads without working, and all ranks agree at the end. */
    mk_err local;
    mk_err_clear(&local);
    const char *inject = getenv("MPIKIT_INJECT_FAULT");   /* test hook: "RANK" fails after one chunk */
    int fail_here = inject != NULL && strtol(inject, NULL, 10) == job->world_rank;
    mk_chunk c;
    int rc;
    while ((rc = mk_reader_next(rd, &c, err)) == 1) {
        if (chunks_left >= 0 && chunks_left-- == 0 && o->stop != NULL)
            *o->stop = 1;
        if (slow_us > 0)
            usleep((useconds_t)slow_us);
        if (local.code != 0)
            continue;
        if (fail_here) {
            mk_err_set(&local, MK_EXIT_FAILURE, "injected fault on rank %d (MPIKIT_INJECT_FAULT)", job->world_rank);
            continue;
        }
        mk_timing_start(tm, ph_count);
        if (c.segment_start) {
            mk_wc_init(&res->piece);
            res->piece_mid_file = !c.at_file_start;
            res->skip_leading = 0;
            if (do_words && res->piece_mid_file) {
                unsigned char before;
                if (mk_reader_pread(rd, c.offset - 1, &before, 1, &local) != 1) {
                    mk_err_set(&local, MK_EXIT_FAILURE, "cannot read the byte before offset %llu of '%s'",
                               (unsigned long long)c.offset, fs->paths[c.file]);
                    mk_timing_stop(tm, ph_count);
                    continue;
                }
                res->skip_leading = mk_is_letter(before);
            }
        }
        if (do_wc)
            mk_wc_update(&res->piece, c.data, c.length);
        if (do_words && tokenize_chunk(&tk, &c, &res->skip_leading) != 0) {
            mk_err_set(&local, MK_EXIT_FAILURE, "out of memory counting words");
            mk_timing_stop(tm, ph_count);
            continue;
        }
        res->bytes += c.length;
        if (c.segment_end) {
            int fin = c.at_file_end ? mk_tokenizer_finish(&tk)
                                    : (do_words ? finish_token_past_end(rd, &tk, &c, &local) : 0);
            if (fin != 0) {
                if (local.code == 0)
                    mk_err_set(&local, MK_EXIT_FAILURE, "out of memory counting words");
                mk_timing_stop(tm, ph_count);
                continue;
            }
            const mk_wc_state *piece = &res->piece;
            if (res->pieces++ == 0) {
                res->first_piece = *piece;
                res->first_file = c.file;
                res->first_mid_file = res->piece_mid_file;
            } else {
                res->per_file[c.file].lines += piece->counts.lines;
                res->per_file[c.file].words += piece->counts.words;
                res->per_file[c.file].bytes += piece->counts.bytes;
            }
            /* The block's effect on the next rank is its last piece's; a piece that starts at a
             * file start ignores the state it is entered with. */
            res->carry = res->piece_mid_file ? mk_wc_carry_of(piece)
                                             : (piece->seen_significant && piece->in_word ? 0x3 : 0x0);
        }
        mk_timing_stop(tm, ph_count);
        mk_progress_add(&bar, c.length);
    }
    mk_progress_end(&bar);
    /* Stopped at an agreed round: everything delivered so far is counted; save it. */
    if (rc == 2 && local.code == 0 && save_state(res, &tk, mk_reader_position(rd), fs->nfiles, save) != 0)
        mk_err_set(&local, MK_EXIT_FAILURE, "out of memory saving the checkpoint");
    res->tokens = tk.tokens;
    mk_tokenizer_free(&tk);
    mk_timing_add(tm, mk_timing_phase(tm, "read"), mk_reader_io_seconds(rd));
    mk_reader_close(rd);
    if (err->code == 0 && local.code != 0)
        *err = local;
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    return rc == 2 ? 2 : 0;
}

/* The carry: an exclusive scan tells each rank whether its block opened inside a word. */
static int apply_carry(const mk_job *job, rank_result *res, mk_err *err)
{
    int start_in_word = 0;
    if (mk_wc_scan_start_state(job->comm, res->carry, &start_in_word) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Exscan of the word state failed");
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    if (res->first_file < 0)
        return 0;
    if (res->first_mid_file)
        mk_wc_fixup(&res->first_piece, start_in_word);
    mk_wc_counts *f = &res->per_file[res->first_file];
    f->lines += res->first_piece.counts.lines;
    f->words += res->first_piece.counts.words;
    f->bytes += res->first_piece.counts.bytes;
    return 0;
}

static void print_verbose(const mk_job *job, const options *o, const rank_result *res, const mk_timing *tm)
{
    char line[256];
    double count_s = 0, read_s = 0;
    for (int i = 0; i < tm->nphases; i++) {
        if (strcmp(tm->names[i], "count") == 0)
            count_s = tm->seconds[i];
        if (strcmp(tm->names[i], "read") == 0)
            read_s = tm->seconds[i];
    }
    snprintf(line, sizeof line, "rank %d: %llu bytes, %llu tokens started here, %zu distinct words in its shard, read %.3f s, count %.3f s\n",
             job->world_rank, (unsigned long long)res->bytes, (unsigned long long)res->tokens,
             res->words ? mk_wordtable_size(res->words) : (size_t)0, read_s, count_s);
    /* Diagnostics: on stdout only where they cannot break a CSV or JSON document. */
    mk_print_ordered(job->comm, o->format == MK_FMT_TEXT ? stdout : stderr, line);
}

/* The files and total tables of csv and json: the columns -l/-w/-c select (all without them). */
static void wc_tables(const mk_wc_counts *per_file, const mk_fileset *fs, unsigned which, mk_table **tables, int *nt)
{
    const char *names[] = {"file", "lines", "words", "bytes"};
    const char *cols[4] = {"file"};
    int ncols = 1;
    which = which == 0 ? MK_WC_ALL : which;
    for (int k = 0; k < 3; k++)
        if (which & (1u << k))
            cols[ncols++] = names[k + 1];
    mk_table *t = mk_table_new("files", NULL, ncols, cols);
    mk_table *tt = mk_table_new("total", NULL, ncols - 1, cols + 1);
    uint64_t total[3] = {0, 0, 0};
    for (int i = 0; i < fs->nfiles; i++) {
        const uint64_t v[3] = {per_file[i].lines, per_file[i].words, per_file[i].bytes};
        mk_table_str(t, fs->paths[i]);
        for (int k = 0; k < 3; k++) {
            total[k] += v[k];
            if (which & (1u << k))
                mk_table_u64(t, v[k]);
        }
    }
    for (int k = 0; k < 3; k++)
        if (which & (1u << k))
            mk_table_u64(tt, total[k]);
    tables[(*nt)++] = t;
    tables[(*nt)++] = tt;
}

static void report(FILE *out, const options *o, const mk_fileset *fs, const mk_wc_counts *per_file,
                   const mk_word_count *top, size_t ntop, uint64_t distinct, uint64_t tokens,
                   const mk_timing_stats *ts, double work_seconds, double peak_rss_mib, int nranks)
{
    mk_table *tables[6];
    int nt = 0;
    int do_wc = o->mode != MODE_WORDS, do_words = o->mode != MODE_WC;
    unsigned which = (o->lines ? MK_WC_LINES : 0) | (o->words ? MK_WC_WORDS : 0) | (o->bytes ? MK_WC_BYTES : 0);
    if (do_wc && o->format == MK_FMT_TEXT) {
        mk_wc_print_selected(out, (const char *const *)fs->paths, per_file, fs->nfiles, which);
    } else if (do_wc) {
        wc_tables(per_file, fs, which, tables, &nt);
    }
    if (do_words) {
        char title[128];
        snprintf(title, sizeof title, "top %zu words (%llu distinct, %llu tokens)", ntop,
                 (unsigned long long)distinct, (unsigned long long)tokens);
        if (o->top > 0) {
            const char *cols[] = {"rank", "word", "count"};
            mk_table *t = mk_table_new("top", title, 3, cols);
            for (size_t i = 0; i < ntop; i++) {
                char *word = strndup(top[i].word, top[i].len); /* whole: long tokens differ past any cut */
                mk_table_u64(t, i + 1);
                mk_table_str(t, word != NULL ? word : "(out of memory)");
                mk_table_u64(t, top[i].count);
                free(word);
            }
            tables[nt++] = t;
        }
        if (o->format != MK_FMT_TEXT || o->top == 0) {
            const char *cols[] = {"distinct", "tokens"};
            mk_table *t = mk_table_new("vocabulary", "vocabulary", 2, cols);
            mk_table_u64(t, distinct);
            mk_table_u64(t, tokens);
            tables[nt++] = t;
        }
    }
    if (o->timing) {
        tables[nt++] = mk_timing_table(ts, 0);
        const char *cols[] = {"ranks", "bytes", "kernel", "work_s", "MB_s", "MB_s_per_rank", "peak_rss_MiB"};
        mk_table *t = mk_table_new("summary", "throughput (inside the program, excluding mpirun start-up)", 7,
                                   cols);
        double mbs = work_seconds > 0 ? (double)fs->total / 1e6 / work_seconds : 0;
        mk_table_i64(t, nranks);
        mk_table_u64(t, fs->total);
        mk_table_str(t, o->mode == MODE_WORDS ? "tokens" : mk_wc_kernel_name());
        mk_table_f64(t, "%.4f", work_seconds);
        mk_table_f64(t, "%.1f", mbs);
        mk_table_f64(t, "%.1f", mbs / nranks);
        mk_table_f64(t, "%.1f", peak_rss_mib);
        tables[nt++] = t;
    }
    if (do_wc && o->format == MK_FMT_TEXT && nt > 0)
        fputc('\n', out);
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, WORDCOUNT_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

/* Everything one run holds between its phases (freed by run_free). */
typedef struct {
    char **files;
    int nfiles;
    mk_fileset fs;
    mk_outfile counts_out;
    int counts_h5, resumed;
    rank_result res;
    mk_blob identity, resume, save;
    mk_wc_counts *total_per_file;  /* rank 0: the reduced per-file counts */
    uint64_t tokens, distinct;
    mk_word_count *top, *all;
    mk_wordtable *top_storage, *all_storage;
    size_t ntop, nall;
} run_state;

/* Parse and check the options (the --counts-is-an-input check stats files, so its verdict is
 * agreed); exits on an error or after --help. */
static void parse_or_exit(mk_job *job, int argc, char **argv, FILE *out, options *o, run_state *st)
{
    mk_err err;
    mk_err_clear(&err);
    int rc = parse_options(argc, argv, out, o, &st->files, &st->nfiles, &err);
    if (rc == MK_CLI_EXIT)
        mk_job_end(job);
    if (rc == MK_CLI_OK && o->counts_path != NULL && o->mode == MODE_WC)
        mk_err_set(&err, MK_EXIT_USAGE, "--counts needs word frequencies: not with --mode wc");
    if (rc == MK_CLI_OK && err.code == 0)
        mk_output_not_input("--counts", o->counts_path, (const char *const *)st->files, st->nfiles, &err);
    if (rc == MK_CLI_OK)
        mk_err_agree(job->comm, &err); /* a rank must not see another verdict */
    if (rc != MK_CLI_OK || err.code != 0) {
        free(st->files);
        mk_job_exit_error(job, &err);
    }
}

/* Rank 0 opens the --counts temporary file, every rank its tables; a checkpoint of this very
 * run (same files, ranks, options) is loaded to resume it. */
static int prepare_run(const mk_job *job, const options *o, run_state *st, mk_err *err)
{
    st->counts_out = (mk_outfile){{0}, NULL, "--counts"};
    st->counts_h5 = o->counts_path != NULL && mk_h5_is_h5_path(o->counts_path);
    if (st->counts_h5)
        mk_h5_quiet(0);
    if (o->counts_path != NULL && !st->counts_h5 && o->mode != MODE_WC && job->world_rank == 0)
        mk_outfile_begin(&st->counts_out, o->counts_path, "--counts", err);
    st->res.per_file = calloc((size_t)st->nfiles, sizeof *st->res.per_file);
    st->total_per_file = calloc((size_t)st->nfiles, sizeof *st->total_per_file);
    if (o->mode != MODE_WC)
        st->res.words = mk_wordtable_new(1 << 14);
    if (st->res.per_file == NULL || st->total_per_file == NULL || (o->mode != MODE_WC && st->res.words == NULL))
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    if (o->checkpoint_path != NULL) {
        build_identity(job, o, &st->fs, &st->identity);
        if (mk_checkpoint_load(job->comm, o->checkpoint_path, &st->identity, &st->resume, &st->resumed, err) != 0)
            return -1;
        if (st->resumed && job->world_rank == 0)
            fprintf(stderr, "wordcount: resuming from checkpoint '%s'\n", o->checkpoint_path);
    }
    return 0;
}

static void run_free(run_state *st)
{
    mk_blob_free(&st->identity);
    mk_blob_free(&st->resume);
    mk_blob_free(&st->save);
    free(st->top);
    free(st->all);
    mk_wordtable_free(st->top_storage);
    mk_wordtable_free(st->all_storage);
    free(st->total_per_file);
    mk_wordtable_free(st->res.words);
    free(st->res.per_file);
    mk_fileset_free(&st->fs);
    free(st->files);
}

/* Stopped by a signal at an agreed round: save the checkpoint, say so, exit 3. */
static int save_and_stop(mk_job *job, const options *o, run_state *st, mk_err *err)
{
    uint64_t done = 0;
    MPI_Reduce(&st->res.bytes, &done, 1, MPI_UINT64_T, MPI_SUM, 0, job->comm);
    if (mk_checkpoint_save(job->comm, o->checkpoint_path, &st->identity, &st->save, err) != 0)
        return -1;
    if (job->world_rank == 0)
        fprintf(stderr, "wordcount: interrupted: checkpoint saved to '%s' (%llu of %llu bytes done); "
                        "run the same command to resume\n",
                o->checkpoint_path, (unsigned long long)done, (unsigned long long)st->fs.total);
    mk_outfile_abandon(&st->counts_out);
    run_free(st);
    MPI_Finalize();
    exit(MK_EXIT_INTERRUPTED);
}

/* Fix words split across ranks, then sum the per-file counts and tokens on rank 0. */
static int reduce_counts(const mk_job *job, const options *o, run_state *st, mk_timing *tm, mk_err *err)
{
    int ph = mk_timing_phase(tm, "carry+reduce");
    mk_timing_start(tm, ph);
    if (o->mode != MODE_WORDS && apply_carry(job, &st->res, err) != 0)
        return -1;
    MPI_Reduce(st->res.per_file, st->total_per_file, 3 * st->nfiles, MPI_UINT64_T, MPI_SUM, 0, job->comm);
    MPI_Reduce(&st->res.tokens, &st->tokens, 1, MPI_UINT64_T, MPI_SUM, 0, job->comm);
    mk_timing_stop(tm, ph);
    return 0;
}

/* --counts FILE.csv: the full table gathered to rank 0, sorted, written, renamed into place. */
static int write_counts_csv(const mk_job *job, const options *o, run_state *st, mk_err *err)
{
    if (mk_wordtable_gather_top(job->comm, 0, st->res.words, 0, &st->all, &st->nall, &st->all_storage, err) != 0)
        return -1;
    if (job->world_rank == 0) {
        fputs("word,count\n", st->counts_out.fp);
        for (size_t i = 0; i < st->nall; i++)
            fprintf(st->counts_out.fp, "%.*s,%llu\n", (int)st->all[i].len, st->all[i].word,
                    (unsigned long long)st->all[i].count);
        mk_outfile_commit(&st->counts_out, o->counts_path, err);
    }
    return mk_err_agree(job->comm, err) != 0 ? -1 : 0;
}

/* Shuffle each word to its owner rank (so every word is counted on exactly one rank), gather
 * the top K and write --counts. */
static int words_phase(const mk_job *job, const options *o, run_state *st, mk_timing *tm, int argc, char **argv,
                       mk_err *err)
{
    int ph_shuffle = mk_timing_phase(tm, "shuffle"), ph_top = mk_timing_phase(tm, "top-k");
    int ph_out = mk_timing_phase(tm, "output");
    mk_timing_start(tm, ph_shuffle);
    if (mk_wordtable_shuffle(job->comm, &st->res.words, err) != 0)
        return -1;
    mk_timing_stop(tm, ph_shuffle);
    mk_timing_start(tm, ph_top);
    uint64_t mine = mk_wordtable_size(st->res.words);
    MPI_Reduce(&mine, &st->distinct, 1, MPI_UINT64_T, MPI_SUM, 0, job->comm);
    if (o->top > 0 && mk_wordtable_gather_top(job->comm, 0, st->res.words, (size_t)o->top, &st->top, &st->ntop,
                                              &st->top_storage, err) != 0)
        return -1;
    mk_timing_stop(tm, ph_top);
    mk_timing_start(tm, ph_out);
    if (st->counts_h5 && write_counts_h5(job, o->counts_path, st->res.words, st->tokens, argc, argv, err) != 0)
        return -1;
    if (o->counts_path != NULL && !st->counts_h5 && write_counts_csv(job, o, st, err) != 0)
        return -1;
    mk_timing_stop(tm, ph_out);
    return 0;
}

/* Timings reduced over all ranks, the busiest rank's memory, --verbose lines; rank 0 prints. */
static void report_run(const mk_job *job, const options *o, run_state *st, mk_timing *tm, double work_seconds,
                       FILE *out)
{
    mk_timing_stats ts;
    mk_timing_reduce(tm, job->comm, &ts);
    double work_max = 0, rss_max = 0;
    MPI_Reduce(&work_seconds, &work_max, 1, MPI_DOUBLE, MPI_MAX, 0, job->comm);
    /* Peak resident memory of the busiest rank: bounded by --chunk-size, not the file size. */
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double rss_mib = (double)usage.ru_maxrss / 1024.0;
    MPI_Reduce(&rss_mib, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, job->comm);
    if (o->verbose)
        print_verbose(job, o, &st->res, tm);
    if (out != NULL)
        report(out, o, &st->fs, st->total_per_file, st->top, st->ntop, st->distinct, st->tokens, &ts, work_max,
               rss_max, job->world_size);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "wordcount", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    /* parse: every rank parses the same argv, so all reach the same verdict */
    options o;
    run_state st;
    memset(&st, 0, sizeof st);
    parse_or_exit(&job, argc, argv, out, &o, &st);
    if (o.checkpoint_path != NULL)
        o.stop = mk_stop_on_signals();
    mk_timing tm;
    mk_timing_init(&tm);
    /* the phases in report order */
    const char *phases[] = {"read", "count", "carry+reduce", "shuffle", "top-k", "output"};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        (void)mk_timing_phase(&tm, phases[i]);
    double t_start = mk_now();

    /* split: rank 0 checks the files; everyone learns their sizes */
    if (mk_fileset_open(job.comm, (const char **)st.files, st.nfiles, &st.fs, &err) != 0) {
        free(st.files);
        mk_job_exit_error(&job, &err);
    }
    mk_blob_init(&st.identity);
    mk_blob_init(&st.resume);
    mk_blob_init(&st.save);
    if (prepare_run(&job, &o, &st, &err) != 0)
        goto fail;

    /* compute: read this rank's block in chunks, count lines/words/bytes and tokens */
    int rc = count_my_block(&job, &o, &st.fs, &st.res, &tm, st.resumed ? &st.resume : NULL, &st.save, &err);
    if (rc < 0)
        goto fail;
    if (rc == 2 && save_and_stop(&job, &o, &st, &err) != 0)
        goto fail;

    /* reduce, then shuffle the words to their owners, top K and --counts */
    if (reduce_counts(&job, &o, &st, &tm, &err) != 0)
        goto fail;
    if (o.mode != MODE_WC && words_phase(&job, &o, &st, &tm, argc, argv, &err) != 0)
        goto fail;

    /* report: rank 0 prints */
    report_run(&job, &o, &st, &tm, mk_now() - t_start, out);

    /* done: the checkpoint has served its purpose */
    if (o.checkpoint_path != NULL)
        mk_checkpoint_remove(job.comm, o.checkpoint_path);
    run_free(&st);
    mk_job_end(&job);

fail:
    mk_outfile_abandon(&st.counts_out);
    mk_job_exit_error(&job, &err);
}
