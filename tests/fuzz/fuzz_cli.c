/* fuzz_cli.c - the option value parsers and the argv parser of src/cli.c.
 *
 * mk_parse_int, mk_parse_size, mk_parse_double and mk_parse_duration are compared with
 * references written here from the rules cli.h and the unit tests document:
 *   int:      [+-]? digits, nothing else, within int64 (exact, by digit accumulation)
 *   size:     digits [. digits] [K|M|G|T [iB] | B] (case-insensitive, binary units), the value
 *             floor(number * unit) (the fraction's bits found by repeated decimal doubling),
 *             at most UINT64_MAX; no sign, no blanks, no exponent
 *   double:   a decimal number [+-]? (digits [. digits] | . digits) [e [+-] digits], finite
 *   duration: the same without a sign, then "", ns, us, ms, s, m or h; finite in seconds
 * A rejected value must leave the output untouched. mk_format_bytes is checked against the
 * value it prints. Then the input, split at NUL bytes, is an argv for mk_cli_parse with one
 * option of every kind: whatever the verdict, no crash, a usage error names a problem, the
 * positionals come from argv, and parsing twice gives the same verdict and message.
 *
 * Input: the text (up to the first NUL) for the value parsers; the whole input as argv. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/cli.h"

static void check(int ok, const char *what, const char *text)
{
    if (!ok) {
        fprintf(stderr, "fuzz_cli: %s (input '%s')\n", what, text);
        abort();
    }
}

static int digit(char c) { return c >= '0' && c <= '9'; }
/* ASCII letters only, so the int arithmetic always fits a char */
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; } // NOLINT(bugprone-narrowing-conversions)

/* ---- references ---- */

static int ref_int(const char *s, int64_t *v)
{
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!digit(*s))
        return -1;
    uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (mag > (limit - d) / 10)
            return -1;
        mag = mag * 10 + d;
    }
    if (*s != '\0')
        return -1;
    *v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return 0;
}

/* floor(0.DIGITS * 2^shift): the first `shift` bits of the binary expansion, each the carry
 * out of doubling the decimal fraction. Only the first 60 digits matter: m / 2^shift has at
 * most shift (<= 40) decimal digits, so cutting later digits cannot cross an integer. */
static uint64_t ref_fraction(const char *digits, size_t n, int shift)
{
    unsigned char d[60];
    if (n > sizeof d)
        n = sizeof d;
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)(digits[i] - '0');
    uint64_t bits = 0;
    for (int b = 0; b < shift; b++) {
        int carry = 0;
        for (size_t i = n; i-- > 0;) {
            int x = d[i] * 2 + carry;
            d[i] = (unsigned char)(x % 10);
            carry = x / 10;
        }
        bits = bits << 1 | (uint64_t)carry;
    }
    return bits;
}

static int ref_size(const char *s, uint64_t *v)
{
    const char *p = s;
    unsigned __int128 whole = 0;
    if (!digit(*p))
        return -1;
    for (; digit(*p); p++) {
        whole = whole * 10 + (unsigned)(*p - '0');
        if (whole > UINT64_MAX)
            return -1;
    }
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*p == '.') {
        frac = ++p;
        while (digit(*p))
            p++;
        nfrac = (size_t)(p - frac);
        if (nfrac == 0)
            return -1;
    }
    int shift = 0;
    const char *units = "kmgt";
    const char *u = *p ? strchr(units, lower(*p)) : NULL;
    if (u != NULL) {
        shift = 10 * (int)(u - units + 1);
        p++;
        if (lower(p[0]) == 'i' && lower(p[1]) == 'b')
            p += 2;
        else if (lower(p[0]) == 'b')
            p++;
    } else if (lower(*p) == 'b') {
        p++;
    }
    if (*p != '\0')
        return -1;
    unsigned __int128 total = (whole << shift) + (frac ? ref_fraction(frac, nfrac, shift) : 0);
    if (total > UINT64_MAX)
        return -1;
    *v = (uint64_t)total;
    return 0;
}

