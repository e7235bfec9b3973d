/* cli.c - command-line parsing with typed, range-checked values and messages that
 * name the option and quote the offending text. */
#include "mpikit/cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef MK_VERSION
#define MK_VERSION "unknown"
#endif

int mk_parse_int(const char *text, int64_t *value)
{
    if (text == NULL)
        return -1;
    /* strtoll would skip leading blanks and accept an empty digit run; we want the whole text. */
    const char *digits = (text[0] == '+' || text[0] == '-') ? text + 1 : text;
    if (!isdigit((unsigned char)*digits))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *value = (int64_t)v;
    return 0;
}

/* floor(0.DIGITS * 2^shift) exactly, by schoolbook multiplication from the last
 * digit: the carry out of the first digit is the integer part. It stays below
 * 2^shift, so 9 * 2^40 + carry fits easily. */
static uint64_t fraction_bytes(const char *digits, size_t n, int shift)
{
    uint64_t mult = (uint64_t)1 << shift, carry = 0;
    while (n-- > 0)
        carry = ((uint64_t)(digits[n] - '0') * mult + carry) / 10;
    return carry;
}

int mk_parse_size(const char *text, uint64_t *bytes)
{
    if (text == NULL || !isdigit((unsigned char)*text))
        return -1;
    const char *p = text;
    uint64_t whole = 0;
    for (; isdigit((unsigned char)*p); p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (whole > (UINT64_MAX - d) / 10)
            return -1;
        whole = whole * 10 + d;
    }
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*p == '.') {
        frac = ++p;
        while (isdigit((unsigned char)*p))
            p++;
        nfrac = (size_t)(p - frac);
        if (nfrac == 0)
            return -1;
    }

    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    default: break;
    }
    if (shift != 0)
        p++;
    if (shift != 0 && tolower((unsigned char)p[0]) == 'i' && tolower((unsigned char)p[1]) == 'b')
        p += 2;
    else if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*p != '\0')
        return -1;

    if (whole > UINT64_MAX >> shift)
        return -1;
    uint64_t v = whole << shift;
    uint64_t extra = frac != NULL ? fraction_bytes(frac, nfrac, shift) : 0;
    if (v > UINT64_MAX - extra)
        return -1;
    *bytes = v + extra;
    return 0;
}

int mk_parse_double(const char *text, double *value)
{
    /* Decimal only: strtod would also take hex floats ("0x1p4"), which no option means. */
    if (text == NULL || *text == '\0' || isspace((unsigned char)*text) || strpbrk(text, "xX") != NULL)
        return -1;
    char *end;
    double v = strtod(text, &end);
    /* Overflow comes back as HUGE_VAL, so isfinite also catches it; underflow is a fine 0. */
    if (end == text || *end != '\0' || !isfinite(v))
        return -1;
    *value = v;
    return 0;
}

int mk_parse_duration(const char *text, double *seconds)
{
    static const struct { const char *unit; double scale; } units[] = {
        { "", 1.0 }, { "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 },
        { "s", 1.0 }, { "m", 60.0 }, { "h", 3600.0 },
    };
    /* Requiring a leading digit rejects signs, blanks, "inf" and "nan" in one test; no 'x'
     * rejects hex floats ("0x10s"). */
    if (text == NULL || !(isdigit((unsigned char)*text) || *text == '.') || strpbrk(text, "xX") != NULL)
        return -1;
    char *end;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v))
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double s = v * units[i].scale;
            if (!isfinite(s))
                return -1;
            *seconds = s;
            return 0;
        }
    }
    return -1;
}

const char *mk_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (buf == NULL || len == 0)
        return buf;
    if (bytes < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0; /* at least 1 KiB here */
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    /* Large units get an extra digit: 0.01 GiB is still 10 MiB. */
    snprintf(buf, len, u >= 2 ? "%.2f %s" : "%.1f %s", v, units[u]);
    return buf;
}

/* --- option lookup --------------------------------------------------------- */

static const mk_option *find_long(const mk_cli *cli, const char *name, size_t len)
{
    for (int i = 0; i < cli->nopts; i++) {
        const char *n = cli->opts[i].name;
        if (n != NULL && strlen(n) == len && strncmp(n, name, len) == 0)
            return &cli->opts[i];
    }
    return NULL;
}

static const mk_option *find_short(const mk_cli *cli, char c)
{
    for (int i = 0; i < cli->nopts; i++)
        if (cli->opts[i].short_name != 0 && cli->opts[i].short_name == c)
            return &cli->opts[i];
    return NULL;
}

