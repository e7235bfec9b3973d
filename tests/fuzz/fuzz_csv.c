/* fuzz_csv.c - the CSV reader of src/frame_csv.c (mk_frame_read_csv) on arbitrary bytes.
 *
 * The reader must never crash; a rejection names the file and leaves the frame empty; every
 * column is numbers or text; and whatever is accepted survives a write/read round trip: the
 * same names, types, strings byte for byte and numbers bit for bit (-0 is written as 0).
 * (The values themselves are checked against pandas in tests/jobs/table.sh.)
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

/* bit-identical on purpose: a written number must read back to every bit (NaN to NaN) */
static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; // NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1, fd2 = -1;
    char path[64], path2[64];
    put_file(&fd, (const char *)data, size, path, sizeof path);

    mk_frame f;
    mk_err err;
    mk_err_clear(&err);
    int rc = mk_frame_read_csv(path, NULL, &f, &err);
    if (rc != 0) {
        check(err.code != 0 && err.msg[0] != '\0', "error without a message");
        check(strstr(err.msg, path) != NULL, "error message does not name the file");
        check(f.ncols == 0, "frame not emptied after an error");
        return 0;
    }
    check(err.code == 0, "success with an error set");
    for (int c = 0; c < f.ncols; c++)
        check((f.cols[c] == NULL) != (f.strs[c] == NULL), "a column is neither numbers nor text");

    /* round trip: write, read back, same table (write prints -0 as 0) */
    char *out = NULL;
    size_t outlen = 0;
    FILE *mem = open_memstream(&out, &outlen);
    check(mk_frame_write_csv(mem, &f) == 0, "write failed");
    fclose(mem);
    put_file(&fd2, out, outlen, path2, sizeof path2);
    mk_frame g;
    int rc2 = mk_frame_read_csv(path2, NULL, &g, &err);
    if (rc2 != 0)
        fprintf(stderr, "round trip: %s\n", err.msg);
    check(rc2 == 0, "written table does not read back");
    check(g.ncols == f.ncols && g.nrows == f.nrows, "round trip changes the shape");
    for (int c = 0; c < f.ncols; c++) {
        check(strcmp(f.names[c], g.names[c]) == 0, "round trip changes a name");
        check(mk_frame_is_text(&f, c) == mk_frame_is_text(&g, c), "round trip changes a column's type");
        int text = mk_frame_is_text(&f, c);
        if (text ? g.strs[c] == NULL || f.strs[c] == NULL : g.cols[c] == NULL || f.cols[c] == NULL)
            continue; /* (the type check above failed already) */
        for (uint64_t r = 0; r < f.nrows; r++)
            check(text ? same_text(g.strs[c][r], f.strs[c][r])
                       : same_double(g.cols[c][r], f.cols[c][r] == 0 ? 0.0 : f.cols[c][r]),
                  "round trip changes a value");
    }
    mk_frame_free(&g);
    free(out);
    mk_frame_free(&f);
    return 0;
}
