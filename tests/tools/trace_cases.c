/* trace_cases - MPI programs with known communication, for the tracer's tests (tests/jobs/
 * trace.sh) and its overhead measurement (scripts/trace-overhead.sh). Plain MPI: what the
 * trace must show follows from the code below.
 *
 *   trace_cases pingpong K BYTES  rank 0 and rank N-1 exchange K round trips of BYTES bytes
 *                                 (one rank: K messages to itself, Isend + Recv + Wait)
 *   trace_cases scatter COUNT     rank 0 scatters COUNT ints to every rank, which sums them
 *   trace_cases nonblocking K     a ring: K rounds of Irecv from the left + Isend to the right,
 *                                 completed by Wait, Waitall, Waitany, Waitsome, Test in turn
 *   trace_cases collectives       one of each collective on the world and on a split
 *   trace_cases probe K           rank 0 takes K messages from every other rank with
 *                                 Iprobe polls, Probe + Recv and Mprobe + Mrecv
 *   trace_cases io FILE           collective and independent MPI-IO writes and reads
 *   trace_cases all K             pingpong K 64, scatter 10, nonblocking K, collectives, probe K
 *   trace_cases threads K         MPI_THREAD_MULTIPLE: two threads each send K messages
 *   trace_cases spawn C           each rank spawns C children (this program, "child") that
 *                                 get a number by MPI_Scatter and return it doubled
 *   trace_cases abort             some messages, then MPI_Abort on the last rank
 *   trace_cases bench K BYTES     ping-pong timing on rank 0: "roundtrip_us X" (mean),
 *                                 "roundtrip_median_us X", "roundtrip_cpu_us X" (processor)
 *   trace_cases selfbench K       one rank, K x (Isend to itself, Recv, Wait): prints
 *                                 "per_call_us X", the time of one call (3 per iteration), and
 *                                 "per_call_cpu_us X", the processor time of one
 */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int world_rank, world_size;

