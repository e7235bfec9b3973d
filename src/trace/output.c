/* output.c - the trace directory appears complete or not at all: every file is written into
 * a fresh temporary directory beside DIR, which is then renamed to DIR. An earlier trace
 * directory at DIR is replaced; anything else at DIR is refused, never overwritten. Files
 * are created with O_EXCL|O_NOFOLLOW inside a directory only this process made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"

static const char *const our_files[] = {"trace.json",          "timeline.svg",          "summary.txt",
                                        "summary.json",        "summary-processes.csv", "summary-functions.csv",
                                        "summary-messages.csv"};
enum { NFILES = sizeof our_files / sizeof our_files[0] };
/* path sizes: a parent directory, a last component, a sibling temporary, a file inside it */
enum { PARENT_LEN = 4096, BASE_LEN = 256, TEMP_LEN = PARENT_LEN + BASE_LEN + 24, FILE_LEN = TEMP_LEN + 32 };

static int is_our_file(const char *name)
{
    for (int i = 0; i < NFILES; i++)
        if (strcmp(name, our_files[i]) == 0)
            return 1;
    return 0;
}

/* Split path into its directory ("." when none) and last component. */
static int split_path(const char *path, char *dir, size_t dlen, char *base, size_t blen)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t slash = n;
    while (slash > 0 && path[slash - 1] != '/')
        slash--;
    int a =
        slash == 0 ? snprintf(dir, dlen, ".") : snprintf(dir, dlen, "%.*s", slash == 1 ? 1 : (int)(slash - 1), path);
    int b = snprintf(base, blen, "%.*s", (int)(n - slash), path + slash);
    if (a < 0 || (size_t)a >= dlen || b <= 0 || (size_t)b >= blen || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -1;
    return 0;
}

int mkt_output_check(const char *dir, char *why, size_t whylen)
{
    char parent[PARENT_LEN], base[BASE_LEN];
    struct stat st;
    if (dir[0] == '\0' || split_path(dir, parent, sizeof parent, base, sizeof base) != 0)
        return snprintf(why, whylen, "'%s' is not a usable directory name", dir), -1;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            return snprintf(why, whylen, "cannot use '%s': %s", dir, strerror(errno)), -1;
        if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
            return snprintf(why, whylen, "cannot create '%s': '%s' is not a directory", dir, parent), -1;
        if (access(parent, W_OK | X_OK) != 0)
            return snprintf(why, whylen, "cannot create '%s': %s", dir, strerror(errno)), -1;
        return 0;
    }
    if (S_ISLNK(st.st_mode))
        return snprintf(why, whylen, "'%s' is a symbolic link: give the directory itself", dir), -1;
    if (!S_ISDIR(st.st_mode))
        return snprintf(why, whylen, "'%s' exists and is not a directory", dir), -1;
    DIR *d = opendir(dir);
    if (d == NULL)
        return snprintf(why, whylen, "cannot read '%s': %s", dir, strerror(errno)), -1;
    int rc = 0;
    const struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || is_our_file(e->d_name))
            continue;
        snprintf(why, whylen, "'%s' exists and is not a trace directory (it holds '%s')", dir, e->d_name);
        rc = -1;
    }
    closedir(d);
    return rc;
}

/* Remove our files from dir, then dir itself (best effort). */
static void remove_dir(const char *dir)
{
    char path[FILE_LEN];
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, our_files[i]);
        unlink(path);
    }
    rmdir(dir);
}

typedef int (*writer)(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table);

static int put_json(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    (void)s;
    (void)table;
    return mkt_write_json(out, t);
}

static int put_svg(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    (void)s;
    (void)table;
    return mkt_write_svg(out, t, NULL);
}

static int put_text(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    (void)table;
    return mkt_write_summary_text(out, t, s);
}

static int put_sjson(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    (void)table;
    return mkt_write_summary_json(out, t, s);
}

static int put_csv(FILE *out, const mkt_trace *t, const mkt_stats *s, const char *table)
{
    return mkt_write_summary_csv(out, t, s, table);
}

/* Create dir/name (never following a link, never replacing) and fill it. */
static int write_file(const char *dir, const char *name, writer w, const mkt_trace *t, const mkt_stats *s,
                      const char *table, char *why, size_t whylen)
{
    char path[FILE_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = w(out, t, s, table);
    if (fclose(out) != 0 || rc != 0)
        return snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno)), -1;
    return 0;
}

static int write_all_files(const char *tmp, const mkt_trace *t, mkt_out_format format, char *why, size_t whylen)
{
    mkt_stats s;
    if (mkt_stats_build(&s, t) != 0)
        return snprintf(why, whylen, "out of memory"), -1;
    int rc = write_file(tmp, "trace.json", put_json, t, &s, NULL, why, whylen);
    if (rc == 0)
        rc = write_file(tmp, "timeline.svg", put_svg, t, &s, NULL, why, whylen);
    if (rc == 0)
        rc = write_file(tmp, "summary.txt", put_text, t, &s, NULL, why, whylen);
    if (rc == 0 && format == MKT_OUT_JSON)
        rc = write_file(tmp, "summary.json", put_sjson, t, &s, NULL, why, whylen);
    static const char *const tables[] = {"processes", "functions", "messages"};
    for (int i = 0; rc == 0 && format == MKT_OUT_CSV && i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "summary-%s.csv", tables[i]);
        rc = write_file(tmp, name, put_csv, t, &s, tables[i], why, whylen);
    }
    mkt_stats_free(&s);
    return rc;
}

int mkt_output_write(const char *dir, const mkt_trace *t, mkt_out_format format, char *why, size_t whylen)
{
    char parent[PARENT_LEN], base[BASE_LEN], tmp[TEMP_LEN], old[TEMP_LEN];
    if (mkt_output_check(dir, why, whylen) != 0)
        return -1;
    split_path(dir, parent, sizeof parent, base, sizeof base);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", parent, base);
    if (mkdtemp(tmp) == NULL)
        return snprintf(why, whylen, "cannot create a directory beside '%s': %s", dir, strerror(errno)), -1;
    if (write_all_files(tmp, t, format, why, whylen) != 0) {
        remove_dir(tmp);
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0777 & ~mask);
    /* an earlier trace at dir: move it aside (onto an empty directory of ours), then remove it */
    old[0] = '\0';
    struct stat st;
    if (lstat(dir, &st) == 0) {
        snprintf(old, sizeof old, "%s/.%s.old-XXXXXX", parent, base);
        if (mkdtemp(old) == NULL || rename(dir, old) != 0) {
            snprintf(why, whylen, "cannot replace '%s': %s", dir, strerror(errno));
            if (old[0] != '\0')
                rmdir(old);
            remove_dir(tmp);
            return -1;
        }
    }
    if (rename(tmp, dir) != 0) {
        snprintf(why, whylen, "cannot rename the trace to '%s': %s", dir, strerror(errno));
        if (old[0] != '\0' && rename(old, dir) != 0)
            remove_dir(old);
        remove_dir(tmp);
        return -1;
    }
    if (old[0] != '\0')
        remove_dir(old);
    return 0;
}
