/* walk.c - one directory at a time: readdir + d_type (lstat only when the type is unknown or
 * a filter needs it), find-like filters, work-item stacks and path lists. */
#include "mpikit/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mk_walk_item_free(mk_walk_item *it)
{
    if (it == NULL)
        return;
    free(it->path);
    free(it->anc);
    it->path = NULL;
    it->anc = NULL;
    it->len = it->nanc = 0;
}

/* ---- stacks of work items ---------------------------------------------------------- */

void mk_dirstack_init(mk_dirstack *s)
{
    s->items = NULL;
    s->n = s->cap = 0;
}

void mk_dirstack_free(mk_dirstack *s)
{
    for (size_t i = 0; i < s->n; i++)
        mk_walk_item_free(&s->items[i]);
    free(s->items);
    mk_dirstack_init(s);
}

int mk_dirstack_push(mk_dirstack *s, mk_walk_item *it)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        mk_walk_item *p = realloc(s->items, cap * sizeof *p);
        if (p == NULL) {
            mk_walk_item_free(it);
            return -1;
        }
        s->items = p;
        s->cap = cap;
    }
    s->items[s->n++] = *it;
    it->path = NULL;
    it->anc = NULL;
    return 0;
}

int mk_dirstack_pop(mk_dirstack *s, mk_walk_item *it)
{
    if (s->n == 0)
        return 0;
    *it = s->items[--s->n];
    return 1;
}

static void put_u32(char **p, uint32_t v)
{
    memcpy(*p, &v, sizeof v);
    *p += sizeof v;
}

static uint32_t get_u32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

int mk_dirstack_pack_bottom(mk_dirstack *s, size_t k, char **buf, size_t *len)
{
    if (k > s->n)
        k = s->n;
    size_t total = 4;
    for (size_t i = 0; i < k; i++)
        total += 12 + s->items[i].len + (size_t)s->items[i].nanc * 16;
    char *b = malloc(total), *p = b;
    if (b == NULL)
        return -1;
    put_u32(&p, (uint32_t)k);
    for (size_t i = 0; i < k; i++) {
        mk_walk_item *it = &s->items[i];
        put_u32(&p, it->len);
        put_u32(&p, it->nanc);
        put_u32(&p, it->depth);
        memcpy(p, it->path, it->len);
        p += it->len;
        if (it->nanc > 0) {
            memcpy(p, it->anc, (size_t)it->nanc * 16);
            p += (size_t)it->nanc * 16;
        }
        mk_walk_item_free(it);
    }
    if (k > 0) {
        memmove(s->items, s->items + k, (s->n - k) * sizeof *s->items);
        s->n -= k;
    }
    *buf = b;
    *len = total;
    return 0;
}

long mk_dirstack_packed_count(const char *buf, size_t len)
{
    if (buf == NULL || len < 4)
        return -1;
    return (long)get_u32(buf);
}

int mk_dirstack_unpack(mk_dirstack *s, const char *buf, size_t len, size_t *count)
{
    if (count != NULL)
        *count = 0;
    if (len < 4)
        return -1;
    uint32_t k = get_u32(buf);
    size_t off = 4;
    for (uint32_t i = 0; i < k; i++) {
        if (len - off < 12)
            return -1;
        uint32_t plen = get_u32(buf + off), nanc = get_u32(buf + off + 4), depth = get_u32(buf + off + 8);
        off += 12;
        if (len - off < plen || (len - off - plen) / 16 < nanc)
            return -1;
        mk_walk_item it = {malloc((size_t)plen + 1), plen, nanc, NULL, depth};
        if (it.path == NULL)
            return -1;
        memcpy(it.path, buf + off, plen);
        it.path[plen] = '\0';
        off += plen;
        if (nanc > 0) {
            it.anc = malloc((size_t)nanc * 16);
            if (it.anc == NULL) {
                free(it.path);
                return -1;
            }
            memcpy(it.anc, buf + off, (size_t)nanc * 16);
            off += (size_t)nanc * 16;
        }
        if (mk_dirstack_push(s, &it) != 0)
            return -1;
        if (count != NULL)
            (*count)++;
    }
    return off == len ? 0 : -1;
}

