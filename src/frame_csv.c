/* frame_csv.c - RFC 4180 CSV as pandas reads and writes it: the tokenizer, type inference,
 * the serial reader, the parallel reader (byte ranges + a scan of quote parity) and the writer. */
#include "mpikit/table.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/partition.h"

/* ---- cells ---- */

int mk_csv_is_na(const char *s, size_t n)
{
    static const char *const na[] = {"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                                     "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
                                     "n/a", "nan", "null"};
    static const unsigned char len[] = {4, 8, 3, 7, 8, 4, 4, 6, 7, 4, 3, 2, 4, 3, 4, 3, 3, 4};
    if (n == 0)
        return 1;
    /* every cell is asked: most are answered by their length or first byte */
    if (n > 8 || !(s[0] == '#' || s[0] == '-' || s[0] == '1' || s[0] == '<' || s[0] == 'N' || s[0] == 'n'))
        return 0;
    if ((s[0] == '1' && (n < 2 || s[1] != '.')) || (s[0] == '-' && (n < 2 || (s[1] != '1' && s[1] != 'N' && s[1] != 'n'))))
        return 0; /* a number */
    for (size_t i = 0; i < sizeof na / sizeof na[0]; i++)
        if (len[i] == n && memcmp(na[i], s, n) == 0)
            return 1;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int lower_eq(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return 1;
}

int mk_csv_number(const char *s, size_t n, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s, *end = s + n;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    const char *start = p;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p < end && (*p | 0x20) == 'i' &&
        (lower_eq(p, (size_t)(end - p), "inf") || lower_eq(p, (size_t)(end - p), "infinity"))) {
        *v = neg ? -INFINITY : INFINITY;
        return 1;
    }
    uint64_t mant = 0;
    int digits = 0, sig = 0, exp10 = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            sig += mant != 0;
        } else {
            exp10++;
        }
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                sig += mant != 0;
                exp10--;
            }
        }
    if (digits == 0)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, e = 0, edigits = 0;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++, edigits++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        if (edigits == 0)
            return 0;
        exp10 += eneg ? -e : e;
    }
    if (p != end)
        return 0;
    /* Clinger's fast path: both exact, one correctly rounded operation. */
    if (sig < 19 && mant <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double m = (double)mant;
        *v = exp10 < 0 ? m / pow10[-exp10] : m * pow10[exp10];
        if (neg)
            *v = -*v;
        return 1;
    }
    char small[128], *copy = (size_t)(end - start) < sizeof small ? small : malloc((size_t)(end - start) + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, start, (size_t)(end - start));
    copy[end - start] = '\0';
    *v = strtod(copy, NULL);
    if (copy != small)
        free(copy);
    return 1;
}

