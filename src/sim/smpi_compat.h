/* smpi_compat.h - workarounds for what SimGrid's SMPI (3.32) lacks or does differently from Open
 * MPI, force-included (-include) into every object of the simulated build (make SIM=1) only; the
 * real build never sees it, so no job or library file needs an #ifdef.
 *
 * MPI-IO: SMPI's MPI_File_* go through SimGrid's file-system plugin, which simulates the time
 * of I/O on the platform's disks (a diskless platform aborts in MPI_File_open); here, on a
 * platform with a disk, wordcount crashed inside the simulation (SIGSEGV in libsimgrid).
 * mpikit's results depend on the real bytes read (wordcount, the textsplit reader) and
 * written (textgen). So the MPI-IO calls mpikit makes are redirected to mk_sim_file_* (smpi_compat.c),
 * which do the I/O with POSIX pread/pwrite on the real file. SMPI benchmarks that time as
 * computation of the calling rank: I/O is modelled as this machine's local disk (page cache
 * when warm), not as a parallel file system (docs/scaling.md, "Where the model is wrong").
 *
 * Matched probes: SMPI 3.32 aborts in MPI_Improbe ("Not yet implemented"), which findfiles'
 * work stealing (src/walk_net.c) uses. mk_sim_improbe/mprobe/mrecv emulate them with
 * MPI_Iprobe/MPI_Probe and an MPI_Recv from the probed source and tag: a rank is one thread
 * here, and MPI's non-overtaking order per (source, tag, comm) makes that receive take the very
 * message the probe saw.
 *
 * MPI_Exscan: SMPI 3.32's gives wrong prefixes for mpikit's non-commutative user operation
 * (the in-word carry of src/wc.c): wordcount --mode wc miscounted words at block boundaries
 * (tests/jobs/simulate.sh caught it: 48493 words where wc counts 48491 at 4 ranks).
 * mk_sim_exscan gathers every rank's contribution (MPI_Allgather, a log-depth collective like
 * a real Exscan's) and folds ranks 0..r-1 in rank order with MPI_Reduce_local. */
#ifndef MPIKIT_SMPI_COMPAT_H
#define MPIKIT_SMPI_COMPAT_H

#include <mpi.h>

/* Collective: every rank opens `filename`; with MPI_MODE_CREATE|MPI_MODE_EXCL only rank 0
 * creates it (never through a symlink) and the others open what it created. */
int mk_sim_file_open(MPI_Comm comm, const char *filename, int amode, MPI_Info info, MPI_File *fh);
/* Close and free; *fh becomes MPI_FILE_NULL. */
int mk_sim_file_close(MPI_File *fh);
/* pread of count elements of datatype at byte offset; the status counts what was read. */
int mk_sim_file_read_at(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype datatype,
                        MPI_Status *status);
/* The same, collective in name only (no rank waits for another, as MPI allows). */
int mk_sim_file_read_at_all(MPI_File fh, MPI_Offset offset, void *buf, int count, MPI_Datatype datatype,
                            MPI_Status *status);
/* pwrite of count elements at byte offset, collective in name only. */
int mk_sim_file_write_at_all(MPI_File fh, MPI_Offset offset, const void *buf, int count, MPI_Datatype datatype,
                             MPI_Status *status);

/* Probe for a message; when there is one, *message names it for mk_sim_mrecv. */
int mk_sim_improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message, MPI_Status *status);
/* Blocking form of mk_sim_improbe. */
int mk_sim_mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status);
/* Receive the probed message (from its source, with its tag) and free the handle. */
int mk_sim_mrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Status *status);

/* MPI_Exscan by allgather and an in-order fold (why above). */
int mk_sim_exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);

#undef MPI_Exscan
#define MPI_Exscan mk_sim_exscan
#undef MPI_Improbe
#undef MPI_Mprobe
#undef MPI_Mrecv
#define MPI_Improbe mk_sim_improbe
#define MPI_Mprobe mk_sim_mprobe
#define MPI_Mrecv mk_sim_mrecv
#undef MPI_File_open
#undef MPI_File_close
#undef MPI_File_read_at
#undef MPI_File_read_at_all
#undef MPI_File_write_at_all
#define MPI_File_open mk_sim_file_open
#define MPI_File_close mk_sim_file_close
#define MPI_File_read_at mk_sim_file_read_at
#define MPI_File_read_at_all mk_sim_file_read_at_all
#define MPI_File_write_at_all mk_sim_file_write_at_all

#endif
