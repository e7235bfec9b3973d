/* walk.h - a directory walk cut into work items (one directory each) with find-like filters.
 * Nothing here talks MPI: a rank reads one directory at a time, pushes the subdirectories it
 * finds onto a stack (the work items other ranks may take) and appends matching paths to a list.
 * The MPI side (messages, termination, output) is in walk_net.h. */
#ifndef MPIKIT_WALK_H
#define MPIKIT_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mpikit/error.h"

/* --type: what an entry must be to match (symlinks count as their target under --follow). */
typedef enum { MK_WALK_ANY = 0, MK_WALK_FILE = 1, MK_WALK_DIR = 2, MK_WALK_LINK = 3 } mk_walk_type;

typedef struct {
    const char *name;    /* fnmatch(3) glob on the base name (flags 0, like find -name); NULL: any */
    int type;            /* mk_walk_type */
    uint64_t min_size;   /* inclusive bounds on st_size; 0 and UINT64_MAX mean no bound */
    uint64_t max_size;
    int follow;          /* follow symbolic links, with loop detection (find -L) */
    /* Below: zero means "no such test", so a filter written as the five fields above is valid. */
    const char *const *names;  /* OR-ed base-name globs (find \( -name A -o -iname B \)) */
    const int *names_fold;     /* per glob: 1 to ignore case (--iname), or NULL for none */
    int nnames;
    const char *const *paths;  /* OR-ed globs on the whole path as printed (find -path) */
    int npaths;
    const char *const *prunes; /* entries whose base name matches are neither listed nor entered */
    int nprunes;
    int has_max_depth;         /* find -maxdepth: entries deeper than max_depth are not visited */
    uint32_t max_depth;
    uint32_t min_depth;        /* find -mindepth: shallower entries are walked but not tested */
    int empty;                 /* find -empty: a regular file of size 0 or a directory without entries */
    int has_newer;             /* find -newer: modified strictly after (newer_sec, newer_nsec) */
    int64_t newer_sec, newer_nsec;
    int has_mtime;             /* find -mtime: whole days since modification, compared with mtime_days */
    int mtime_cmp;             /* -1: fewer than, 0: exactly, 1: more than mtime_days */
    int64_t mtime_days;
    int64_t now;               /* the reference time of --mtime (seconds since the epoch), agreed */
} mk_walk_filter;

/* Counters; every field is a sum over ranks (a uint64_t array for MPI_Reduce). */
typedef struct {
    uint64_t dirs;        /* directories opened and read */
    uint64_t entries;     /* paths find would list: starting points plus every entry read */
    uint64_t files;       /* regular files among them */
    uint64_t matched;     /* entries that passed the filters */
    uint64_t bytes;       /* st_size summed over the matches */
    uint64_t unreadable;  /* directories that could not be opened or read (reported, not fatal) */
    uint64_t loops;       /* --follow: links back to an ancestor, not descended */
    uint64_t errors;      /* entries whose status could not be read */
} mk_walk_totals;
#define MK_WALK_NTOTALS ((int)(sizeof(mk_walk_totals) / sizeof(uint64_t)))

/* One work item: a directory still to be read. Under --follow it carries the (dev, ino)
 * pairs of itself and its ancestors, so a loop is found wherever the item travels. */
typedef struct {
    char *path;        /* malloc'd, NUL-terminated */
    uint32_t len;
    uint32_t nanc;     /* pairs in anc */
    uint64_t *anc;     /* malloc'd [dev, ino] * nanc, or NULL */
    uint32_t depth;    /* 0 for a starting point, like find's depth */
} mk_walk_item;

void mk_walk_item_free(mk_walk_item *it);

/* A stack of work items. The owner pops from the top (depth first: memory stays small);
 * items given away leave from the bottom (the shallowest, likely the biggest subtrees). */
typedef struct {
    mk_walk_item *items;
    size_t n, cap;
} mk_dirstack;

void mk_dirstack_init(mk_dirstack *s);
void mk_dirstack_free(mk_dirstack *s);
/* Push (the stack takes the item's memory). Returns 0 or -1 (no memory; item freed). */
int mk_dirstack_push(mk_dirstack *s, mk_walk_item *it);
/* Pop the top item into *it; 0 when empty. */
int mk_dirstack_pop(mk_dirstack *s, mk_walk_item *it);
/* Remove the k bottom items (k <= n) and serialise them: u32 count, then per item u32 len,
 * u32 nanc, u32 depth, the path bytes, nanc * 2 u64. *buf is malloc'd (also for k == 0). */