/* How messages refer to an option: by its long name whichever spelling was used. */
static const char *opt_label(const mk_option *o, char *buf, size_t len)
{
    if (o->name != NULL)
        snprintf(buf, len, "--%s", o->name);
    else
        snprintf(buf, len, "-%c", o->short_name);
    return buf;
}

static const char *default_metavar(const mk_option *o)
{
    switch (o->kind) {
    case MK_OPT_INT: return "N";
    case MK_OPT_SIZE: return "SIZE";
    case MK_OPT_DOUBLE: return "X";
    case MK_OPT_DURATION: return "TIME";
    case MK_OPT_CHOICE: return o->choices != NULL ? o->choices : "CHOICE";
    case MK_OPT_STRING: return "TEXT";
    case MK_OPT_FLAG: break;
    }
    return "";
}

/* Index of value among the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *value)
{
    if (choices == NULL)
        return -1;
    size_t vlen = strlen(value);
    int index = 0;
    for (const char *p = choices;; index++) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return index;
        if (bar == NULL)
            return -1;
        p = bar + 1;
    }
}

static int bounded_i64(const mk_option *o)
{
    return o->min != 0 || o->max != 0;
}

static int bounded_f64(const mk_option *o)
{
    return o->dmin != 0.0 || o->dmax != 0.0;
}

/* Validate the whole value before touching the target, so a rejected value
 * leaves the default in place. */
