/* Unit tests: the local half of the walk (filters, names, stacks, path lists, one directory). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/walk.h"

static void test_glob_check(void **state)
{
    (void)state;
    mk_err err;
    const char *good[] = {"*.py", "a?c", "[abc]x", "[!a]*", "[]]", "[!]]", "[[:alpha:]]*", "\\[x", "x*[0-9]", NULL};
    for (int i = 0; good[i] != NULL; i++) {
        mk_err_clear(&err);
        assert_int_equal(mk_walk_glob_check(good[i], &err), 0);
    }
    const char *bad[] = {"[abc", "x\\", "a/b", "", "[[:alpha:]", "[!", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        mk_err_clear(&err);
        assert_int_equal(mk_walk_glob_check(bad[i], &err), -1);
        assert_int_equal(err.code, MK_EXIT_USAGE);
        assert_true(strstr(err.msg, "--name") != NULL);
    }
    assert_int_equal(mk_walk_glob_check(NULL, &err), 0);
}

static void test_root_base_and_join(void **state)
{
    (void)state;
    size_t n;
    const char *b = mk_walk_root_base("a/b/c", &n);
    assert_int_equal(n, 1);
    assert_memory_equal(b, "c", 1);
    b = mk_walk_root_base("src//", &n);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "src", 3);
    b = mk_walk_root_base("/", &n);
    assert_int_equal(n, 1);
    assert_memory_equal(b, "/", 1);
    b = mk_walk_root_base(".", &n);
    assert_int_equal(n, 1);
    assert_memory_equal(b, ".", 1);

    char buf[64];
    assert_int_equal(mk_walk_join(buf, "dir", 3, "x", 1), 5);
    assert_string_equal(buf, "dir/x");
    /* find does not double a trailing slash of a starting point */
    assert_int_equal(mk_walk_join(buf, "dir/", 4, "x", 1), 5);
    assert_string_equal(buf, "dir/x");
    mk_walk_join(buf, "/", 1, "etc", 3);
    assert_string_equal(buf, "/etc");
}

static void test_match(void **state)
{
    (void)state;
    mk_walk_filter f = {.name = "*.py", .type = MK_WALK_FILE, .min_size = 0, .max_size = UINT64_MAX, .follow = 0};
    assert_true(mk_walk_match(&f, "a.py", MK_WALK_FILE, 10));
    assert_true(mk_walk_match(&f, ".hidden.py", MK_WALK_FILE, 10)); /* like find: no FNM_PERIOD */
    assert_false(mk_walk_match(&f, "a.py", MK_WALK_DIR, 10));
    assert_false(mk_walk_match(&f, "a.pyc", MK_WALK_FILE, 10));
    assert_false(mk_walk_filter_needs_size(&f));
    f.min_size = 5;
    f.max_size = 10;
    assert_true(mk_walk_filter_needs_size(&f));
    assert_true(mk_walk_match(&f, "a.py", MK_WALK_FILE, 5));
    assert_true(mk_walk_match(&f, "a.py", MK_WALK_FILE, 10));
    assert_false(mk_walk_match(&f, "a.py", MK_WALK_FILE, 11));
    assert_false(mk_walk_match(&f, "a.py", MK_WALK_FILE, 4));
    mk_walk_filter any = {.name = NULL, .type = MK_WALK_ANY, .min_size = 0, .max_size = UINT64_MAX, .follow = 0};
    assert_true(mk_walk_match(&any, "x", -1, 0));
    assert_true(mk_walk_match(&any, "x", MK_WALK_LINK, 0));
}

static mk_walk_item make_item(const char *path, uint32_t nanc)
{
    mk_walk_item it = {.path = strdup(path), .len = (uint32_t)strlen(path), .nanc = nanc, .depth = nanc};
    if (nanc > 0) {
        it.anc = malloc(nanc * 16);
        for (uint32_t i = 0; i < 2 * nanc; i++)
            it.anc[i] = 1000 + i;
    }
    return it;
}