/* ---- path lists -------------------------------------------------------------------- */

void mk_pathlist_init(mk_pathlist *l)
{
    l->data = NULL;
    l->len = l->cap = 0;
    l->count = 0;
}

void mk_pathlist_free(mk_pathlist *l)
{
    free(l->data);
    mk_pathlist_init(l);
}

void mk_pathlist_clear(mk_pathlist *l)
{
    l->len = 0;
    l->count = 0;
}

static int pathlist_reserve(mk_pathlist *l, size_t more)
{
    if (l->cap - l->len >= more)
        return 0;
    size_t cap = l->cap ? l->cap : 4096;
    while (cap - l->len < more)
        cap *= 2;
    char *p = realloc(l->data, cap);
    if (p == NULL)
        return -1;
    l->data = p;
    l->cap = cap;
    return 0;
}

int mk_pathlist_add(mk_pathlist *l, const char *a, size_t alen, char sep, const char *b, size_t blen)
{
    if (b == NULL)
        blen = 0;
    if (pathlist_reserve(l, alen + blen + 2) != 0)
        return -1;
    char *p = l->data + l->len;
    memcpy(p, a, alen);
    p += alen;
    if (sep != 0)
        *p++ = sep;
    if (blen > 0)
        memcpy(p, b, blen);
    p += blen;
    *p++ = '\0';
    l->len = (size_t)(p - l->data);
    l->count++;
    return 0;
}

int mk_pathlist_append_raw(mk_pathlist *l, const char *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (buf[len - 1] != '\0' || pathlist_reserve(l, len) != 0)
        return -1;
    memcpy(l->data + l->len, buf, len);
    l->len += len;
    for (size_t i = 0; i < len; i++)
        l->count += buf[i] == '\0';
    return 0;
}

