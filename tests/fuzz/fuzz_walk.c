/* fuzz_walk.c - the pure parts of src/walk.c: --name glob checking and matching, base
 * names and joins, and the two byte formats other ranks send (packed work items, raw
 * path lists).
 *
 * Glob mode (byte 0 even): the rest is PATTERN \0 NAME \0 NAME ... . A reference matcher
 * here implements the language walk.h claims (fnmatch(3) with flags 0 in the C locale, as
 * find -name): * ? \x and bracket expressions with ! or ^, a leading ], ranges, backslash
 * escapes and [:class:] names. mk_walk_glob_check must
 * reject exactly the empty pattern, a '/', a trailing lone backslash and an unterminated
 * class; for every accepted pattern fnmatch (what mk_walk_match calls) must agree with the
 * reference on every name, and mk_walk_match must add the kind and size filters exactly.
 * Collating symbols and equivalence classes ([.x.] [=x=]) are skipped: rare, and glibc's
 * rules for them are more than a reference can restate cheaply.
 *
 * Buffer mode (byte 0 odd): the rest is given to mk_dirstack_unpack, which must accept it
 * exactly when a naive reader finds well-formed items tiling it, then pack them back to the
 * same bytes; and to mk_pathlist_append_raw, whose records and sorted order are checked. */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/walk.h"

static void check(int ok, const char *what, const char *text)
{
    if (!ok) {
        fprintf(stderr, "fuzz_walk: %s ('%s')\n", what, text);
        abort();
    }
}

/* ---- reference glob ---- */

enum { T_CHAR, T_ANY, T_STAR, T_SET };
typedef struct {
    int kind;
    unsigned char c;
    unsigned char set[32]; /* bitmap of accepted bytes */
} token;

static void set_add(token *t, unsigned c) { t->set[c >> 3] |= (unsigned char)(1u << (c & 7)); }
static int set_has(const token *t, unsigned c) { return (t->set[c >> 3] >> (c & 7)) & 1; }

static int in_class(const char *name, size_t n, unsigned c)
{
    int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
    int alpha = upper || lower, space = c == ' ' || (c >= '\t' && c <= '\r');
    int print = c >= 0x20 && c < 0x7f, graph = c > 0x20 && c < 0x7f;
    static const struct { const char *name; int id; } classes[] = {
        {"alnum", 0}, {"alpha", 1}, {"blank", 2}, {"cntrl", 3}, {"digit", 4}, {"graph", 5},
        {"lower", 6}, {"print", 7}, {"punct", 8}, {"space", 9}, {"upper", 10}, {"xdigit", 11},
    };
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        if (strlen(classes[i].name) != n || memcmp(classes[i].name, name, n) != 0)
            continue;
        switch (classes[i].id) {
        case 0: return alpha || digit;
        case 1: return alpha;
        case 2: return c == ' ' || c == '\t';
        case 3: return c < 0x20 || c == 0x7f;
        case 4: return digit;
        case 5: return graph;
        case 6: return lower;
        case 7: return print;
        case 8: return graph && !alpha && !digit;
        case 9: return space;
        case 10: return upper;
        default: return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
    }
    return -1;
}

/* Parse a bracket expression at p ('['): 1 terminated (*end after ']'), 0 unterminated,
 * -1 outside what the reference restates. */
static int parse_bracket(const char *p, token *t, const char **end)
{
    memset(t, 0, sizeof *t);
    t->kind = T_SET;
    p++;
    int negate = *p == '!' || *p == '^';
    if (negate)
        p++;
    for (int first = 1;; first = 0) {
        unsigned char c = (unsigned char)*p;
        if (c == '\0')
            return 0;
        if (c == ']' && !first) {
            p++;
            break;
        }
        if (c == '[' && (p[1] == '.' || p[1] == '='))
            return -1;
        if (c == '[' && p[1] == ':') {
            const char *s = p + 2, *q = s;
            while (*q >= 'a' && *q < 'z')
                q++;
            if (q[0] == ':' && q[1] == ']') {
                size_t n = (size_t)(q - s);
                if (in_class(s, n, 'a') < 0)
                    return -1; /* unknown class name */
                for (unsigned b = 1; b < 256; b++)
                    if (in_class(s, n, b))
                        set_add(t, b);
                p = q + 2;
                if (*p == '-' && p[1] != ']')
                    return -1; /* a class as a range start */
                continue;
            }
            /* not a class name: '[' is an ordinary member */
        }
        if (c == '\\') {
            c = (unsigned char)p[1];
            if (c == '\0')
                return 0;
            p += 2;
        } else {
            p++;
        }
        if (*p == '-' && p[1] != ']' && p[1] != '\0') {
            unsigned char e = (unsigned char)p[1];
            if (e == '[' && (p[2] == '.' || p[2] == '=' || p[2] == ':'))
                return -1;
            if (e == '\\') {
                e = (unsigned char)p[2];
                if (e == '\0')
                    return 0;
                p += 3;
            } else {
                p += 2;
            }
            if (c > e || (*p == '-' && p[1] != ']'))
                return -1; /* reversed range, or a range running into another '-' */
            for (unsigned b = c; b <= e; b++)
                set_add(t, b);
        } else {
            set_add(t, c);
        }
    }
    if (negate)
        for (int i = 0; i < 32; i++)
            t->set[i] = (unsigned char)~t->set[i];
    t->set[0] &= (unsigned char)~1u; /* NUL never occurs in a name */
    *end = p;
    return 1;
}