static int apply_value(const mk_option *o, const char *value, mk_err *err)
{
    char label[128];
    opt_label(o, label, sizeof label);

    switch (o->kind) {
    case MK_OPT_FLAG:
        if (o->target != NULL)
            *(int *)o->target = 1;
        return 0;
    case MK_OPT_INT: {
        int64_t v;
        if (mk_parse_int(value, &v) != 0)
            return mk_err_set(err, MK_EXIT_USAGE, "%s: '%s' is not an integer", label, value);
        if (bounded_i64(o) && (v < o->min || v > o->max))
            return mk_err_set(err, MK_EXIT_USAGE, "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                              label, v, o->min, o->max);
        if (o->target != NULL)
            *(int64_t *)o->target = v;
        return 0;
    }
    case MK_OPT_SIZE: {
        uint64_t v;
        if (mk_parse_size(value, &v) != 0)
            return mk_err_set(err, MK_EXIT_USAGE,
                              "%s: '%s' is not a size (examples: 4096, 64K, 64M, 1G)", label, value);
        /* Negative bounds cannot be met by a size; read them as 0. */
        uint64_t lo = o->min > 0 ? (uint64_t)o->min : 0, hi = o->max > 0 ? (uint64_t)o->max : 0;
        if (bounded_i64(o) && (v < lo || v > hi))
            return mk_err_set(err, MK_EXIT_USAGE, "%s: %s is out of range [%" PRIu64 ", %" PRIu64 "]",
                              label, value, lo, hi);
        if (o->target != NULL)
            *(uint64_t *)o->target = v;
        return 0;
    }
    case MK_OPT_DOUBLE:
    case MK_OPT_DURATION: {
        double v;
        int duration = o->kind == MK_OPT_DURATION;
        if (!duration && mk_parse_double(value, &v) != 0)
            return mk_err_set(err, MK_EXIT_USAGE, "%s: '%s' is not a number", label, value);
        if (duration && mk_parse_duration(value, &v) != 0)
            return mk_err_set(err, MK_EXIT_USAGE,
                              "%s: '%s' is not a duration (examples: 500ms, 2s, 1.5m, 1h)", label, value);
        if (bounded_f64(o) && (v < o->dmin || v > o->dmax))
            return mk_err_set(err, MK_EXIT_USAGE, "%s: %s is out of range [%g%s, %g%s]", label, value,
                              o->dmin, duration ? "s" : "", o->dmax, duration ? "s" : "");
        if (o->target != NULL)
            *(double *)o->target = v;
        return 0;
    }
    case MK_OPT_STRING:
        /* No option means anything by an empty text: a path, a pattern or a spec would
         * otherwise fail later with a message that names no option (or not fail at all). */
        if (value[0] == '\0')
            return mk_err_set(err, MK_EXIT_USAGE, "%s: empty value", label);
        if (o->target != NULL)
            *(const char **)o->target = value;
        return 0;
    case MK_OPT_CHOICE: {
        int index = choice_index(o->choices, value);
        if (index < 0)
            return mk_err_set(err, MK_EXIT_USAGE, "%s: '%s' is not one of %s", label, value,
                              o->choices != NULL ? o->choices : "");
        if (o->target != NULL)
            *(int *)o->target = index;
        return 0;
    }
    }
    return mk_err_set(err, MK_EXIT_FAILURE, "%s: unknown option kind %d", label, (int)o->kind);
}

/* --- help ------------------------------------------------------------------ */

/* The built-ins give way to a job's own option of the same spelling. */
static int help_short_free(const mk_cli *cli)
{
    return find_short(cli, 'h') == NULL;
}

static int builtin_free(const mk_cli *cli, const char *name)
{
    return find_long(cli, name, strlen(name)) == NULL;
}

static void option_left(const mk_option *o, char *buf, size_t len)
{
    char shortpart[8] = "    ";
    if (o->short_name != 0)
        snprintf(shortpart, sizeof shortpart, "-%c%s", o->short_name, o->name != NULL ? ", " : "");
    const char *meta = o->kind == MK_OPT_FLAG ? "" : (o->metavar != NULL ? o->metavar : default_metavar(o));
    snprintf(buf, len, "%s%s%s%s%s", shortpart, o->name != NULL ? "--" : "",
             o->name != NULL ? o->name : "", *meta != '\0' ? " " : "", meta);
}

static void help_line(FILE *out, const char *left, int width, const char *help)
{
    if (help == NULL || *help == '\0')
        fprintf(out, "  %s\n", left);
    else
        fprintf(out, "  %-*s  %s\n", width, left, help);
}

void mk_cli_help(const mk_cli *cli, FILE *out)
{
    if (out == NULL)
        return;
    char left[256];
    const char *help_left = help_short_free(cli) ? "-h, --help" : "    --help";
    int show_help = builtin_free(cli, "help"), show_version = builtin_free(cli, "version");

    int width = show_help ? (int)strlen(help_left) : 0;
    if (show_version && width < 13)
        width = 13; /* strlen("    --version") */
    for (int i = 0; i < cli->nopts; i++) {
        option_left(&cli->opts[i], left, sizeof left);
        if ((int)strlen(left) > width)
            width = (int)strlen(left);
    }

    fprintf(out, "usage: %s %s\n", cli->prog != NULL ? cli->prog : "",
            cli->usage != NULL ? cli->usage : "[options]");
    if (cli->summary != NULL && *cli->summary != '\0')
        fprintf(out, "\n%s\n", cli->summary);
    fputs("\noptions:\n", out);
    for (int i = 0; i < cli->nopts; i++) {
        option_left(&cli->opts[i], left, sizeof left);
        help_line(out, left, width, cli->opts[i].help);
    }
    if (show_help)
        help_line(out, help_left, width, "show this help and exit");
    if (show_version)
        help_line(out, "    --version", width, "show the version and exit");
}

/* --- parsing --------------------------------------------------------------- */

/* The name of the positional argument at `index` as written in the usage line
 * ("[options] FILE..." gives FILE), so the error says what is missing.
 * Bracketed parts are optional and skipped. Returns 0 when usage names none. */
static int usage_arg_name(const char *usage, int index, char *buf, size_t len)
{
    int depth = 0, found = 0;
    const char *p = usage != NULL ? usage : "";
    while (*p != '\0') {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        int starts_at = depth;
        while (*p != '\0' && !isspace((unsigned char)*p)) {
            if (*p == '[')
                depth++;
            else if (*p == ']' && depth > 0)
                depth--;
            p++;
        }
        if (starts_at != 0 || *start == '[')
            continue;
        size_t n = (size_t)(p - start);
        int variadic = n > 3 && strncmp(p - 3, "...", 3) == 0;
        if (variadic)
            n -= 3;
        /* A variadic name stands for every argument from its position on. */
        if (found == index || variadic) {
            snprintf(buf, len, "%.*s", (int)n, start);
            return 1;
        }
        found++;
    }
    return 0;
}

static void parse_error_positional(const mk_cli *cli, int npos, mk_err *err)
{
    char name[64];
    if (usage_arg_name(cli->usage, npos, name, sizeof name))
        mk_err_set(err, MK_EXIT_USAGE, "missing %s argument", name);
    else
        mk_err_set(err, MK_EXIT_USAGE, "missing argument (expected at least %d)", cli->min_positional);
}

/* Outcome of one builtin: print what was asked and report MK_CLI_EXIT. */
static int run_builtin(const mk_cli *cli, const char *name, FILE *out)
{
    if (out != NULL) {
        if (strcmp(name, "help") == 0)
            mk_cli_help(cli, out);
        else
            fprintf(out, "%s (mpikit) %s\n", cli->prog != NULL ? cli->prog : "", MK_VERSION);
    }
    return MK_CLI_EXIT;
}

/* Handles one "--name[=value]" argument at argv[*i]; may consume the next one. */
static int parse_long(const mk_cli *cli, int argc, char **argv, int *i, FILE *out, mk_err *err)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const mk_option *o = find_long(cli, name, len);
    if (o == NULL) {
        static const char *const builtins[] = { "help", "version" };
        for (int b = 0; b < 2; b++) {
            if (strlen(builtins[b]) != len || strncmp(name, builtins[b], len) != 0)
                continue;
            if (eq != NULL) {
                mk_err_set(err, MK_EXIT_USAGE, "--%s takes no value", builtins[b]);
                return MK_CLI_ERROR;
            }
            return run_builtin(cli, builtins[b], out);
        }
        mk_err_set(err, MK_EXIT_USAGE, "unknown option '--%.*s'", (int)len, name);
        return MK_CLI_ERROR;
    }

    const char *value = NULL;
    if (o->kind == MK_OPT_FLAG) {
        if (eq != NULL) {
            mk_err_set(err, MK_EXIT_USAGE, "--%s takes no value", o->name);
            return MK_CLI_ERROR;
        }
    } else if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        mk_err_set(err, MK_EXIT_USAGE, "--%s: missing value", o->name);
        return MK_CLI_ERROR;
    }
    return apply_value(o, value, err) == 0 ? MK_CLI_OK : MK_CLI_ERROR;
}