const char **mk_pathlist_index(const mk_pathlist *l)
{
    const char **v = malloc((l->count ? l->count : 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    size_t off = 0;
    for (uint64_t i = 0; i < l->count; i++) {
        v[i] = l->data + off;
        off += strlen(l->data + off) + 1;
    }
    return v;
}

static int cmp_path(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: the byte order of LC_ALL=C sort. */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **mk_pathlist_sorted(const mk_pathlist *l)
{
    const char **v = mk_pathlist_index(l);
    if (v != NULL && l->count > 1)
        qsort(v, (size_t)l->count, sizeof *v, cmp_path);
    return v;
}

void mk_pathlist_write(FILE *out, const char *const *paths, uint64_t n, char term)
{
    for (uint64_t i = 0; i < n; i++) {
        fputs(paths[i], out);
        fputc(term, out);
    }
}

/* ---- names and filters ------------------------------------------------------------- */

int mk_walk_glob_check(const char *glob, mk_err *err)
{
    return mk_walk_glob_check_as(glob, "--name", 1, err);
}

int mk_walk_glob_check_as(const char *glob, const char *what, int base_only, mk_err *err)
{
    if (glob == NULL)
        return 0;
    if (glob[0] == '\0')
        return mk_err_set(err, MK_EXIT_USAGE, "%s: empty pattern", what);
    if (base_only && strchr(glob, '/') != NULL)
        return mk_err_set(err, MK_EXIT_USAGE,
                          "%s: pattern '%s' contains '/', but it is matched against base names only", what, glob);
    for (const char *p = glob; *p != '\0'; p++) {
        if (*p == '\\') {
            if (p[1] == '\0')
                return mk_err_set(err, MK_EXIT_USAGE, "%s: pattern '%s' ends with a lone backslash", what,
                                      glob);
            p++;
        } else if (*p == '[') {
            /* A class: optional ! or ^, then a ']' may come first as a member, then up to ']'. */
            const char *q = p + 1;
            if (*q == '!' || *q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q != '\0' && *q != ']') {
                /* As glibc's fnmatch reads a class: a backslash escapes the next byte, and
                 * "[:" opens a class name only when lowercase letters and ":]" follow
                 * (otherwise that '[' is an ordinary member, as in "[[:x]"). */
                if (*q == '\\') {
                    if (q[1] == '\0')
                        break;
                    q += 2;
                    continue;
                }
                if (*q == '[' && q[1] == ':') {
                    const char *e = q + 2;
                    while (*e >= 'a' && *e < 'z')
                        e++;
                    q = e[0] == ':' && e[1] == ']' ? e + 2 : q + 1;
                    continue;
                }
                if (*q == '[' && (q[1] == '.' || q[1] == '=')) {
                    char close = q[1];
                    const char *e = q + 2;
                    while (*e != '\0' && !(e[0] == close && e[1] == ']'))
                        e++;
                    if (*e == '\0')
                        break;
                    q = e + 2;
                    continue;
                }
                q++;
            }
            if (*q != ']')
                return mk_err_set(err, MK_EXIT_USAGE, "%s: pattern '%s' has an unterminated '[' class", what,
                                  glob);
            p = q;
        }
    }
    return 0;
}

const char *mk_walk_root_base(const char *path, size_t *len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (start == n) { /* the path is "/" (or only slashes) */
        *len = n > 0 ? 1 : 0;
        return path;
    }
    *len = n - start;
    return path + start;
}

size_t mk_walk_join(char *dst, const char *dir, size_t dlen, const char *name, size_t nlen)
{
    memcpy(dst, dir, dlen);
    size_t n = dlen;
    if (n == 0 || dst[n - 1] != '/')
        dst[n++] = '/';
    memcpy(dst + n, name, nlen);
    n += nlen;
    dst[n] = '\0';
    return n;
}

int mk_walk_filter_needs_size(const mk_walk_filter *f)
{
    return f->min_size != 0 || f->max_size != UINT64_MAX;
}

int mk_walk_filter_needs_stat(const mk_walk_filter *f)
{
    return mk_walk_filter_needs_size(f) || f->empty || f->has_newer || f->has_mtime;
}

static int name_matches(const mk_walk_filter *f, const char *base)
{
    if (f->name != NULL && fnmatch(f->name, base, 0) != 0)
        return 0;
    if (f->nnames == 0)
        return 1;
    for (int i = 0; i < f->nnames; i++)
        if (fnmatch(f->names[i], base, f->names_fold != NULL && f->names_fold[i] ? FNM_CASEFOLD : 0) == 0)
            return 1;
    return 0;
}

/* find -path: the glob sees the whole path, '/' and a leading '.' included (fnmatch flags 0). */
static int path_matches(const mk_walk_filter *f, const char *path)
{
    if (f->npaths == 0)
        return 1;
    for (int i = 0; i < f->npaths; i++)
        if (fnmatch(f->paths[i], path, 0) == 0)
            return 1;
    return 0;
}

/* --prune applies where find's tests apply: from --mindepth on. */
static int pruned(const mk_walk_filter *f, const char *base, uint32_t depth)
{
    if (depth < f->min_depth)
        return 0;
    for (int i = 0; i < f->nprunes; i++)
        if (fnmatch(f->prunes[i], base, 0) == 0)
            return 1;
    return 0;
}

/* Whether a directory (opened from `at`, or by path when at < 0) has no entry but . and ..;
 * an unreadable directory is not empty (find -empty says false too). */
static int dir_is_empty(int at, const char *name)
{
    int fd = at >= 0 ? openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                     : open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    int empty = 1;
    struct dirent *de;
    while (empty && (de = readdir(d)) != NULL)
        if (!(de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0'))))
            empty = 0;
    closedir(d);
    return empty;
}

/* The tests that need the entry's status: --empty, --newer, --mtime (size bounds are apart). */
static int status_matches(const mk_walk_filter *f, int kind, const struct stat *st, int at, const char *name)
{
    if (f->has_newer && !(st->st_mtim.tv_sec > f->newer_sec ||
                          (st->st_mtim.tv_sec == f->newer_sec && st->st_mtim.tv_nsec > f->newer_nsec)))
        return 0;
    if (f->has_mtime) {
        /* like find: whole days elapsed since the modification, the fraction dropped */
        int64_t age = f->now - (int64_t)st->st_mtim.tv_sec, days = age >= 0 ? age / 86400 : -((-age + 86399) / 86400);
        if (f->mtime_cmp < 0 ? !(days < f->mtime_days)
                             : f->mtime_cmp > 0 ? !(days > f->mtime_days) : days != f->mtime_days)
            return 0;
    }
    if (f->empty) {
        if (kind == MK_WALK_FILE)
            return st->st_size == 0;
        if (kind != MK_WALK_DIR)
            return 0;
        return dir_is_empty(at, name);
    }
    return 1;
}

static int kind_matches(const mk_walk_filter *f, int kind)
{
    switch (f->type) {
    case MK_WALK_FILE: return kind == MK_WALK_FILE;
    case MK_WALK_DIR: return kind == MK_WALK_DIR;
    case MK_WALK_LINK: return kind == MK_WALK_LINK;
    default: return 1;
    }
}

int mk_walk_match(const mk_walk_filter *f, const char *base, int kind, uint64_t size)
{
    if (!kind_matches(f, kind) || !name_matches(f, base))
        return 0;
    return size >= f->min_size && size <= f->max_size;
}

void mk_walker_init(mk_walker *w, const mk_walk_filter *f, const char *prog, FILE *diag, int keep_matches)
{
    memset(w, 0, sizeof *w);
    w->filter = *f;
    w->prog = prog;
    w->diag = diag;
    w->keep_matches = keep_matches;
    w->want_bytes = 1;
    w->poll_every = 256;
}

static int kind_of_mode(mode_t m)
{
    if (S_ISREG(m))
        return MK_WALK_FILE;
    if (S_ISDIR(m))
        return MK_WALK_DIR;
    if (S_ISLNK(m))
        return MK_WALK_LINK;
    return -1;
}

/* ---- opening directories ----------------------------------------------------------- */

int mk_walk_open_dir(const char *path, size_t len)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    if (len < PATH_MAX) {
        int fd = open(path, flags);
        if (fd >= 0 || errno != ENAMETOOLONG)
            return fd;
    }
    /* Too long for one system call: descend one component at a time. */
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(copy, path, len + 1);
    int fd = open(copy[0] == '/' ? "/" : ".", flags);
    char *save = NULL;
    for (char *comp = strtok_r(copy, "/", &save); fd >= 0 && comp != NULL; comp = strtok_r(NULL, "/", &save)) {
        int next = openat(fd, comp, flags);
        int e = errno;
        close(fd);
        errno = e;
        fd = next;
    }
    int e = errno;
    free(copy);
    errno = e;
    return fd;
}

/* One line per problem, worded like find's: "findfiles: 'path': Permission denied". */
static void diag(const mk_walker *w, const char *path, const char *what)
{
    if (w->diag != NULL)
        fprintf(w->diag, "%s: '%s': %s\n", w->prog, path, what);
}

int mk_walk_root_item(mk_walker *w, const char *path, mk_walk_item *it, mk_err *err)
{
    (void)w;
    memset(it, 0, sizeof *it);
    if (path[0] == '\0')
        return mk_err_set(err, MK_EXIT_FAILURE, "empty directory name");
    struct stat st;
    if (stat(path, &st) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not a directory", path);
    size_t len = strlen(path);
    if (len > UINT32_MAX)
        return mk_err_set(err, MK_EXIT_FAILURE, "path too long");
    it->path = malloc(len + 1);
    if (it->path == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    memcpy(it->path, path, len + 1);
    it->len = (uint32_t)len;
    if (w->filter.follow) {
        it->anc = malloc(16);
        if (it->anc == NULL) {
            mk_walk_item_free(it);
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        }
        it->anc[0] = (uint64_t)st.st_dev;
        it->anc[1] = (uint64_t)st.st_ino;
        it->nanc = 1;
    }
    return 0;
}

int mk_walk_root_visit(mk_walker *w, const mk_walk_item *root, mk_pathlist *matches)
{
    w->totals.entries++;
    size_t blen;
    const char *base = mk_walk_root_base(root->path, &blen);
    char *name = malloc(blen + 1);
    if (name == NULL)
        return -1;
    memcpy(name, base, blen);
    name[blen] = '\0';
    const mk_walk_filter *f = &w->filter;
    uint64_t size = 0;
    int ok = root->depth >= f->min_depth && !pruned(f, name, root->depth) && path_matches(f, root->path);
    struct stat st;
    if (ok && (mk_walk_filter_needs_stat(f) || (w->want_bytes && (f->type == MK_WALK_ANY || f->type == MK_WALK_DIR)))) {
        ok = stat(root->path, &st) == 0;
        size = ok ? (uint64_t)st.st_size : 0;
        if (ok && mk_walk_filter_needs_stat(f))
            ok = status_matches(f, MK_WALK_DIR, &st, -1, root->path);
    }
    int rc = 0;
    if (ok && mk_walk_match(f, name, MK_WALK_DIR, size)) {
        w->totals.matched++;
        w->totals.bytes += size;
        if (w->keep_matches && matches != NULL)
            rc = mk_pathlist_add(matches, root->path, root->len, 0, NULL, 0);
    }
    free(name);
    return rc;
}

/* The entry's path in `child`, joined once. */
static const char *child_path(char *child, size_t *clen, int *joined, const mk_walk_item *dir, const char *name,
                              size_t nlen)
{
    if (!*joined) {
        *clen = mk_walk_join(child, dir->path, dir->len, name, nlen);
        *joined = 1;
    }
    return child;
}

/* Whether (dev, ino) is the directory itself or one of its ancestors: a loop under --follow. */
static long ancestor_index(const mk_walk_item *dir, uint64_t dev, uint64_t ino)
{
    for (uint32_t i = 0; i < dir->nanc; i++)
        if (dir->anc[2 * i] == dev && dir->anc[2 * i + 1] == ino)
            return (long)i;
    return -1;
}

/* The path of ancestor i: the item's path cut after the right number of components. */
static void report_loop(const mk_walker *w, const mk_walk_item *dir, const char *child, long i)
{
    if (w->diag == NULL)
        return;
    size_t cut = dir->len;
    for (uint32_t up = dir->nanc - 1 - (uint32_t)i; up > 0 && cut > 0; up--) {
        while (cut > 0 && dir->path[cut - 1] != '/')
            cut--;
        while (cut > 1 && dir->path[cut - 1] == '/')
            cut--;
    }
    fprintf(w->diag, "%s: File system loop detected; '%s' is part of the same file system loop as '%.*s'.\n",
            w->prog, child, (int)cut, dir->path);
}

int mk_walk_dir(mk_walker *w, const mk_walk_item *dir, mk_dirstack *subdirs, mk_pathlist *matches,
                mk_walk_poll_fn poll, void *poll_arg)
{
    const mk_walk_filter *f = &w->filter;
    if (f->has_max_depth && dir->depth >= f->max_depth)
        return 0; /* find -maxdepth does not even open it */
    if (dir->depth == 0 && f->nprunes > 0) {
        size_t blen;
        const char *base = mk_walk_root_base(dir->path, &blen);
        char one[NAME_MAX + 1];
        if (blen <= NAME_MAX) {
            memcpy(one, base, blen);
            one[blen] = '\0';
            if (pruned(f, one, 0))
                return 0;
        }
    }
    const uint32_t depth = dir->depth + 1; /* of the entries read here */
    int fd = mk_walk_open_dir(dir->path, dir->len);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        w->totals.unreadable++;
        diag(w, dir->path, strerror(e));
        return 0;
    }
    w->totals.dirs++;
    int need_size = mk_walk_filter_needs_size(f), need_stat = mk_walk_filter_needs_stat(f);
    size_t cap = (size_t)dir->len + 2 + 256;
    char *child = malloc(cap);
    if (child == NULL) {
        closedir(d);
        return -1;
    }
    int rc = 0;
    unsigned since_poll = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                w->totals.unreadable++;
                diag(w, dir->path, strerror(errno));
            }
            break;
        }
        const char *name = de->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        w->totals.entries++;
        size_t nlen = strlen(name);
        if ((size_t)dir->len + nlen + 2 > cap) {
            cap = (size_t)dir->len + nlen + 2;
            char *p = realloc(child, cap);
            if (p == NULL) {
                rc = -1;
                break;
            }
            child = p;
        }

        /* The kind from d_type; a stat only when it is unknown, a link to follow, or needed. */
        int kind;
        switch (de->d_type) {
        case DT_REG: kind = MK_WALK_FILE; break;
        case DT_DIR: kind = MK_WALK_DIR; break;
        case DT_LNK: kind = MK_WALK_LINK; break;
        case DT_UNKNOWN: kind = -2; break;
        default: kind = -1; break;
        }
        struct stat st;
        int have_st = 0;
        if (kind == -2 || (f->follow && (kind == MK_WALK_LINK || kind == MK_WALK_DIR))) {
            int flags = f->follow ? 0 : AT_SYMLINK_NOFOLLOW;
            int e = fstatat(fd, name, &st, flags) == 0 ? 0 : errno;
            /* find -L lists a dangling link as a link; any other failure, ELOOP from a cycle of
             * links above all, is reported and the entry not listed (fts's FTS_SLNONE vs FTS_NS) */
            if (e == ENOENT && f->follow && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                e = 0;
            if (e != 0) {
                w->totals.errors++;
                mk_walk_join(child, dir->path, dir->len, name, nlen);
                diag(w, child, strerror(e));
                continue;
            }
            have_st = 1;
            kind = kind_of_mode(st.st_mode);
        }
        if (pruned(f, name, depth)) { /* like find -prune: neither listed nor entered */
            w->totals.entries--;
            continue;
        }
        if (kind == MK_WALK_FILE)
            w->totals.files++;

        size_t clen = 0;
        int joined = 0;
        if (kind == MK_WALK_DIR) {
            clen = mk_walk_join(child, dir->path, dir->len, name, nlen);
            joined = 1;
            long a = f->follow ? ancestor_index(dir, (uint64_t)st.st_dev, (uint64_t)st.st_ino) : -1;
            if (a >= 0) {
                /* find -L neither lists nor descends a link back to an ancestor. */
                w->totals.loops++;
                w->totals.entries--;
                report_loop(w, dir, child, a);
                continue;
            }
            mk_walk_item it = {malloc(clen + 1), (uint32_t)clen, 0, NULL, depth};
            if (it.path == NULL) {
                rc = -1;
                break;
            }
            if (f->has_max_depth && depth >= f->max_depth) /* nothing below it is visited */
                mk_walk_item_free(&it);
            else {
            memcpy(it.path, child, clen + 1);
            if (f->follow) {
                it.nanc = dir->nanc + 1;
                it.anc = malloc((size_t)it.nanc * 16);
                if (it.anc == NULL) {
                    mk_walk_item_free(&it);
                    rc = -1;
                    break;
                }
                memcpy(it.anc, dir->anc, (size_t)dir->nanc * 16);
                it.anc[2 * dir->nanc] = (uint64_t)st.st_dev;
                it.anc[2 * dir->nanc + 1] = (uint64_t)st.st_ino;
            }
            if (mk_dirstack_push(subdirs, &it) != 0) {
                rc = -1;
                break;
            }
            }
        }

        if (depth >= f->min_depth && kind_matches(f, kind) && name_matches(f, name) &&
            (f->npaths == 0 || path_matches(f, child_path(child, &clen, &joined, dir, name, nlen)))) {
            /* find -name -type f never stats a match; only the byte total or a size bound needs it */
            if (!have_st && !need_size && !need_stat && !w->want_bytes) {
                st.st_size = 0;
            } else if (!have_st && fstatat(fd, name, &st, f->follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
                if (need_size || need_stat) /* vanished since readdir */
                    continue;
                st.st_size = 0;
            }
            uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
            if (size >= f->min_size && size <= f->max_size &&
                (!need_stat || status_matches(f, kind, &st, fd, name))) {
                w->totals.matched++;
                w->totals.bytes += size;
                if (w->keep_matches && matches != NULL) {
                    if (!joined)
                        clen = mk_walk_join(child, dir->path, dir->len, name, nlen);
                    if (mk_pathlist_add(matches, child, clen, 0, NULL, 0) != 0) {
                        rc = -1;
                        break;
                    }
                }
            }
        }
        if (poll != NULL && w->poll_every > 0 && ++since_poll >= w->poll_every) {
            since_poll = 0;
            if (poll(poll_arg) != 0) {
                rc = -1;
                break;
            }
        }
    }
    free(child);
    closedir(d);
    return rc;
}