static void test_dirstack_pack_bottom(void **state)
{
    (void)state;
    mk_dirstack s, t;
    mk_dirstack_init(&s);
    mk_dirstack_init(&t);
    const char *names[] = {"a", "b\nnewline", "c \xff\xfe", "d", "e"};
    for (int i = 0; i < 5; i++) {
        mk_walk_item it = make_item(names[i], (uint32_t)i);
        assert_int_equal(mk_dirstack_push(&s, &it), 0);
        assert_null(it.path);
    }
    char *buf;
    size_t len;
    assert_int_equal(mk_dirstack_pack_bottom(&s, 2, &buf, &len), 0);
    assert_int_equal(mk_dirstack_packed_count(buf, len), 2);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.items[0].path, "c \xff\xfe"); /* the bottom left, the rest moved down */
    size_t n;
    assert_int_equal(mk_dirstack_unpack(&t, buf, len, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(t.items[0].path, "a");
    assert_string_equal(t.items[1].path, "b\nnewline");
    assert_int_equal(t.items[1].nanc, 1);
    assert_int_equal(t.items[1].anc[1], 1001);
    assert_int_equal(t.items[1].depth, 1); /* --maxdepth/--mindepth travel with the item */
    /* truncated buffers are refused */
    mk_dirstack u;
    mk_dirstack_init(&u);
    assert_int_equal(mk_dirstack_unpack(&u, buf, len - 1, &n), -1);
    assert_int_equal(mk_dirstack_unpack(&u, buf, 3, &n), -1);
    mk_dirstack_free(&u);
    free(buf);

    /* the owner pops from the top */
    mk_walk_item it;
    assert_int_equal(mk_dirstack_pop(&s, &it), 1);
    assert_string_equal(it.path, "e");
    mk_walk_item_free(&it);
    /* empty packs are valid ("no work") */
    assert_int_equal(mk_dirstack_pack_bottom(&s, 0, &buf, &len), 0);
    assert_int_equal(mk_dirstack_packed_count(buf, len), 0);
    assert_int_equal(mk_dirstack_unpack(&t, buf, len, &n), 0);
    assert_int_equal(n, 0);
    free(buf);
    mk_dirstack_free(&s);
    mk_dirstack_free(&t);
}

static void test_pathlist(void **state)
{
    (void)state;
    mk_pathlist l, m;
    mk_pathlist_init(&l);
    mk_pathlist_init(&m);
    assert_int_equal(mk_pathlist_add(&l, "b", 1, '/', "x", 1), 0);
    assert_int_equal(mk_pathlist_add(&l, "a\n", 2, 0, NULL, 0), 0);
    assert_int_equal(mk_pathlist_add(&l, "\xff", 1, 0, NULL, 0), 0);
    assert_int_equal(mk_pathlist_add(&l, "a", 1, 0, NULL, 0), 0);
    assert_int_equal(l.count, 4);
    const char **v = mk_pathlist_sorted(&l);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "a\n");
    assert_string_equal(v[2], "b/x");
    assert_string_equal(v[3], "\xff"); /* bytewise: 0xff after ASCII */
    free(v);
    assert_int_equal(mk_pathlist_append_raw(&m, l.data, l.len), 0);
    assert_int_equal(m.count, 4);
    assert_int_equal(mk_pathlist_append_raw(&m, "abc", 3), -1);
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    v = mk_pathlist_index(&m);
    mk_pathlist_write(f, v, m.count, '\0');
    fclose(f);
    assert_int_equal(tlen, l.len);
    assert_memory_equal(text, l.data, tlen);
    free(text);
    free(v);
    mk_pathlist_free(&l);
    mk_pathlist_free(&m);
}

static void make_file(const char *path, size_t size)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++)
        fputc('x', f);
    fclose(f);
}