/* Handles "-k VALUE", "-kVALUE" and bundled flags such as "-vq". */
static int parse_short(const mk_cli *cli, int argc, char **argv, int *i, FILE *out, mk_err *err)
{
    for (const char *p = argv[*i] + 1; *p != '\0'; p++) {
        const mk_option *o = find_short(cli, *p);
        if (o == NULL) {
            if (*p == 'h')
                return run_builtin(cli, "help", out);
            mk_err_set(err, MK_EXIT_USAGE, "unknown option '-%c'", *p);
            return MK_CLI_ERROR;
        }
        if (o->kind == MK_OPT_FLAG) {
            apply_value(o, NULL, err);
            continue;
        }
        const char *value;
        if (p[1] != '\0') {
            value = p + 1;
        } else if (*i + 1 < argc) {
            value = argv[++*i];
        } else {
            char label[128];
            mk_err_set(err, MK_EXIT_USAGE, "%s: missing value", opt_label(o, label, sizeof label));
            return MK_CLI_ERROR;
        }
        return apply_value(o, value, err) == 0 ? MK_CLI_OK : MK_CLI_ERROR;
    }
    return MK_CLI_OK;
}

int mk_cli_parse(const mk_cli *cli, int argc, char **argv, FILE *out,
                 char ***positional, int *npositional, mk_err *err)
{
    mk_err_clear(err);
    if (positional != NULL)
        *positional = NULL;
    if (npositional != NULL)
        *npositional = 0;

    /* One slot per argument is always enough, plus a NULL terminator. */
    char **pos = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *pos);
    if (pos == NULL) {
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        return MK_CLI_ERROR;
    }
    int npos = 0, rc = MK_CLI_OK, options_done = 0;
    for (int i = 1; i < argc && rc == MK_CLI_OK; i++) {
        char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0')
            pos[npos++] = arg;
        else if (strcmp(arg, "--") == 0)
            options_done = 1;
        else if (arg[1] == '-')
            rc = parse_long(cli, argc, argv, &i, out, err);
        else
            rc = parse_short(cli, argc, argv, &i, out, err);
    }
    pos[npos] = NULL;

    if (rc == MK_CLI_OK && npos < cli->min_positional) {
        parse_error_positional(cli, npos, err);
        rc = MK_CLI_ERROR;
    } else if (rc == MK_CLI_OK && cli->max_positional >= 0 && npos > cli->max_positional) {
        mk_err_set(err, MK_EXIT_USAGE, "too many arguments");
        rc = MK_CLI_ERROR;
    }

    if (rc != MK_CLI_OK) {
        free(pos);
        return rc;
    }
    if (npositional != NULL)
        *npositional = npos;
    if (positional != NULL)
        *positional = pos;
    else
        free(pos);
    return MK_CLI_OK;
}

const char *mk_cli_peek(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
            continue;
        if (a[2 + n] == '=')
            return a + 3 + n;
        if (a[2 + n] == '\0' && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}