static void pingpong(int k, int bytes)
{
    char *buf = calloc((size_t)bytes + 1, 1);
    int last = world_size - 1;
    if (world_size == 1) {
        for (int i = 0; i < k; i++) {
            MPI_Request r;
            MPI_Isend(buf, bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, &r);
            MPI_Recv(buf, bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        }
    } else if (world_rank == 0) {
        for (int i = 0; i < k; i++) {
            MPI_Send(buf, bytes, MPI_BYTE, last, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_BYTE, last, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    } else if (world_rank == last) {
        for (int i = 0; i < k; i++) {
            MPI_Recv(buf, bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
    }
    free(buf);
    if (world_rank == 0)
        printf("pingpong %d round trips of %d bytes between 0 and %d\n", k, bytes, last);
}

static void scatter(int count)
{
    int *all = NULL, *mine = malloc((size_t)count * sizeof *mine);
    if (world_rank == 0) {
        all = malloc((size_t)count * (size_t)world_size * sizeof *all);
        for (int i = 0; i < count * world_size; i++)
            all[i] = i;
    }
    MPI_Scatter(all, count, MPI_INT, mine, count, MPI_INT, 0, MPI_COMM_WORLD);
    long sum = 0;
    for (int i = 0; i < count; i++)
        sum += mine[i];
    long total = 0;
    MPI_Reduce(&sum, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (world_rank == 0)
        printf("scatter %d ints per rank, total %ld\n", count, total);
    free(all);
    free(mine);
}

static void nonblocking(int k)
{
    int left = (world_rank + world_size - 1) % world_size, right = (world_rank + 1) % world_size;
    for (int i = 0; i < k; i++) {
        int in = -1, out = world_rank * 1000 + i, idx, flag = 0, outcount, indices[2];
        MPI_Request r[2];
        MPI_Irecv(&in, 1, MPI_INT, left, 10 + i % 3, MPI_COMM_WORLD, &r[0]);
        MPI_Isend(&out, 1, MPI_INT, right, 10 + i % 3, MPI_COMM_WORLD, &r[1]);
        switch (i % 5) {
        case 0:
            MPI_Wait(&r[0], MPI_STATUS_IGNORE);
            MPI_Wait(&r[1], MPI_STATUS_IGNORE);
            break;
        case 1: MPI_Waitall(2, r, MPI_STATUSES_IGNORE); break;
        case 2:
            MPI_Waitany(2, r, &idx, MPI_STATUS_IGNORE);
            MPI_Waitany(2, r, &idx, MPI_STATUS_IGNORE);
            break;
        case 3:
            for (int done = 0; done < 2; done += outcount)
                MPI_Waitsome(2, r, &outcount, indices, MPI_STATUSES_IGNORE);
            break;
        default:
            while (!flag)
                MPI_Test(&r[0], &flag, MPI_STATUS_IGNORE);
            MPI_Wait(&r[1], MPI_STATUS_IGNORE);
            break;
        }
        /* both requests are complete (MPI_REQUEST_NULL) by now: this returns at once, and shows
         * the MPI checker, which follows neither the Waitsome nor the Test loop, a wait */
        MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
        if (in != left * 1000 + i) {
            fprintf(stderr, "nonblocking: rank %d got %d, expected %d\n", world_rank, in, left * 1000 + i);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    if (world_rank == 0)
        printf("nonblocking %d rounds in a ring of %d\n", k, world_size);
}

static void collectives_on(MPI_Comm comm)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int x = rank + 1, y = 0, *all = calloc((size_t)size * 4, sizeof *all),
        *counts = calloc((size_t)size, sizeof *counts), *displs = calloc((size_t)size, sizeof *displs);
    for (int r = 0; r < size; r++) {
        counts[r] = 1;
        displs[r] = r;
    }
    MPI_Barrier(comm);
    MPI_Bcast(&x, 1, MPI_INT, 0, comm);
    MPI_Gather(&x, 1, MPI_INT, all, 1, MPI_INT, size - 1, comm);
    MPI_Gatherv(&x, 1, MPI_INT, all, counts, displs, MPI_INT, 0, comm);
    MPI_Scatterv(all, counts, displs, MPI_INT, &y, 1, MPI_INT, 0, comm);
    MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_SUM, comm);
    MPI_Reduce(&x, &y, 1, MPI_INT, MPI_MAX, 0, comm);
    MPI_Scan(&x, &y, 1, MPI_INT, MPI_SUM, comm);
    MPI_Exscan(&x, &y, 1, MPI_INT, MPI_SUM, comm);
    MPI_Allgather(&x, 1, MPI_INT, all, 1, MPI_INT, comm);
    MPI_Allgatherv(&x, 1, MPI_INT, all, counts, displs, MPI_INT, comm);
    MPI_Alltoall(all, 1, MPI_INT, all + size, 1, MPI_INT, comm);
    MPI_Alltoallv(all, counts, displs, MPI_INT, all + size, counts, displs, MPI_INT, comm);
    MPI_Reduce_scatter_block(all, &y, 1, MPI_INT, MPI_SUM, comm);
    MPI_Request barrier, reduce;
    int flag = 0;
    MPI_Ibarrier(comm, &barrier);
    while (!flag)
        MPI_Test(&barrier, &flag, MPI_STATUS_IGNORE);
    MPI_Iallreduce(&x, &y, 1, MPI_INT, MPI_SUM, comm, &reduce);
    MPI_Wait(&reduce, MPI_STATUS_IGNORE);
    free(all);
    free(counts);
    free(displs);
}

static void collectives(void)
{
    collectives_on(MPI_COMM_WORLD);
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_size - world_rank, &half);
    collectives_on(half);
    MPI_Comm_free(&half);
    if (world_rank == 0)
        printf("collectives: 16 kinds on the world and on 2 halves\n");
}

static void probe(int k)
{
    if (world_rank != 0) {
        for (int i = 0; i < 3 * k; i++)
            MPI_Send(&i, 1, MPI_INT, 0, 20 + i % 3, MPI_COMM_WORLD);
    } else {
        for (int i = 0; i < 3 * k * (world_size - 1); i++) {
            MPI_Status st;
            int v, flag = 0;
            if (i % 3 == 0) {
                while (!flag)
                    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
                MPI_Recv(&v, 1, MPI_INT, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (i % 3 == 1) {
                MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
                MPI_Recv(&v, 1, MPI_INT, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else {
                MPI_Message m;
                MPI_Mprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &m, &st);
                MPI_Mrecv(&v, 1, MPI_INT, &m, MPI_STATUS_IGNORE);
            }
        }
        printf("probe %d messages from each of %d ranks\n", 3 * k, world_size - 1);
    }
}

static void io(const char *path)
{
    MPI_File f;
    int block[4] = {world_rank, world_rank, world_rank, world_rank}, back[4];
    MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &f);
    MPI_File_write_at_all(f, (MPI_Offset)world_rank * (MPI_Offset)sizeof block, block, 4, MPI_INT, MPI_STATUS_IGNORE);
    MPI_File_read_at_all(f, (MPI_Offset)world_rank * (MPI_Offset)sizeof block, back, 4, MPI_INT, MPI_STATUS_IGNORE);
    MPI_File_read_at(f, 0, back, 4, MPI_INT, MPI_STATUS_IGNORE);
    MPI_File_close(&f);
    if (world_rank == 0)
        printf("io: 16 bytes written and read back per rank\n");
}

static void *sender(void *arg)
{
    int k = *(const int *)arg, v = 0;
    for (int i = 0; i < k; i++)
        MPI_Send(&v, 1, MPI_INT, 0, 30, MPI_COMM_WORLD);
    return NULL;
}

static void threads(int k)
{
    if (world_rank == 0) {
        for (int i = 0; i < 2 * k * (world_size - 1); i++) {
            int v;
            MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 30, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        printf("threads: %d messages received\n", 2 * k * (world_size - 1));
    } else {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, sender, &k);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
    }
}

static void spawn(const char *self, int children)
{
    MPI_Comm kids;
    char *argv[] = {(char *)"child", NULL};
    MPI_Comm_spawn(self, argv, children, MPI_INFO_NULL, 0, MPI_COMM_SELF, &kids, MPI_ERRCODES_IGNORE);
    int *numbers = malloc((size_t)children * sizeof *numbers), *back = malloc((size_t)children * sizeof *back);
    for (int i = 0; i < children; i++)
        numbers[i] = world_rank * 100 + i;
    MPI_Scatter(numbers, 1, MPI_INT, NULL, 0, MPI_INT, MPI_ROOT, kids);
    MPI_Gather(NULL, 0, MPI_INT, back, 1, MPI_INT, MPI_ROOT, kids);
    int ok = 1;
    for (int i = 0; i < children; i++)
        ok &= back[i] == 2 * numbers[i];
    MPI_Comm_disconnect(&kids);
    int all_ok = 0;
    MPI_Reduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, 0, MPI_COMM_WORLD);
    if (world_rank == 0)
        printf("spawn: %d children per rank, doubled: %s\n", children, all_ok ? "ok" : "WRONG");
    free(numbers);
    free(back);
}

static void child(void)
{
    MPI_Comm parent;
    MPI_Comm_get_parent(&parent);
    int x = 0, peer = 0, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Scatter(NULL, 0, MPI_INT, &x, 1, MPI_INT, 0, parent);
    x *= 2;
    /* a message inside the children's own world, too */
    MPI_Allreduce(&x, &peer, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Gather(&x, 1, MPI_INT, NULL, 0, MPI_INT, 0, parent);
    MPI_Comm_disconnect(&parent);
}

/* CPU time of this thread, seconds: what a call costs when the machine's load takes the
 * processor away now and then (wall-clock time then overstates it). */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The ping-pong's timings on rank 0: the mean round trip, the median (the typical round trip:
 * on a loaded machine a few round trips absorb the moments a rank lost its processor, and
 * they dominate the mean), and rank 0's processor time per round trip. */
static void bench(int k, int bytes)
{
    char *buf = calloc((size_t)bytes + 1, 1);
    double *rtt = calloc((size_t)k + 1, sizeof *rtt);
    int last = world_size - 1;
    MPI_Barrier(MPI_COMM_WORLD);
    double cpu = thread_cpu();
    double t = MPI_Wtime();
    for (int i = 0; i < k; i++) {
        if (world_rank == 0) {
            double t0 = MPI_Wtime();
            MPI_Send(buf, bytes, MPI_BYTE, last, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_BYTE, last, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            rtt[i] = MPI_Wtime() - t0;
        } else if (world_rank == last) {
            MPI_Recv(buf, bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
    }
    t = MPI_Wtime() - t;
    cpu = thread_cpu() - cpu;
    if (world_rank == 0) {
        qsort(rtt, (size_t)k, sizeof *rtt, cmp_double);
        printf("roundtrip_cpu_us %.3f\nroundtrip_median_us %.3f\nroundtrip_p99_us %.3f\nroundtrip_us %.3f\n",
               1e6 * cpu / k, 1e6 * rtt[k / 2], 1e6 * rtt[k - 1 - k / 100], 1e6 * t / k);
    }
    free(rtt);
    free(buf);
}

static void selfbench(int k)
{
    int v = 0, w = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double cpu = thread_cpu();
    double t = MPI_Wtime();
    for (int i = 0; i < k; i++) {
        MPI_Request r;
        MPI_Isend(&v, 1, MPI_INT, world_rank, 5, MPI_COMM_WORLD, &r);
        MPI_Recv(&w, 1, MPI_INT, world_rank, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Wait(&r, MPI_STATUS_IGNORE);
    }
    t = MPI_Wtime() - t;
    cpu = thread_cpu() - cpu;
    if (world_rank == 0)
        printf("per_call_cpu_us %.4f\nper_call_us %.4f\n", 1e6 * cpu / (3.0 * k), 1e6 * t / (3.0 * k));
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    int a = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10, b = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 8;
    if (strcmp(what, "threads") == 0) {
        int provided;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
        if (provided < MPI_THREAD_MULTIPLE) {
            fprintf(stderr, "trace_cases: no MPI_THREAD_MULTIPLE\n");
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    } else {
        MPI_Init(&argc, &argv);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (strcmp(what, "pingpong") == 0) {
        pingpong(a, b);
    } else if (strcmp(what, "scatter") == 0) {
        scatter(a);
    } else if (strcmp(what, "nonblocking") == 0) {
        nonblocking(a);
    } else if (strcmp(what, "collectives") == 0) {
        collectives();
    } else if (strcmp(what, "probe") == 0) {
        probe(a);
    } else if (strcmp(what, "io") == 0 && argc > 2) {
        io(argv[2]);
    } else if (strcmp(what, "all") == 0) {
        pingpong(a, 64);
        scatter(10);
        nonblocking(a);
        collectives();
        probe(a);
    } else if (strcmp(what, "threads") == 0) {
        threads(a);
    } else if (strcmp(what, "spawn") == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        spawn(self, a);
    } else if (strcmp(what, "child") == 0) {
        child();
    } else if (strcmp(what, "abort") == 0) {
        pingpong(3, 8);
        MPI_Barrier(MPI_COMM_WORLD);
        if (world_rank == world_size - 1)
            MPI_Abort(MPI_COMM_WORLD, 3);
        MPI_Barrier(MPI_COMM_WORLD);
    } else if (strcmp(what, "bench") == 0) {
        bench(a, b);
    } else if (strcmp(what, "selfbench") == 0) {
        selfbench(a);
    } else {
        if (world_rank == 0)
            fprintf(stderr, "usage: trace_cases pingpong|scatter|nonblocking|collectives|probe|io|all|threads|"
                            "spawn|abort|bench [N] [BYTES]\n");
        MPI_Finalize();
        return 2;
    }
    MPI_Finalize();
    return 0;
}