/* Compile a pattern: token count, or -1 (unsupported). *unterminated: a '[' matched itself;
 * *trailing: a lone backslash at the end (such a pattern never matches). */
static int compile(const char *pat, token *toks, int *unterminated, int *trailing)
{
    int n = 0;
    *unterminated = *trailing = 0;
    for (const char *p = pat; *p != '\0';) {
        token *t = &toks[n++];
        memset(t, 0, sizeof *t);
        if (*p == '*') {
            t->kind = T_STAR;
            p++;
        } else if (*p == '?') {
            t->kind = T_ANY;
            p++;
        } else if (*p == '\\') {
            if (p[1] == '\0') {
                *trailing = 1;
                n--;
                break;
            }
            t->kind = T_CHAR;
            t->c = (unsigned char)p[1];
            p += 2;
        } else if (*p == '[') {
            const char *end;
            int rc = parse_bracket(p, t, &end);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                *unterminated = 1;
                t->kind = T_CHAR;
                t->c = '[';
                p++;
            } else {
                p = end;
            }
        } else {
            t->kind = T_CHAR;
            t->c = (unsigned char)*p++;
        }
    }
    return n;
}

static int tok_matches(const token *t, unsigned char c)
{
    return t->kind == T_ANY || (t->kind == T_CHAR && t->c == c) || (t->kind == T_SET && set_has(t, c));
}

/* Linear-time glob match: every token but * takes one byte, so backtracking to the last *
 * is enough. */
static int ref_match(const token *toks, int n, const char *name)
{
    int ti = 0, star = -1;
    size_t ni = 0, star_ni = 0, len = strlen(name);
    while (ni < len) {
        if (ti < n && toks[ti].kind == T_STAR) {
            star = ti++;
            star_ni = ni;
        } else if (ti < n && tok_matches(&toks[ti], (unsigned char)name[ni])) {
            ti++;
            ni++;
        } else if (star >= 0) {
            ti = star + 1;
            ni = ++star_ni;
        } else {
            return 0;
        }
    }
    while (ti < n && toks[ti].kind == T_STAR)
        ti++;
    return ti == n;
}

static void fuzz_glob(const char *buf, size_t len)
{
    const char *pat = buf;
    size_t plen = strlen(pat);
    mk_err err;
    mk_err_clear(&err);
    int rc = mk_walk_glob_check(pat, &err);
    if (rc != 0)
        check(err.code == MK_EXIT_USAGE && strstr(err.msg, "--name") != NULL, "glob_check: error message", pat);

    token *toks = malloc((plen + 1) * sizeof *toks);
    int unterminated, trailing;
    int n = compile(pat, toks, &unterminated, &trailing);
    int must_reject = plen == 0 || strchr(pat, '/') != NULL || trailing || (n >= 0 && unterminated);
    if (n >= 0) {
        if ((rc == 0) == must_reject)
            fprintf(stderr, "glob_check says %s\n", rc == 0 ? "ok" : err.msg);
        check((rc == 0) != must_reject, "glob_check verdict differs from the reference", pat);
    }

    /* names after the pattern; the filter's kind and size come from the name's length */
    for (const char *name = pat + plen + 1; name < buf + len; name += strlen(name) + 1) {
        if (*name == '\0' || strchr(name, '/') != NULL)
            continue; /* not a base name */
        int fn = fnmatch(pat, name, 0) == 0;
        /* patterns with an unterminated class are rejected before matching (glibc's own
         * reading of them varies between versions), so only the others are compared */
        if (n >= 0 && !trailing && !unterminated)
            check(fn == ref_match(toks, n, name), "fnmatch differs from the reference", name);
        size_t nl = strlen(name);
        mk_walk_filter f = {.name = pat, .type = (int)(nl % 4), .min_size = nl % 3,
                            .max_size = nl % 5 ? UINT64_MAX : 7};
        int kind = (int)(nl % 5) - 1; /* -1 (other) .. 3 */
        uint64_t size = nl * 3;
        int want = fn && (f.type == MK_WALK_ANY || kind == f.type) && size >= f.min_size && size <= f.max_size;
        check(mk_walk_match(&f, name, kind, size) == want, "mk_walk_match", name);
    }
    free(toks);

    /* the same text as a path: base name as find prints it, and a join */
    size_t blen = 0;
    const char *base = mk_walk_root_base(pat, &blen);
    /* the last non-empty component; "/" for a path of slashes only */
    const char *last = NULL;
    size_t last_len = 0;
    for (const char *c = pat; *c != '\0';) {
        size_t cl = strcspn(c, "/");
        if (cl > 0) {
            last = c;
            last_len = cl;
        }
        c += cl + (c[cl] == '/');
    }
    if (last == NULL)
        check(base == pat && blen == (plen > 0 ? 1 : 0), "root_base of slashes", pat);
    else
        check(base == last && blen == last_len, "root_base", pat);
    char *joined = malloc(2 * plen + 2);
    size_t jl = mk_walk_join(joined, pat, plen, pat, plen);
    int slash = plen == 0 || pat[plen - 1] != '/';
    check(jl == 2 * plen + (size_t)slash && strlen(joined) == jl && memcmp(joined, pat, plen) == 0 &&
              (!slash || joined[plen] == '/') && memcmp(joined + plen + (size_t)slash, pat, plen) == 0,
          "join", pat);
    free(joined);
}