int mk_dirstack_pack_bottom(mk_dirstack *s, size_t k, char **buf, size_t *len);
/* Push every item of a packed buffer; *count receives how many. -1 on a malformed buffer. */
int mk_dirstack_unpack(mk_dirstack *s, const char *buf, size_t len, size_t *count);
/* Number of items in a packed buffer without unpacking (-1 if too short). */
long mk_dirstack_packed_count(const char *buf, size_t len);

/* A list of paths, stored NUL-terminated back to back (a path cannot hold a NUL byte, so
 * this is exact for newlines and any non-UTF-8 bytes). */
typedef struct {
    char *data;
    size_t len, cap;
    uint64_t count;
} mk_pathlist;

void mk_pathlist_init(mk_pathlist *l);
void mk_pathlist_free(mk_pathlist *l);
void mk_pathlist_clear(mk_pathlist *l);
/* Append a + b (b may be NULL) as one path, with sep between them when sep != 0. */
int mk_pathlist_add(mk_pathlist *l, const char *a, size_t alen, char sep, const char *b, size_t blen);
/* Append the records of a raw buffer (as produced by this type). -1 when not NUL-terminated. */
int mk_pathlist_append_raw(mk_pathlist *l, const char *buf, size_t len);
/* Pointers to every path, sorted bytewise (the order of `LC_ALL=C sort`); malloc'd, free it. */
const char **mk_pathlist_sorted(const mk_pathlist *l);
/* Pointers in stored order; malloc'd. */
const char **mk_pathlist_index(const mk_pathlist *l);
/* Write every path followed by `term` ('\n' like find, or '\0' for --print0). */
void mk_pathlist_write(FILE *out, const char *const *paths, uint64_t n, char term);

/* Check a --name glob: -1 with a message for an unterminated [...] class, a trailing
 * backslash, or a '/' (find -name compares base names, so it could never match). */
int mk_walk_glob_check(const char *glob, mk_err *err);

/* The base name find -name compares for a starting point: trailing slashes dropped, "/" kept. */
const char *mk_walk_root_base(const char *path, size_t *len);

/* Join a directory path and an entry name the way find prints it: one '/' between them,
 * none added when the directory already ends with '/'. Returns the new length. */
size_t mk_walk_join(char *dst, const char *dir, size_t dlen, const char *name, size_t nlen);

/* Whether an entry passes the filters: base name, kind (MK_WALK_FILE/DIR/LINK or -1 for
 * other kinds) and size (only read when a size bound is set). */
int mk_walk_match(const mk_walk_filter *f, const char *base, int kind, uint64_t size);
int mk_walk_filter_needs_size(const mk_walk_filter *f);
/* Whether the filter needs an entry's status beyond its kind (size, times or emptiness). */
int mk_walk_filter_needs_stat(const mk_walk_filter *f);
/* Check every glob of the filter (names, paths, prunes): -1 with a message naming `what`. */
int mk_walk_glob_check_as(const char *glob, const char *what, int base_only, mk_err *err);

/* The walker of one rank: filters, counters and where diagnostics go. */
typedef struct {
    mk_walk_filter filter;
    mk_walk_totals totals;
    const char *prog;     /* prefix of diagnostics ("findfiles") */
    FILE *diag;           /* stderr, or NULL to stay quiet */
    int keep_matches;     /* 0: count matches without storing their paths (--count) */
    int want_bytes;       /* stat each match for totals.bytes (a size filter stats anyway) */
    unsigned poll_every;  /* entries between calls of the poll hook (0: never) */
} mk_walker;

void mk_walker_init(mk_walker *w, const mk_walk_filter *f, const char *prog, FILE *diag, int keep_matches);

/* Check a starting point (it must be a directory; a symlink to one is followed, like find -H)
 * and make its work item. Does not count or match anything. -1 with err set otherwise. */
int mk_walk_root_item(mk_walker *w, const char *path, mk_walk_item *it, mk_err *err);

/* Count a starting point as an entry and test it against the filters (find tests them too). */
int mk_walk_root_visit(mk_walker *w, const mk_walk_item *root, mk_pathlist *matches);

/* A hook called every w->poll_every entries while a directory is read (a busy rank answers
 * messages from there). Non-zero stops the walk with an error. */
typedef int (*mk_walk_poll_fn)(void *arg);

/* Read one directory: count every entry, append matches, push each subdirectory (unless it
 * is a loop) onto `subdirs`. An unreadable directory is counted and reported on w->diag.
 * Returns 0, or -1 on a fatal error (no memory, or the hook failed). */
int mk_walk_dir(mk_walker *w, const mk_walk_item *dir, mk_dirstack *subdirs, mk_pathlist *matches,
                mk_walk_poll_fn poll, void *poll_arg);

/* Open a directory by path even beyond PATH_MAX (component by component with openat). */
int mk_walk_open_dir(const char *path, size_t len);

#endif
