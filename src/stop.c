/* stop.c - the stop notice: one flag, set by a signal handler and polled by the job.
 * The flag is the library's one piece of global state: a signal handler can reach nothing
 * else (it has no argument to carry a pointer). */
#include <string.h>

#include "mpikit/stop.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

volatile sig_atomic_t *mk_stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return &stop_requested;
}

int mk_is_stop_signal(int sig)
{
    return sig == SIGUSR1 || sig == SIGTERM || sig == SIGINT;
}