/* ---- buffers ---- */

static uint32_t u32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void fuzz_buffers(const unsigned char *buf, size_t len)
{
    /* naive reader: u32 count, then per item u32 len, u32 nanc, u32 depth, path, nanc * 16 bytes */
    int valid = len >= 4;
    size_t off = 4, items = 0;
    uint32_t k = valid ? u32_at(buf) : 0;
    for (uint32_t i = 0; valid && i < k; i++) {
        if (len - off < 12) {
            valid = 0;
            break;
        }
        uint64_t plen = u32_at(buf + off), nanc = u32_at(buf + off + 4);
        off += 12;
        if (plen + nanc * 16 > len - off) {
            valid = 0;
            break;
        }
        off += plen + nanc * 16;
        items++;
    }
    valid = valid && off == len;

    mk_dirstack s;
    mk_dirstack_init(&s);
    size_t count = 99;
    int rc = mk_dirstack_unpack(&s, (const char *)buf, len, &count);
    check((rc == 0) == valid, "dirstack_unpack verdict differs from the reference", "");
    check(mk_dirstack_packed_count((const char *)buf, len) == (len < 4 ? -1 : (long)u32_at(buf)), "packed_count", "");
    if (valid) {
        check(count == items && s.n == items, "dirstack_unpack item count", "");
        char *out = NULL;
        size_t out_len = 0;
        check(mk_dirstack_pack_bottom(&s, s.n, &out, &out_len) == 0, "pack_bottom failed", "");
        check(out_len == len && memcmp(out, buf, len) == 0, "pack(unpack(x)) != x", "");
        check(s.n == 0, "pack_bottom left items", "");
        free(out);
    }
    mk_dirstack_free(&s);

    mk_pathlist l;
    mk_pathlist_init(&l);
    rc = mk_pathlist_append_raw(&l, (const char *)buf, len);
    int ok = len == 0 || buf[len - 1] == '\0';
    check((rc == 0) == ok, "pathlist_append_raw verdict", "");
    if (ok) {
        uint64_t records = 0;
        for (size_t i = 0; i < len; i++)
            records += buf[i] == '\0';
        check(l.count == records && l.len == len, "pathlist record count", "");
        const char **index = mk_pathlist_index(&l), **sorted = mk_pathlist_sorted(&l);
        const char *p = (const char *)l.data;
        for (uint64_t i = 0; i < records; i++) {
            check(index[i] == p, "pathlist index", "");
            p += strlen(p) + 1;
        }
        for (uint64_t i = 1; i < records; i++)
            check(strcmp(sorted[i - 1], sorted[i]) <= 0, "pathlist sorted order", "");
        free(index);
        free(sorted);
    }
    mk_pathlist_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        unsigned char *copy = malloc(size - 1 ? size - 1 : 1);
        memcpy(copy, data + 1, size - 1);
        fuzz_buffers(copy, size - 1);
        free(copy);
        return 0;
    }
    char *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    fuzz_glob(buf, size - 1);
    free(buf);
    return 0;
}
