/* stop.h - the stop notice of a checkpointing job: SIGUSR1 (SLURM's warning before a time
 * limit or a preemption), SIGTERM and SIGINT set one flag the job polls (MPI-free). */
#ifndef MPIKIT_STOP_H
#define MPIKIT_STOP_H

#include <signal.h>

/* Install the handlers of SIGUSR1, SIGTERM and SIGINT; returns the flag they set. */
volatile sig_atomic_t *mk_stop_on_signals(void);

/* 1 when sig is one of the stop signals above. */
int mk_is_stop_signal(int sig);

#endif
