/* test_runner.c - the command runner: exit statuses and signals as the shell reports them,
 * a timeout that ends the whole process group, output files, and {} / {#} substitution with
 * GNU parallel's quoting, checked by running the expanded command through /bin/sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/runner.h"
#include "mpikit/stop.h"

static char dir[] = "/tmp/mk_test_runner_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;   /* NOLINT(cert-env33-c): a fixed command on our own mkdtemp name */
}

static mk_run_status run_stoppable(const char *command, double timeout, const char *out_path,
                                   const volatile sig_atomic_t *stop)
{
    mk_run_spec spec = {command, timeout, 0.3, out_path, NULL, stop};
    mk_run_status st;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_run_command(&spec, &st, &err), 0);
    return st;
}

static mk_run_status run(const char *command, double timeout, const char *out_path)
{
    return run_stoppable(command, timeout, out_path, NULL);
}

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static void test_exit_status(void **state)
{
    (void)state;
    mk_run_status st = run("true", 0, NULL);
    assert_int_equal(st.exitval, 0);
    assert_int_equal(st.signal, 0);
    assert_true(mk_run_succeeded(&st));
    st = run("exit 7", 0, NULL);
    assert_int_equal(st.exitval, 7);
    assert_false(mk_run_succeeded(&st));
    st = run("kill -9 $$", 0, NULL);
    assert_int_equal(st.signal, 9);
    assert_int_equal(st.exitval, 0);   /* GNU parallel's joblog: Exitval 0, Signal 9 */
    assert_false(mk_run_succeeded(&st));
    st = run("/nonexistent/command", 0, NULL);
    assert_int_equal(st.exitval, 127);
    assert_true(st.start > 1.6e9);
}

static void test_output_file(void **state)
{
    (void)state;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/out", dir);
    run("printf 'a b\\n'; echo err >&2", 0, path);
    read_file(path, buf, sizeof buf);
    assert_string_equal(buf, "a b\n");
    /* a symbolic link planted at the name is not followed */
    char link[256];
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(symlink(path, link), 0);
    mk_run_spec spec = {"echo x", 0, 0, link, NULL, NULL};
    mk_run_status st;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_run_command(&spec, &st, &err), -1);
    assert_non_null(strstr(err.msg, "link"));
    read_file(path, buf, sizeof buf);
    assert_string_equal(buf, "a b\n");
}

/* The command records its process group; after the timeout no process of it is left. */
static void test_timeout_kills_group(void **state)
{
    (void)state;
    char pidfile[256], cmd[512], buf[64];
    snprintf(pidfile, sizeof pidfile, "%s/pgid", dir);
    /* a child that ignores SIGTERM and a grandchild, both in the group */
    snprintf(cmd, sizeof cmd, "echo $$ > %s; (trap '' TERM; sleep 100) & sleep 100 & wait", pidfile);
    mk_run_status st = run(cmd, 0.3, NULL);
    assert_true(st.timed_out);
    assert_int_equal(st.exitval, -1);
    assert_true(st.signal != 0);
    assert_true(st.seconds >= 0.3 && st.seconds < 5);
    read_file(pidfile, buf, sizeof buf);
    pid_t pgid = (pid_t)strtol(buf, NULL, 10);
    assert_true(pgid > 1);
    /* the orphans are reaped by init: allow it a moment */
    int gone = 0;
    for (int k = 0; k < 100 && !gone; k++) {
        gone = kill(-pgid, 0) != 0 && errno == ESRCH;
        if (!gone) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(gone);
    st = run("sleep 0.05", 5, NULL);   /* a command within its time is not touched */
    assert_false(st.timed_out);
    assert_true(mk_run_succeeded(&st));
}

/* A stop flag already set ends the command at once, as interrupted (not a timeout). */
static void test_stop_flag(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    mk_run_status st = run_stoppable("sleep 100", 0, NULL, &stop);
    assert_true(st.interrupted);
    assert_false(st.timed_out);
    assert_false(mk_run_succeeded(&st));
    assert_true(st.seconds < 5);
}

/* Under slurmstepd the stop notice reaches the commands too: a command that dies of it while
 * the rank's flag rises was stopped, not failed; one that kills itself so, with no notice for
 * the rank, failed with that signal. */
static void test_stop_signal_reaches_command(void **state)
{
    (void)state;
    volatile sig_atomic_t quiet = 0;
    mk_run_status st = run_stoppable("kill -USR1 $$; sleep 5", 0, NULL, &quiet);
    assert_false(st.interrupted);
    assert_int_equal(st.signal, SIGUSR1);
    assert_false(mk_run_succeeded(&st));

    volatile sig_atomic_t *stop = mk_stop_on_signals();
    st = run_stoppable("kill -USR1 $PPID; kill -USR1 $$; sleep 5", 0, NULL, stop);
    assert_true(*stop);
    assert_true(st.interrupted);
    assert_true(st.seconds < 4);
    *stop = 0;
}

static void test_quote(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"abc", "abc"},       {"a/b.c", "a/b.c"},   {"-x", "-x"},         {"a+b_c", "a+b_c"},
        {"a b", "'a b'"},     {"a,b", "'a,b'"},     {"$x", "'$x'"},       {"it's", "'it'\"'\"'s'"},
        {"", "''"},           {"é", "'é'"},         {"a=b", "'a=b'"},     {"*", "'*'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = mk_shell_quote(cases[i][0]);
        assert_non_null(q);
        assert_string_equal(q, cases[i][1]);
        free(q);
    }
}

static void test_expand(void **state)
{
    (void)state;
    char *c = mk_expand_command("echo {} {#} {}", "a b", 12, 1);
    assert_string_equal(c, "echo 'a b' 12 'a b'");
    free(c);
    c = mk_expand_command("wc -c", "f", 3, 1);   /* no {}: appended, as GNU parallel does */
    assert_string_equal(c, "wc -c f");
    free(c);
    c = mk_expand_command("echo {#}", "x", 1, 0);
    assert_string_equal(c, "echo 1");
    free(c);
    c = mk_expand_command("{", "x", 1, 0);
    assert_string_equal(c, "{");
    free(c);
}

/* Hostile arguments reach the command as one literal argument. */
static void test_expand_through_shell(void **state)
{
    (void)state;
    const char *hostile[] = {"a b", "it's", "$(touch pwned)", "`id`", "-n", "x\"y", "a\\b", "$HOME;ls", "  ", "*"};
    char path[256], buf[256];
    snprintf(path, sizeof path, "%s/arg", dir);
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        char *c = mk_expand_command("printf '%s|' {}", hostile[i], i + 1, 0);
        mk_run_status st = run(c, 0, path);
        free(c);
        assert_true(mk_run_succeeded(&st));
        read_file(path, buf, sizeof buf);
        char want[64];
        snprintf(want, sizeof want, "%s|", hostile[i]);
        assert_string_equal(buf, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status),         cmocka_unit_test(test_output_file),
        cmocka_unit_test(test_timeout_kills_group), cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_stop_signal_reaches_command),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_expand),              cmocka_unit_test(test_expand_through_shell),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