char mk_csv_detect_sep(const char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            inq = !inq;
        else if (!inq && s[i] == '\n')
            break;
        else if (!inq) {
            comma += s[i] == ',';
            semi += s[i] == ';';
            tab += s[i] == '\t';
        }
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

/* How many times c occurs in n bytes (memchr runs at memory speed). */
static uint64_t count_byte(const char *p, uint64_t n, char c)
{
    uint64_t k = 0;
    for (const char *end = p + n; p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL; p++)
        k++;
    return k;
}

/* ---- the tokenizer ---- */

typedef struct {
    char *s;    /* content: after the opening quote for a quoted field */
    size_t n;   /* bytes, escapes ("") included */
    int quoted; /* 1 in quotes, 2 in quotes with "" inside */
} field;

typedef struct {
    const char *path;
    char sep;
    int ncols;
    char *p, *end;  /* the records still to read */
    uint64_t line;  /* the line number of *p */
    int skip_blank; /* blank lines are no records */
    unsigned char stop[256]; /* the bytes that end an unquoted run: sep, '\n', '"' */
} cursor;

/* The separator is known: the bytes the tokenizer stops at. */
static void cursor_set_sep(cursor *c, char sep)
{
    c->sep = sep;
    memset(c->stop, 0, sizeof c->stop);
    c->stop[(unsigned char)sep] = c->stop['\n'] = c->stop['"'] = 1;
}

enum { CSV_MAX_FIELDS = MK_FRAME_MAX_COLS };

static int csv_error(const cursor *c, uint64_t line, mk_err *err, const char *what)
{
    return mk_err_set(err, MK_EXIT_FAILURE, "%s:%llu: %s", c->path, (unsigned long long)line, what);
}

/* One record into fs (at most CSV_MAX_FIELDS; *nf counts all); advances the cursor past its line
 * end. Returns 1 for a record, 0 at the end, -1 with err. */
static int next_record(cursor *c, field *fs, int *nf, mk_err *err)
{
    for (;;) {
        if (c->p >= c->end)
            return 0;
        if (c->skip_blank && (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'))) {
            c->p += *c->p == '\r' ? 2 : 1;
            c->line++;
            continue;
        }
        break;
    }
    uint64_t first_line = c->line;
    char *p = c->p, *end = c->end;
    const char sep = c->sep;
    int k = 0;
    for (;;) {
        field f = {p, 0, 0};
        if (p < end && *p == '"') {
            char *q = p + 1;
            f.quoted = 1;
            for (;;) {
                char *qq = memchr(q, '"', (size_t)(end - q));
                for (char *x = q; x < (qq ? qq : end); x++)
                    c->line += *x == '\n';
                if (qq == NULL)
                    return csv_error(c, first_line, err, "unclosed quote (the file ends inside a quoted field)");
                if (qq + 1 < end && qq[1] == '"') {
                    f.quoted = 2;
                    q = qq + 2;
                    continue;
                }
                f.s = p + 1;
                f.n = (size_t)(qq - (p + 1));
                p = qq + 1;
                break;
            }
            if (p < end && *p != sep && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n')))
                return csv_error(c, c->line, err, "text after a closing quote (a quoted field must end at a separator)");
        } else {
            char *q = p;
            while (q < end && !c->stop[(unsigned char)*q])
                q++;
            if (q < end && *q == '"')
                return csv_error(c, c->line, err, "quote inside an unquoted field (quote the whole field, \"\" for a quote)");
            f.s = p;
            f.n = (size_t)(q - p);
            p = q;
            if ((p == end || *p == '\n') && f.n > 0 && f.s[f.n - 1] == '\r')
                f.n--;
        }
        if (k < CSV_MAX_FIELDS)
            fs[k] = f;
        k++;
        if (p < end && *p == sep) {
            p++;
            continue;
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n') {
            p++;
            c->line++;
        }
        break;
    }
    c->p = p;
    *nf = k;
    return 1;
}

/* A field's text without quotes and with "" as ", NUL-terminated, written over itself (the
 * text only shrinks, and the byte after it is the separator, quote or line end). */
static char *unescape_in_place(field *f)
{
    if (f->quoted == 2) {
        size_t w = 0;
        for (size_t r = 0; r < f->n; r++) {
            f->s[w++] = f->s[r];
            if (f->s[r] == '"')
                r++;
        }
        f->n = w;
    }
    f->s[f->n] = '\0';
    return f->s;
}

/* The line a record ends on, for messages about the record as a whole. */
static int ragged(const cursor *c, uint64_t line, int found, mk_err *err)
{
    return mk_err_set(err, MK_EXIT_FAILURE, "%s:%llu: expected %d fields, found %d", c->path,
                      (unsigned long long)line, c->ncols, found);
}

/* pandas' renaming of repeated names (its C parser): the second A becomes A.1, or A.2 when the
 * header also has an A.1, and so on. A small dictionary of counts, at most 2 entries a column. */
typedef struct {
    int n;
    char key[2 * MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    int count[2 * MK_FRAME_MAX_COLS];
} name_counts;

static int *count_of(name_counts *d, const char *name)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->key[i], name) == 0)
            return &d->count[i];
    if (d->n == 2 * MK_FRAME_MAX_COLS)
        return NULL;
    strcpy(d->key[d->n], name);
    d->count[d->n] = 0;
    return &d->count[d->n++];
}

static int in_header(char names[][MK_FRAME_NAME_MAX], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* Rename repeated names in place; -1 when a new name would be too long. */
static int dedupe_names(char names[][MK_FRAME_NAME_MAX], int n)
{
    name_counts d;
    char orig[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    memcpy(orig, names, (size_t)n * MK_FRAME_NAME_MAX);
    d.n = 0;
    for (int i = 0; i < n; i++) {
        char col[MK_FRAME_NAME_MAX];
        strcpy(col, orig[i]);
        int *c = count_of(&d, col);
        if (c == NULL)
            return -1;
        int cur = *c;
        while (cur > 0) {
            if ((c = count_of(&d, orig[i])) == NULL)
                return -1;
            *c = cur + 1;
            if (snprintf(col, sizeof col, "%s.%d", orig[i], cur) >= (int)sizeof col)
                return -1;
            if (in_header(orig, n, col))
                cur++;
            else if ((c = count_of(&d, col)) == NULL)
                return -1;
            else
                cur = *c;
        }
        strcpy(names[i], col);
        if ((c = count_of(&d, col)) == NULL)
            return -1;
        *c = cur + 1;
    }
    return 0;
}

/* The header record: names (an empty one becomes "Unnamed: N", as pandas names an index column). */
static int read_header(cursor *c, char names[][MK_FRAME_NAME_MAX], mk_err *err)
{
    field fs[CSV_MAX_FIELDS];
    int nf = 0;
    int rc = next_record(c, fs, &nf, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: empty header (expected column names)", c->path);
    if (nf > CSV_MAX_FIELDS)
        return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: more than %d columns", c->path, MK_FRAME_MAX_COLS);
    for (int i = 0; i < nf; i++) {
        field f = fs[i];
        char *name = unescape_in_place(&f);
        if (f.n == 0)
            snprintf(names[i], MK_FRAME_NAME_MAX, "Unnamed: %d", i);
        else if (f.n >= MK_FRAME_NAME_MAX)
            return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: column name '%.40s...' is longer than %d bytes", c->path,
                              name, MK_FRAME_NAME_MAX - 1);
        else
            memcpy(names[i], name, f.n + 1);
    }
    if (dedupe_names(names, nf) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: repeated column names too long to rename", c->path);
    c->ncols = nf;
    return 0;
}

/* Pass 1 over this rank's records: numbers into f's (numeric) columns, text[c] set for a column
 * with a cell that is neither a number nor missing. f has room for every record. */
static int pass_numbers(cursor c, mk_frame *f, int *text, char ***raw, mk_err *err)
{
    field fs[CSV_MAX_FIELDS];
    int nf, rc;
    uint64_t row = 0;
    for (;;) {
        uint64_t line = c.line;
        if ((rc = next_record(&c, fs, &nf, err)) <= 0)
            break;
        if (nf != c.ncols)
            return ragged(&c, line, nf, err);
        for (int k = 0; k < nf; k++) {
            /* a number first: most cells are, and no NA string reads as a number */
            double v = NAN;
            if (!text[k] && (fs[k].quoted == 2 || !mk_csv_number(fs[k].s, fs[k].n, &v))) {
                v = NAN;
                text[k] = !mk_csv_is_na(fs[k].s, fs[k].n);
                /* text from the first row: keep where each cell starts, so that the strings
                 * need no second pass of the tokenizer (finish_frame) */
                if (text[k] && row == 0 && (raw[k] = malloc(f->nrows * sizeof(char *))) == NULL)
                    return mk_err_set(err, MK_EXIT_FAILURE, "out of memory reading '%s'", c.path);
            }
            if (raw[k] != NULL)
                raw[k][row] = fs[k].quoted ? fs[k].s - 1 : fs[k].s;
            f->cols[k][row] = v;
        }
        row++;
    }
    if (rc < 0)
        return -1;
    f->nrows = row;
    return 0;
}

/* Pass 2: the text columns (agreed over ranks) point into the buffer, unescaped in place. */
static int pass_text(cursor c, mk_frame *f, const int *text, mk_err *err)
{
    for (int k = 0; k < c.ncols; k++)
        if (text[k] && mk_frame_add_text_column(f, f->names[k], err) < 0)
            return -1;
    field fs[CSV_MAX_FIELDS];
    int nf;
    for (uint64_t row = 0; row < f->nrows && next_record(&c, fs, &nf, err) > 0; row++)
        for (int k = 0; k < c.ncols; k++)
            if (text[k] && !mk_csv_is_na(fs[k].s, fs[k].n))
                f->strs[k][row] = unescape_in_place(&fs[k]);
    return 0;
}

/* Records in [p, end) (a buffer with one writable byte past end) into `f` with columns `names`;
 * text[] is this rank's verdict so far. Pass 2 is left to the caller (after agreement). */
static int parse_numbers(cursor *c, char names[][MK_FRAME_NAME_MAX], mk_frame *f, int *text, char ***raw,
                         mk_err *err)
{
    uint64_t cap = 1 + count_byte(c->p, (uint64_t)(c->end - c->p), '\n');
    const char *np[MK_FRAME_MAX_COLS];
    for (int i = 0; i < c->ncols; i++)
        np[i] = names[i];
    if (mk_frame_init(f, c->ncols, np, cap, err) != 0)
        return -1;
    return pass_numbers(*c, f, text, raw, err);
}

/* ---- reading ---- */

static int open_regular(const char *path, uint64_t *size, mk_err *err)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below); on a
     * regular file the flag changes nothing */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int dir = S_ISDIR(st.st_mode);
        close(fd);
        return dir ? mk_err_set(err, MK_EXIT_FAILURE, "'%s' is a directory, not a file", path)
                   : mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not a regular file (a pipe or device)", path);
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static int read_at(int fd, const char *path, char *buf, uint64_t off, uint64_t n, mk_err *err)
{
    while (n > 0) {
        ssize_t got = pread(fd, buf, n > (1u << 30) ? (1u << 30) : (size_t)n, (off_t)off);
        if (got <= 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "cannot read '%s': %s", path,
                              got == 0 ? "the file shrank while being read" : strerror(errno));
        buf += got;
        off += (uint64_t)got;
        n -= (uint64_t)got;
    }
    return 0;
}

static int no_nul(const char *path, const char *buf, uint64_t n, uint64_t off, mk_err *err)
{
    const char *nul = memchr(buf, '\0', n);
    if (nul != NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "'%s' has a NUL byte at offset %llu: not a text CSV file", path,
                          (unsigned long long)(off + (uint64_t)(nul - buf)));
    return 0;
}

static uint64_t bom_length(const char *buf, uint64_t n)
{
    return n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* The text of the cell that starts at p (its opening quote, if quoted), unescaped in place and
 * NUL-terminated; NULL for a missing value. The record was checked by the tokenizer. */
static const char *cell_at(const cursor *c, char *p)
{
    field f = {p, 0, 0};
    if (*p == '"') {
        f.quoted = 1;
        for (char *q = p + 1;;) {
            char *qq = memchr(q, '"', (size_t)(c->end - q));
            if (qq == NULL) /* not reached: the tokenizer found the closing quote */
                return NULL;
            if (qq + 1 < c->end && qq[1] == '"') {
                f.quoted = 2;
                q = qq + 2;
                continue;
            }
            f.s = p + 1;
            f.n = (size_t)(qq - (p + 1));
            break;
        }
    } else {
        char *q = p;
        while (q < c->end && !c->stop[(unsigned char)*q])
            q++;
        f.n = (size_t)(q - p);
        if ((q == c->end || *q == '\n') && f.n > 0 && p[f.n - 1] == '\r')
            f.n--;
    }
    return mk_csv_is_na(f.s, f.n) ? NULL : unescape_in_place(&f);
}

static void free_raw(char ***raw, int ncols)
{
    for (int k = 0; k < ncols; k++) {
        free(raw[k]);
        raw[k] = NULL;
    }
}

/* Text verdicts applied: text columns filled, the buffer kept as their storage (or freed).
 * When every text column was text from this rank's first row, its cells' starts are known
 * (raw) and become the strings; else a second pass of the tokenizer finds them. */
static int finish_frame(cursor c, mk_frame *f, const int *text, char *buf, char ***raw, mk_err *err)
{
    int any = 0, known = 1;
    for (int k = 0; k < c.ncols; k++) {
        any |= text[k];
        known &= !text[k] || raw[k] != NULL || f->nrows == 0;
    }
    if (!any || mk_frame_adopt(f, buf) != 0) {
        free(buf);
        free_raw(raw, c.ncols);
        return any ? mk_err_set(err, MK_EXIT_FAILURE, "out of memory") : 0;
    }
    if (!known || f->nrows == 0) {
        free_raw(raw, c.ncols);
        return pass_text(c, f, text, err);
    }
    for (int k = 0; k < c.ncols; k++) {
        if (!text[k] || raw[k] == NULL) /* (known: every text column has its raw starts) */
            continue;
        for (uint64_t r = 0; r < f->nrows; r++)
            raw[k][r] = (char *)cell_at(&c, raw[k][r]);
        free(f->cols[k]);
        f->cols[k] = NULL;
        f->strs[k] = (const char **)raw[k];
        raw[k] = NULL;
    }
    free_raw(raw, c.ncols);
    return 0;
}

int mk_frame_read_csv(const char *path, const mk_csv_opts *opts, mk_frame *f, mk_err *err)
{
    memset(f, 0, sizeof *f);
    uint64_t size;
    int fd = open_regular(path, &size, err);
    if (fd < 0)
        return -1;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory reading '%s'", path);
    }
    int rc = read_at(fd, path, buf, 0, size, err);
    close(fd);
    if (rc == 0)
        rc = no_nul(path, buf, size, 0, err);
    buf[size] = '\0';
    uint64_t bom = bom_length(buf, size);
    cursor c = {path, (char)(opts && opts->sep ? opts->sep : 0), 0, buf + bom, buf + size, 1, 1, {0}};
    cursor_set_sep(&c, (char)(c.sep ? c.sep : mk_csv_detect_sep(c.p, (size_t)(c.end - c.p))));
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    int text[MK_FRAME_MAX_COLS] = {0};
    if (rc == 0)
        rc = read_header(&c, names, err);
    char **raw[MK_FRAME_MAX_COLS] = {NULL};
    if (rc == 0)
        rc = parse_numbers(&c, names, f, text, raw, err);
    if (rc == 0)
        return finish_frame(c, f, text, buf, raw, err) == 0 ? 0 : (mk_frame_free(f), -1);
    free_raw(raw, MK_FRAME_MAX_COLS);
    free(buf);
    mk_frame_free(f);
    return -1;
}

/* This rank's share: bytes [lo, hi) of the file, read with the byte before lo (to tell whether
 * a record starts at lo). Sets *first to the first record start in [lo, hi), hi when none. */
typedef struct {
    char *buf;         /* file bytes [base, base + len), one spare byte after them */
    uint64_t base, len;
    uint64_t lo, hi, first, end;
} share;

/* Append n bytes of the file (from base + len) to s->buf, a block at a time, each checked for a
 * NUL at once: a huge binary or sparse file stops at its first block, and the buffer only grows
 * as far as the bytes read (so it is never larger than the share or the record that ends it). */
static int read_checked(int fd, const char *path, share *s, uint64_t n, mk_err *err)
{
    const uint64_t block = 4u << 20;
    uint64_t want = s->len + n;
    while (s->len < want) {
        uint64_t step = want - s->len < block ? want - s->len : block;
        char *nb = realloc(s->buf, s->len + step + 1);
        if (nb == NULL)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory reading '%s'", path);
        s->buf = nb;
        if (read_at(fd, path, s->buf + s->len, s->base + s->len, step, err) != 0 ||
            no_nul(path, s->buf + s->len, step, s->base + s->len, err) != 0)
            return -1;
        s->len += step;
    }
    return 0;
}

static int read_share(MPI_Comm comm, int fd, const char *path, uint64_t size, share *s, mk_err *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    mk_range r = mk_block_range(size, nranks, rank);
    s->lo = r.start;
    s->hi = r.start + r.count;
    s->base = s->lo > 0 ? s->lo - 1 : 0;
    if (read_checked(fd, path, s, s->hi - s->base, err) == 0 && s->buf == NULL && (s->buf = malloc(1)) == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory reading '%s'", path);
    /* quotes before lo decide whether lo is inside a quoted field: an exclusive scan */
    uint64_t quotes = 0, before = 0;
    if (err->code == 0)
        quotes = count_byte(s->buf + (s->lo - s->base), s->len - (s->lo - s->base), '"');
    MPI_Exscan(&quotes, &before, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        before = 0;
    int inq = (int)(before & 1);
    s->first = s->hi;
    if (err->code == 0 && rank == 0)
        s->first = bom_length(s->buf, s->len);
    else if (err->code == 0 && s->lo < s->hi) {
        if (s->len > 0 && s->buf[0] == '\n' && !inq)
            s->first = s->lo;
        for (uint64_t i = 1; s->first == s->hi && i < s->len; i++) {
            if (s->buf[i] == '"')
                inq = !inq;
            else if (s->buf[i] == '\n' && !inq && s->base + i + 1 < s->hi)
                s->first = s->base + i + 1;
        }
    }
    return mk_err_agree(comm, err);
}

/* Where this rank's records end: the next rank's first record, or the end of the file; the
 * bytes up to there are read. Rank 0 always holds the header, so it always has records. */
static int extend_share(MPI_Comm comm, int fd, const char *path, uint64_t size, share *s, mk_err *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    uint64_t *firsts = malloc((size_t)nranks * sizeof *firsts), *his = malloc((size_t)nranks * sizeof *his);
    if (firsts == NULL || his == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(comm, err) != 0) {
        free(firsts);
        free(his);
        return -1;
    }
    MPI_Allgather(&s->first, 1, MPI_UINT64_T, firsts, 1, MPI_UINT64_T, comm);
    MPI_Allgather(&s->hi, 1, MPI_UINT64_T, his, 1, MPI_UINT64_T, comm);
    s->end = size;
    for (int r = nranks - 1; r > rank; r--)
        if (firsts[r] < his[r])
            s->end = firsts[r];
    free(firsts);
    free(his);
    if (rank > 0 && s->first >= s->hi)
        s->end = s->first = s->hi; /* no record starts here */
    if (s->end > s->base + s->len)
        read_checked(fd, path, s, s->end - s->base - s->len, err);
    return mk_err_agree(comm, err);
}

/* Rank 0 reads the header and the separator; every rank gets them. */
static int share_header(MPI_Comm comm, cursor *c, char names[][MK_FRAME_NAME_MAX], mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        cursor_set_sep(c, (char)(c->sep ? c->sep : mk_csv_detect_sep(c->p, (size_t)(c->end - c->p))));
        read_header(c, names, err);
    }
    if (mk_err_agree(comm, err) != 0)
        return -1;
    MPI_Bcast(&c->sep, 1, MPI_CHAR, 0, comm);
    cursor_set_sep(c, c->sep);
    MPI_Bcast(&c->ncols, 1, MPI_INT, 0, comm);
    MPI_Bcast(names, c->ncols * MK_FRAME_NAME_MAX, MPI_CHAR, 0, comm);
    return 0;
}

/* This rank's records as a cursor: its first line's number comes from a scan of newlines. */
static cursor share_cursor(MPI_Comm comm, const char *path, const mk_csv_opts *opts, share *s)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    s->buf[s->len] = '\0';
    uint64_t nl = 0, lines_before = 0;
    nl = count_byte(s->buf + (s->first - s->base), s->end - s->first, '\n');
    MPI_Exscan(&nl, &lines_before, 1, MPI_UINT64_T, MPI_SUM, comm);
    return (cursor){path, (char)(opts && opts->sep ? opts->sep : 0), 0, s->buf + (s->first - s->base),
                    s->buf + (s->end - s->base), 1 + (rank == 0 ? 0 : lines_before), 1, {0}};
}

int mk_frame_read_csv_par(MPI_Comm comm, const char *path, const mk_csv_opts *opts, mk_frame *local,
                          uint64_t *row0, uint64_t *total, mk_err *err)
{
    memset(local, 0, sizeof *local);
    uint64_t size = 0;
    int fd = open_regular(path, &size, err);
    share s = {0};
    int rc = mk_err_agree(comm, err) != 0 || read_share(comm, fd, path, size, &s, err) != 0 ||
             extend_share(comm, fd, path, size, &s, err) != 0;
    if (fd >= 0)
        close(fd);
    if (rc) {
        free(s.buf);
        return -1;
    }
    cursor c = share_cursor(comm, path, opts, &s);
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    int text[MK_FRAME_MAX_COLS] = {0}, all_text[MK_FRAME_MAX_COLS] = {0};
    if (share_header(comm, &c, names, err) != 0) {
        free(s.buf);
        return -1;
    }
    char **raw[MK_FRAME_MAX_COLS] = {NULL};
    parse_numbers(&c, names, local, text, raw, err);
    if (mk_err_agree(comm, err) != 0) {
        free_raw(raw, MK_FRAME_MAX_COLS);
        free(s.buf);
        mk_frame_free(local);
        return -1;
    }
    MPI_Allreduce(text, all_text, c.ncols, MPI_INT, MPI_MAX, comm);
    finish_frame(c, local, all_text, s.buf, raw, err);
    if (mk_err_agree(comm, err) != 0) {
        mk_frame_free(local);
        return -1;
    }
    int rank;
    MPI_Comm_rank(comm, &rank);
    *row0 = 0;
    MPI_Exscan(&local->nrows, row0, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        *row0 = 0;
    MPI_Allreduce(&local->nrows, total, 1, MPI_UINT64_T, MPI_SUM, comm);
    return 0;
}

/* ---- writing ---- */

void mk_format_double(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%s", v < 0 ? "-inf" : "inf");
        return;
    }
    if (v == 0)
        v = 0.0; /* -0 prints as 0 */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Quoted when it holds a separator (any of the three the reader detects), a quote or a line
 * end, or starts like a BOM: what pandas quotes, and a little more, so it always reads back. */
static void write_text(FILE *out, const char *s)
{
    if (strpbrk(s, ",;\t\"\r\n") == NULL && (unsigned char)s[0] != 0xEF) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int mk_frame_write_csv(FILE *out, const mk_frame *f)
{
    for (int c = 0; c < f->ncols; c++) {
        if (c)
            fputc(',', out);
        write_text(out, f->names[c]);
    }
    fputc('\n', out);
    char num[40];
    for (uint64_t r = 0; r < f->nrows; r++) {
        for (int c = 0; c < f->ncols; c++) {
            if (c)
                fputc(',', out);
            if (f->ncols == 1 && (mk_frame_is_text(f, c) ? f->strs[c][r] == NULL : isnan(f->cols[c][r]))) {
                fputs("\"\"", out); /* an empty line would be skipped as blank */
            } else if (mk_frame_is_text(f, c)) {
                if (f->strs[c][r] != NULL)
                    write_text(out, f->strs[c][r]);
            } else {
                mk_format_double(num, sizeof num, f->cols[c][r]);
                fputs(num, out);
            }
        }
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}
