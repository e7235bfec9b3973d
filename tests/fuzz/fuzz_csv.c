/* fuzz_csv.c - the CSV reader of src/table.c (mk_frame_read_csv) on arbitrary bytes.
 *
 * The reader must never crash, and its verdict must match a naive reference parser written
 * here from the format table.h documents: lines end at '\n'; a header of unique names
 * [A-Za-z_][A-Za-z0-9_]* (shorter than MK_FRAME_NAME_MAX, at most MK_FRAME_MAX_COLS); then one
 * finite decimal number per field ([+-]? digits [. digits] [e[+-]digits], or . digits);
 * fields are trimmed of blanks (and a trailing '\r'); blank lines are skipped. Whatever is
 * accepted must hold the reference's values bit for bit and survive a write/read round trip.
 * The reader takes a path, so the input goes through a memfd named by /proc/self/fd/N. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpikit/table.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csv: %s\n", what);
        abort();
    }
}

/* A memfd holding `data`; returns its /proc path in `path`. */
static void put_file(int *fd, const char *data, size_t len, char *path, size_t path_len)
{
    if (*fd < 0)
        *fd = memfd_create("fuzz_csv", 0);
    check(*fd >= 0, "memfd_create failed");
    check(ftruncate(*fd, 0) == 0, "ftruncate failed");
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(*fd, data + off, len - off, (off_t)off);
        check(w > 0, "pwrite failed");
        off += (size_t)w;
    }
    snprintf(path, path_len, "/proc/self/fd/%d", *fd);
}

/* ---- the reference ---- */

typedef struct {
    int ncols;
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    uint64_t nrows;
    double *values; /* row-major, nrows * ncols */
} ref_frame;

static void ref_trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static int ref_digit(char c) { return c >= '0' && c <= '9'; }

static int ref_name(const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= MK_FRAME_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!(alpha || (i > 0 && ref_digit(c))))
            return 0;
    }
    return 1;
}

/* Decimal number grammar; on success *v is its value (strtod on a NUL-terminated copy). */
static int ref_number(const char *s, const char *e, double *v)
{
    const char *p = s;
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    size_t int_digits = 0, frac_digits = 0;
    while (p < e && ref_digit(*p)) {
        p++;
        int_digits++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && ref_digit(*p)) {
            p++;
            frac_digits++;
        }
    }
    if (int_digits + frac_digits == 0)
        return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        size_t exp_digits = 0;
        while (p < e && ref_digit(*p)) {
            p++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return 0;
    }
    if (p != e)
        return 0;
    char *copy = strndup(s, (size_t)(e - s));
    *v = strtod(copy, NULL);
    free(copy);
    return isfinite(*v);
}

/* 0 when the text is a valid table (filled in), -1 otherwise. */
static int ref_parse(const char *text, size_t len, ref_frame *rf)
{
    memset(rf, 0, sizeof *rf);
    const char *end = text + len;
    const char *eol = memchr(text, '\n', len);
    if (eol == NULL)
        eol = end;
    /* header */
    for (const char *s = text;;) {
        const char *comma = memchr(s, ',', (size_t)(eol - s));
        const char *fe = comma ? comma : eol, *ts = s, *te = fe;
        ref_trim(&ts, &te);
        if (rf->ncols == MK_FRAME_MAX_COLS || !ref_name(ts, te))
            return -1;
        memcpy(rf->names[rf->ncols], ts, (size_t)(te - ts));
        rf->names[rf->ncols][te - ts] = '\0';
        for (int i = 0; i < rf->ncols; i++)
            if (strcmp(rf->names[i], rf->names[rf->ncols]) == 0)
                return -1;
        rf->ncols++;
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    rf->values = malloc(lines * (size_t)rf->ncols * sizeof(double));
    for (const char *p = eol < end ? eol + 1 : end; p < end;) {
        const char *le = memchr(p, '\n', (size_t)(end - p));
        if (le == NULL)
            le = end;
        const char *ts = p, *te = le;
        ref_trim(&ts, &te);
        if (ts < te) {
            const char *s = p;
            for (int c = 0; c < rf->ncols; c++) {
                const char *comma = memchr(s, ',', (size_t)(le - s));
                if ((comma == NULL) != (c == rf->ncols - 1))
                    return -1;
                const char *fs = s, *fe = comma ? comma : le;
                ref_trim(&fs, &fe);
                if (!ref_number(fs, fe, &rf->values[rf->nrows * (uint64_t)rf->ncols + (uint64_t)c]))
                    return -1;
                s = comma ? comma + 1 : le;
            }
            rf->nrows++;
        }
        p = le + 1;
    }
    return 0;
}

/* bit-identical on purpose: the reader and the reference must agree on -0 and every bit */
static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; } // NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1, fd2 = -1;
    char path[64], path2[64];
    put_file(&fd, (const char *)data, size, path, sizeof path);

    mk_frame f;
    mk_err err;
    mk_err_clear(&err);
    int rc = mk_frame_read_csv(path, &f, &err);
    ref_frame rf;
    int ref_rc = ref_parse((const char *)data, size, &rf);
    if (rc != 0) {
        check(err.code != 0 && err.msg[0] != '\0', "error without a message");
        check(strstr(err.msg, path) != NULL, "error message does not name the file");
        check(f.ncols == 0, "frame not emptied after an error");
        if (ref_rc == 0) {
            fprintf(stderr, "rejected: %s\n", err.msg);
            check(0, "the reader rejects a valid table");
        }
        free(rf.values);
        return 0;
    }
    check(err.code == 0, "success with an error set");
    check(ref_rc == 0, "the reader accepts what the reference rejects");
    check(f.ncols == rf.ncols && f.nrows == rf.nrows, "shape differs from the reference");
    for (int c = 0; c < f.ncols; c++) {
        check(strcmp(f.names[c], rf.names[c]) == 0, "column name differs");
        for (uint64_t r = 0; r < f.nrows; r++)
            /* the shape check above aborts on a mismatch, so every value read here was written by ref_parse */
            check(same_double(f.cols[c][r], rf.values[r * (uint64_t)rf.ncols + (uint64_t)c]), "value differs"); // NOLINT(clang-analyzer-core.CallAndMessage)
    }
    free(rf.values);

    /* round trip: write, read back, same table (write prints -0 as 0) */
    char *out = NULL;
    size_t outlen = 0;
    FILE *mem = open_memstream(&out, &outlen);
    check(mk_frame_write_csv(mem, &f) == 0, "write failed");
    fclose(mem);
    put_file(&fd2, out, outlen, path2, sizeof path2);
    mk_frame g;
    int rc2 = mk_frame_read_csv(path2, &g, &err);
    if (rc2 != 0)
        fprintf(stderr, "round trip: %s\n", err.msg);
    check(rc2 == 0, "written table does not read back");
    check(g.ncols == f.ncols && g.nrows == f.nrows, "round trip changes the shape");
    for (int c = 0; c < f.ncols; c++) {
        check(strcmp(f.names[c], g.names[c]) == 0, "round trip changes a name");
        for (uint64_t r = 0; r < f.nrows; r++)
            check(same_double(g.cols[c][r], f.cols[c][r] == 0 ? 0.0 : f.cols[c][r]), "round trip changes a value");
    }
    mk_frame_free(&g);
    free(out);
    mk_frame_free(&f);
    return 0;
}