static int count_polls(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static void test_walk_dir(void **state)
{
    (void)state;
    char root[] = "/tmp/mk-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/sub", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/a.py", root);
    make_file(p, 10);
    snprintf(p, sizeof p, "%s/b.py", root);
    make_file(p, 100);
    snprintf(p, sizeof p, "%s/c.txt", root);
    make_file(p, 1);
    snprintf(p, sizeof p, "%s/link.py", root);
    assert_int_equal(symlink("a.py", p), 0);
    snprintf(p, sizeof p, "%s/sub.py", root);
    assert_int_equal(mkdir(p, 0755), 0);

    mk_walk_filter f = {.name = "*.py", .type = MK_WALK_FILE, .min_size = 0, .max_size = UINT64_MAX, .follow = 0};
    mk_walker w;
    mk_walker_init(&w, &f, "test", NULL, 1);
    w.poll_every = 2;
    mk_err err;
    mk_err_clear(&err);
    mk_walk_item it;
    assert_int_equal(mk_walk_root_item(&w, root, &it, &err), 0);
    mk_dirstack subs;
    mk_dirstack_init(&subs);
    mk_pathlist m;
    mk_pathlist_init(&m);
    int polls = 0;
    assert_int_equal(mk_walk_dir(&w, &it, &subs, &m, count_polls, &polls), 0);
    assert_int_equal(w.totals.dirs, 1);
    assert_int_equal(w.totals.entries, 6);
    assert_int_equal(w.totals.files, 3);
    assert_int_equal(w.totals.matched, 2); /* the link and the directory are not -type f */
    assert_int_equal(w.totals.bytes, 110);
    assert_int_equal(polls, 3);
    assert_int_equal(subs.n, 2);
    const char **v = mk_pathlist_sorted(&m);
    snprintf(p, sizeof p, "%s/a.py", root);
    assert_string_equal(v[0], p);
    free(v);

    /* size bounds and --type l */
    mk_walk_filter g = {.name = "*.py", .type = MK_WALK_FILE, .min_size = 50, .max_size = 1000, .follow = 0};
    mk_walker w2;
    mk_walker_init(&w2, &g, "test", NULL, 0);
    mk_dirstack_free(&subs);
    assert_int_equal(mk_walk_dir(&w2, &it, &subs, NULL, NULL, NULL), 0);
    assert_int_equal(w2.totals.matched, 1);
    assert_int_equal(w2.totals.bytes, 100);
    mk_walk_filter l = {.name = NULL, .type = MK_WALK_LINK, .min_size = 0, .max_size = UINT64_MAX, .follow = 0};
    mk_walker w3;
    mk_walker_init(&w3, &l, "test", NULL, 0);
    mk_dirstack_free(&subs);
    assert_int_equal(mk_walk_dir(&w3, &it, &subs, NULL, NULL, NULL), 0);
    assert_int_equal(w3.totals.matched, 1);

    /* --follow: the link counts as its target, a file */
    mk_walk_filter fl = {.name = "*.py", .type = MK_WALK_FILE, .min_size = 0, .max_size = UINT64_MAX, .follow = 1};
    mk_walker w4;
    mk_walker_init(&w4, &fl, "test", NULL, 0);
    mk_walk_item_free(&it);
    assert_int_equal(mk_walk_root_item(&w4, root, &it, &err), 0);
    assert_int_equal(it.nanc, 1);
    mk_dirstack_free(&subs);
    assert_int_equal(mk_walk_dir(&w4, &it, &subs, NULL, NULL, NULL), 0);
    assert_int_equal(w4.totals.matched, 3);
    assert_int_equal(subs.items[0].nanc, 2);

    /* a missing directory is counted as unreadable, not fatal */
    mk_walk_item gone = make_item("/nonexistent/mk-walk", 0);
    assert_int_equal(mk_walk_dir(&w, &gone, &subs, &m, NULL, NULL), 0);
    assert_int_equal(w.totals.unreadable, 1);
    mk_walk_item_free(&gone);

    mk_walk_item_free(&it);
    mk_dirstack_free(&subs);
    mk_pathlist_free(&m);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0); /* NOLINT(cert-env33-c): a test's own fixed command */
}