/* Length of a decimal number at s (sign allowed when `sign`), 0 if none. */
static size_t ref_decimal(const char *s, int sign)
{
    const char *p = s;
    if (sign && (*p == '+' || *p == '-'))
        p++;
    size_t id = 0, fd = 0;
    while (digit(*p)) {
        p++;
        id++;
    }
    if (*p == '.') {
        p++;
        while (digit(*p)) {
            p++;
            fd++;
        }
    }
    if (id + fd == 0)
        return 0;
    if (lower(*p) == 'e') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (digit(*q)) {
            while (digit(*q))
                q++;
            p = q;
        }
    }
    return (size_t)(p - s);
}

static int ref_double(const char *s, double *v)
{
    size_t n = ref_decimal(s, 1);
    if (n == 0 || s[n] != '\0')
        return -1;
    *v = strtod(s, NULL);
    return isfinite(*v) ? 0 : -1;
}

static int ref_duration(const char *s, double *v)
{
    static const struct { const char *unit; double scale; } units[] = {
        {"", 1.0}, {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0},
    };
    size_t n = ref_decimal(s, 0);
    if (n == 0)
        return -1;
    char *num = strndup(s, n);
    double x = strtod(num, NULL);
    free(num);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(s + n, units[i].unit) == 0) {
            *v = x * units[i].scale;
            return isfinite(x) && isfinite(*v) ? 0 : -1;
        }
    return -1;
}

/* ---- value parsers against the references ---- */

static void fuzz_values(const char *text)
{
    int64_t i1 = 12345, i2 = 0;
    int rc = mk_parse_int(text, &i1), ref = ref_int(text, &i2);
    check(rc == ref, "mk_parse_int verdict", text);
    check(rc == 0 ? i1 == i2 : i1 == 12345, "mk_parse_int value", text);

    uint64_t s1 = 12345, s2 = 0;
    rc = mk_parse_size(text, &s1);
    ref = ref_size(text, &s2);
    check(rc == ref, "mk_parse_size verdict", text);
    check(rc == 0 ? s1 == s2 : s1 == 12345, "mk_parse_size value", text);

    double d1 = 12345, d2 = 0;
    rc = mk_parse_double(text, &d1);
    ref = ref_double(text, &d2);
    check(rc == ref, "mk_parse_double verdict", text);
    /* bit-identical on purpose: two parses of one text must give the same bits, NaN and -0 included */
    check(rc == 0 ? memcmp(&d1, &d2, sizeof d1) == 0 : d1 == 12345, "mk_parse_double value", text); // NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)

    d1 = 12345;
    rc = mk_parse_duration(text, &d1);
    ref = ref_duration(text, &d2);
    check(rc == ref, "mk_parse_duration verdict", text);
    check(rc == 0 ? d1 == d2 && d1 >= 0 : d1 == 12345, "mk_parse_duration value", text);
}

/* The printed figure, read back, is the byte count to the printed precision. */
static void fuzz_format(uint64_t bytes)
{
    char buf[32];
    mk_format_bytes(bytes, buf, sizeof buf);
    double shown;
    char unit[8];
    /* the text is mk_format_bytes output, not user input; the count check is enough here */
    check(sscanf(buf, "%lf %7s", &shown, unit) == 2, "format: unreadable", buf); // NOLINT(cert-err34-c)
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = -1;
    for (int i = 0; i < 7; i++)
        if (strcmp(unit, units[i]) == 0)
            u = i;
    check(u >= 0, "format: unknown unit", buf);
    double exact = (double)bytes / pow(1024.0, u);
    double tolerance = u == 0 ? 0 : (u >= 3 ? 0.005 : 0.05) * 1.0001;
    check(fabs(shown - exact) <= tolerance + 1e-9 * exact, "format: printed value is off", buf);
    check(u == 0 ? bytes < 1024 : exact >= 0.9995 && (exact < 1024 || u == 6), "format: unit not the largest below",
          buf);
}

/* ---- argv ---- */

typedef struct {
    int flag, verbose, choice;
    int64_t num;
    uint64_t size;
    double x, dur;
    const char *str;
} targets;

