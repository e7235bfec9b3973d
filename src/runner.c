/* runner.c - run one shell command in its own process group (posix_spawn of /bin/sh -c).
 *
 * The command becomes the leader of a new process group, so a timeout can end everything it
 * started (pipelines, background children) with one killpg, and a signal sent to our own group
 * (a terminal's ^C) is not what ends it. The wait uses a pidfd where the kernel has one (poll
 * with the time left) and falls back to waitpid(WNOHANG) with short sleeps.
 */
#include "mpikit/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpikit/stop.h"
#include "mpikit/timing.h"

extern char **environ;

int mk_run_succeeded(const mk_run_status *st)
{
    return st->exitval == 0 && st->signal == 0 && !st->timed_out && !st->interrupted;
}

static int safe_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/' ||
           c == '.' || c == '+' || c == '-';
}

char *mk_shell_quote(const char *arg)
{
    size_t n = strlen(arg), quotes = 0;
    int plain = n > 0;
    for (size_t i = 0; i < n; i++) {
        plain = plain && safe_char((unsigned char)arg[i]);
        quotes += arg[i] == '\'';
    }
    char *out = malloc(n + 4 * quotes + 3);
    if (out == NULL || plain) {
        if (out != NULL)
            memcpy(out, arg, n + 1);
        return out;
    }
    char *p = out;
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (arg[i] == '\'') {   /* close the quote, a double-quoted ', reopen: '"'"' */
            memcpy(p, "'\"'\"'", 5);
            p += 5;
        } else {
            *p++ = arg[i];
        }
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

char *mk_expand_command(const char *tmpl, const char *arg, uint64_t seq, int append_arg)
{
    char *quoted = mk_shell_quote(arg);
    if (quoted == NULL)
        return NULL;
    char num[24];
    int numlen = snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
    size_t qlen = strlen(quoted), tlen = strlen(tmpl), len = 0, args = 0;
    for (const char *p = tmpl; *p != '\0'; p++) {   /* the size first: every {} or {#} may grow */
        if (strncmp(p, "{}", 2) == 0) {
            len += qlen;
            args++;
            p++;
        } else if (strncmp(p, "{#}", 3) == 0) {
            len += (size_t)numlen;
            p += 2;
        } else {
            len++;
        }
    }
    int append = append_arg && args == 0;
    char *out = malloc(len + (append ? qlen + 1 : 0) + tlen + 1);
    char *o = out;
    for (const char *p = tmpl; out != NULL && *p != '\0'; p++) {
        if (strncmp(p, "{}", 2) == 0) {
            memcpy(o, quoted, qlen);
            o += qlen;
            p++;
        } else if (strncmp(p, "{#}", 3) == 0) {
            memcpy(o, num, (size_t)numlen);
            o += numlen;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    if (out != NULL && append) {
        *o++ = ' ';
        memcpy(o, quoted, qlen);
        o += qlen;
    }
    if (out != NULL)
        *o = '\0';
    free(quoted);
    return out;
}

/* ---- waiting ---- */

static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Wait for pid until `deadline` (mk_now() seconds; < 0: forever) or until *stop is set (stop may
 * be NULL). 1 and *status when it ended, 0 when the deadline passed or a stop came first. */
static int wait_until(pid_t pid, double deadline, const volatile sig_atomic_t *stop, int *status)
{
    if (deadline < 0 && stop == NULL) {
        while (waitpid(pid, status, 0) < 0)
            if (errno != EINTR)
                return 1;   /* not our child any more: nothing left to wait for */
        return 1;
    }
    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    double nap = 0.001;
    int ended = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            ended = 1;
            break;
        }
        double left = deadline < 0 ? 3600 : deadline - mk_now();
        if (left <= 0 || (stop != NULL && *stop))
            break;
        if (stop != NULL && left > 0.1)
            left = 0.1;   /* a signal between the check and the poll must not wait for the command */
        if (pidfd >= 0) {   /* readable when the process ends; a signal interrupts it */
            struct pollfd pfd = {pidfd, POLLIN, 0};
            (void)poll(&pfd, 1, (int)(left * 1000) + 1);
        } else {
            sleep_seconds(left < nap ? left : nap);
            nap = nap < 0.05 ? nap * 2 : nap;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return ended;
}

static int open_output(const char *path, int *fd, mk_err *err)
{
    *fd = -1;
    if (path == NULL)
        return 0;
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (*fd < 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot create '%s': %s", path, strerror(errno));
    return 0;
}

/* The child starts with default dispositions and an empty mask whatever the parent set up
 * (a stop handler, an ignored SIGPIPE), in a new process group of its own. */
static void spawn_attributes(posix_spawnattr_t *attr)
{
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    posix_spawnattr_init(attr);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(attr, 0);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setsigmask(attr, &none);
}

int mk_run_command(const mk_run_spec *spec, mk_run_status *st, mk_err *err)
{
    memset(st, 0, sizeof *st);
    int out_fd = -1, err_fd = -1;
    if (open_output(spec->stdout_path, &out_fd, err) != 0 || open_output(spec->stderr_path, &err_fd, err) != 0) {
        if (out_fd >= 0)
            close(out_fd);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    posix_spawnattr_t attr;
    spawn_attributes(&attr);
    char *argv[] = {"sh", "-c", (char *)spec->command, NULL};
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    st->start = (double)wall.tv_sec + (double)wall.tv_nsec * 1e-9;
    double t0 = mk_now();
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    if (rc != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot start /bin/sh: %s", strerror(rc));
    int status = 0;
    if (!wait_until(pid, spec->timeout > 0 ? t0 + spec->timeout : -1, spec->stop, &status)) {
        st->interrupted = spec->stop != NULL && *spec->stop;
        st->timed_out = !st->interrupted;
        killpg(pid, SIGTERM);
        double grace = spec->kill_grace > 0 ? spec->kill_grace : 1.0;
        if (!wait_until(pid, mk_now() + grace, NULL, &status)) {
            killpg(pid, SIGKILL);
            wait_until(pid, -1, NULL, &status);
        }
        killpg(pid, SIGKILL);   /* what the leader left behind in its group, if it went first */
    }
    /* Where the stop notice is sent to every process of a step (slurmstepd does), the command
     * may die of it before this rank's handler ran: such an ending is the stop, not the task's
     * failure, once the flag rises. A command that killed itself that way fails after a wait. */
    if (!st->interrupted && !st->timed_out && spec->stop != NULL && WIFSIGNALED(status) &&
        mk_is_stop_signal(WTERMSIG(status))) {
        double until = mk_now() + 0.5;
        while (!*spec->stop && mk_now() < until)
            sleep_seconds(0.005);
        st->interrupted = *spec->stop != 0;
    }
    st->seconds = mk_now() - t0;
    if (WIFSIGNALED(status)) {
        st->signal = WTERMSIG(status);
        st->exitval = st->timed_out ? -1 : 0;
    } else {
        st->exitval = st->timed_out ? -1 : WEXITSTATUS(status);
        st->signal = st->timed_out ? SIGTERM : 0;
    }
    return 0;
}