static void test_follow_loop(void **state)
{
    (void)state;
    char root[] = "/tmp/mk-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/a", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/a/up", root);
    assert_int_equal(symlink("..", p), 0);
    mk_walk_filter f = {.name = NULL, .type = MK_WALK_ANY, .min_size = 0, .max_size = UINT64_MAX, .follow = 1};
    mk_walker w;
    mk_walker_init(&w, &f, "test", NULL, 1);
    mk_err err;
    mk_walk_item it;
    assert_int_equal(mk_walk_root_item(&w, root, &it, &err), 0);
    mk_dirstack s;
    mk_dirstack_init(&s);
    mk_pathlist m;
    mk_pathlist_init(&m);
    mk_walk_item cur;
    assert_int_equal(mk_dirstack_push(&s, &it), 0);
    int guard = 0;
    while (mk_dirstack_pop(&s, &cur) && guard++ < 100) {
        assert_int_equal(mk_walk_dir(&w, &cur, &s, &m, NULL, NULL), 0);
        mk_walk_item_free(&cur);
    }
    assert_true(guard < 100);
    assert_int_equal(w.totals.dirs, 2);
    assert_int_equal(w.totals.loops, 1);
    assert_int_equal(w.totals.entries, 1); /* a; the loop link is not listed, as with find -L */
    mk_dirstack_free(&s);
    mk_pathlist_free(&m);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0); /* NOLINT(cert-env33-c): a test's own fixed command */
}

/* A cycle of links (la -> lb -> la) under --follow: stat gives ELOOP. Like find -L: counted as an
 * error, reported on diag, not listed; a dangling link beside it is still listed as a link. */
static void test_follow_link_cycle(void **state)
{
    (void)state;
    char root[] = "/tmp/mk-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/la", root);
    assert_int_equal(symlink("lb", p), 0);
    snprintf(p, sizeof p, "%s/lb", root);
    assert_int_equal(symlink("la", p), 0);
    snprintf(p, sizeof p, "%s/dangling", root);
    assert_int_equal(symlink("nowhere", p), 0);
    mk_walk_filter f = {.name = NULL, .type = MK_WALK_ANY, .min_size = 0, .max_size = UINT64_MAX, .follow = 1};
    char diag[1024] = "";
    FILE *d = fmemopen(diag, sizeof diag, "w");
    assert_non_null(d);
    mk_walker w;
    mk_walker_init(&w, &f, "test", d, 1);
    mk_err err;
    mk_walk_item it;
    assert_int_equal(mk_walk_root_item(&w, root, &it, &err), 0);
    mk_dirstack s;
    mk_dirstack_init(&s);
    mk_pathlist m;
    mk_pathlist_init(&m);
    assert_int_equal(mk_walk_dir(&w, &it, &s, &m, NULL, NULL), 0);
    fclose(d);
    assert_int_equal(w.totals.errors, 2);
    assert_int_equal(w.totals.matched, 1);
    snprintf(p, sizeof p, "%s/dangling", root);
    assert_string_equal(m.data, p);
    snprintf(p, sizeof p, "test: '%s/la': Too many levels of symbolic links\n", root);
    assert_non_null(strstr(diag, p));
    snprintf(p, sizeof p, "test: '%s/lb': Too many levels of symbolic links\n", root);
    assert_non_null(strstr(diag, p));
    mk_walk_item_free(&it);
    mk_dirstack_free(&s);
    mk_pathlist_free(&m);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0); /* NOLINT(cert-env33-c): a test's own fixed command */
}

static void test_long_path(void **state)
{
    (void)state;
    char root[] = "/tmp/mk-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    const char *comp = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789";
    size_t clen = strlen(comp);
    size_t depth = PATH_MAX / clen + 5;
    char *path = malloc(strlen(root) + depth * (clen + 1) + 1);
    strcpy(path, root);
    for (size_t i = 0; i < depth; i++) {
        assert_int_equal(mkdirat(fd, comp, 0755), 0);
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(fd);
        fd = next;
        strcat(path, "/");
        strcat(path, comp);
    }
    close(fd);
    size_t len = strlen(path);
    assert_true(len > PATH_MAX);
    int dfd = mk_walk_open_dir(path, len);
    assert_true(dfd >= 0);
    close(dfd);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0); /* NOLINT(cert-env33-c): a test's own fixed command */
    free(path);
}