static int run_cli(int argc, char **argv, targets *t, char *msg, int *npos_out)
{
    const mk_option opts[] = {
        {"flag", 'f', MK_OPT_FLAG, &t->flag, NULL, "a flag", 0, 0, 0, 0, NULL},
        {NULL, 'v', MK_OPT_FLAG, &t->verbose, NULL, "short only", 0, 0, 0, 0, NULL},
        {"num", 'n', MK_OPT_INT, &t->num, "N", "bounded int", -5, 1000, 0, 0, NULL},
        {"size", 's', MK_OPT_SIZE, &t->size, NULL, "bounded size", 1, 1 << 30, 0, 0, NULL},
        {"x", 0, MK_OPT_DOUBLE, &t->x, NULL, "unbounded double", 0, 0, 0, 0, NULL},
        {"dur", 'd', MK_OPT_DURATION, &t->dur, NULL, "bounded duration", 0, 0, 0.001, 60, NULL},
        {"str", 0, MK_OPT_STRING, &t->str, NULL, NULL, 0, 0, 0, 0, NULL},
        {"format", 'F', MK_OPT_CHOICE, &t->choice, NULL, "choice", 0, 0, 0, 0, "text|csv||json"},
    };
    mk_cli cli = {"fuzz", "[options] FILE [MORE]...", "Fuzzing.", opts, (int)(sizeof opts / sizeof opts[0]), 1, 3};
    char **pos = NULL;
    int npos = -1;
    mk_err err;
    char *help = NULL;
    size_t help_len = 0;
    FILE *out = open_memstream(&help, &help_len);
    int rc = mk_cli_parse(&cli, argc, argv, out, &pos, &npos, &err);
    fclose(out);
    if (rc == MK_CLI_ERROR) {
        check(err.code == MK_EXIT_USAGE && err.msg[0] != '\0', "cli: error without usage code or message", err.msg);
        check(pos == NULL, "cli: positionals returned with an error", err.msg);
        snprintf(msg, MK_ERR_MSG_MAX, "%s", err.msg);
    } else if (rc == MK_CLI_EXIT) {
        check(help_len > 0, "cli: --help/--version printed nothing", "");
        check(pos == NULL, "cli: positionals returned with exit", "");
    } else {
        check(rc == MK_CLI_OK && err.code == 0, "cli: unknown verdict", "");
        check(npos >= 1 && npos <= 3 && pos != NULL && pos[npos] == NULL, "cli: positional count", "");
        for (int i = 0; i < npos; i++) {
            int from_argv = 0;
            for (int a = 1; a < argc; a++)
                from_argv |= pos[i] == argv[a];
            check(from_argv, "cli: positional not from argv", pos[i]);
        }
        check(t->num >= -5 && t->num <= 1000, "cli: int out of its bounds", "");
        check(t->size >= 1 && t->size <= 1 << 30, "cli: size out of its bounds", "");
        check(t->dur >= 0.001 && t->dur <= 60, "cli: duration out of its bounds", "");
        check(t->choice >= 0 && t->choice <= 3, "cli: choice index", "");
    }
    free(pos);
    free(help);
    *npos_out = npos;
    return rc;
}

static void fuzz_argv(const uint8_t *data, size_t size)
{
    /* argv[0] is the program; each NUL-terminated piece of the input is one argument */
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    int argc = 1;
    for (size_t i = 0; i < size; i++)
        argc += buf[i] == '\0';
    argc += 1;
    char **argv = malloc((size_t)(argc + 1) * sizeof *argv);
    argv[0] = "fuzz";
    int k = 1;
    for (char *p = buf; p <= buf + size; p += strlen(p) + 1)
        argv[k++] = p;
    argc = k;
    argv[argc] = NULL;

    targets t1 = {0, 0, 0, 1, 1, 0, 1, NULL}, t2 = t1;
    char m1[MK_ERR_MSG_MAX] = "", m2[MK_ERR_MSG_MAX] = "";
    int n1, n2;
    int rc1 = run_cli(argc, argv, &t1, m1, &n1), rc2 = run_cli(argc, argv, &t2, m2, &n2);
    check(rc1 == rc2 && n1 == n2 && strcmp(m1, m2) == 0, "cli: two parses disagree", m1);

    const char *peek = mk_cli_peek(argc, argv, "num");
    if (peek != NULL) {
        int inside = 0;
        for (int a = 1; a < argc; a++)
            inside |= peek >= argv[a] && peek <= argv[a] + strlen(argv[a]);
        check(inside, "peek: result not inside argv", peek);
    }
    free(argv);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size);
    fuzz_values(text);
    free(text);
    uint64_t bytes = 0;
    memcpy(&bytes, data, size < 8 ? size : 8);
    fuzz_format(bytes);
    fuzz_argv(data, size);
    return 0;
}