/* The find habits: OR-ed names with -iname, -path, -prune, -maxdepth/-mindepth, -empty, -newer. */
static void test_find_habits(void **state)
{
    (void)state;
    char root[] = "/tmp/mk-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/.git", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/.git/x.c", root);
    make_file(p, 1);
    snprintf(p, sizeof p, "%s/A.C", root);
    make_file(p, 0);
    snprintf(p, sizeof p, "%s/b.h", root);
    make_file(p, 5);
    snprintf(p, sizeof p, "%s/e", root);
    assert_int_equal(mkdir(p, 0755), 0);
    const char *names[] = {"*.c", "*.h"};
    const int fold[] = {1, 0};
    const char *prunes[] = {".git"};
    mk_walk_filter f = {.max_size = UINT64_MAX, .names = names, .names_fold = fold, .nnames = 2,
                        .prunes = prunes, .nprunes = 1, .has_max_depth = 1, .max_depth = 1, .min_depth = 1};
    mk_walker w;
    mk_walker_init(&w, &f, "test", NULL, 1);
    mk_err err;
    mk_err_clear(&err);
    mk_walk_item it;
    assert_int_equal(mk_walk_root_item(&w, root, &it, &err), 0);
    mk_dirstack subs;
    mk_dirstack_init(&subs);
    mk_pathlist m;
    mk_pathlist_init(&m);
    assert_int_equal(mk_walk_root_visit(&w, &it, &m), 0);
    assert_int_equal(mk_walk_dir(&w, &it, &subs, &m, NULL, NULL), 0);
    assert_int_equal(m.count, 2);     /* A.C (iname) and b.h; not .git/x.c, not the root (mindepth) */
    assert_int_equal(subs.n, 0);      /* e is at maxdepth, .git pruned: nothing to read below */
    /* --empty and --path on the same directory */
    const char *paths[] = {"*/[Ae]*"};
    mk_walk_filter g = {.max_size = UINT64_MAX, .paths = paths, .npaths = 1, .empty = 1};
    mk_walker w2;
    mk_walker_init(&w2, &g, "test", NULL, 1);
    mk_pathlist m2;
    mk_pathlist_init(&m2);
    assert_int_equal(mk_walk_dir(&w2, &it, &subs, &m2, NULL, NULL), 0);
    assert_int_equal(m2.count, 2);    /* A.C (size 0) and e (no entries) */
    /* --newer than the root's own time: nothing made before it */
    struct stat st;
    assert_int_equal(stat(root, &st), 0);
    mk_walk_filter h = {.max_size = UINT64_MAX, .has_newer = 1, .newer_sec = st.st_mtim.tv_sec + 10};
    mk_walker w3;
    mk_walker_init(&w3, &h, "test", NULL, 1);
    mk_pathlist m3;
    mk_pathlist_init(&m3);
    mk_dirstack subs3;
    mk_dirstack_init(&subs3);
    assert_int_equal(mk_walk_dir(&w3, &it, &subs3, &m3, NULL, NULL), 0);
    assert_int_equal(m3.count, 0);
    mk_pathlist_free(&m);
    mk_pathlist_free(&m2);
    mk_pathlist_free(&m3);
    mk_dirstack_free(&subs);
    mk_dirstack_free(&subs3);
    mk_walk_item_free(&it);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0); /* NOLINT(cert-env33-c): a test's own fixed command */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_check),
        cmocka_unit_test(test_root_base_and_join),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_find_habits),
        cmocka_unit_test(test_dirstack_pack_bottom),
        cmocka_unit_test(test_pathlist),
        cmocka_unit_test(test_walk_dir),
        cmocka_unit_test(test_follow_loop),
        cmocka_unit_test(test_follow_link_cycle),
        cmocka_unit_test(test_long_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
