/* Lesson 10, findfiles: work that makes more work, and knowing when it is all done.
 * EXERCISE
 *
 * Each directory is a task, and reading it finds new tasks: its subdirectories. Workers send
 * rank 0 each directory they find (FOUND), then say they are free (READY); rank 0 queues
 * what they found and hands each free worker one directory (WORK).
 *   worker --FOUND "d/x"--> --FOUND "d/y"--> --READY-->  rank 0: queue d/x, d/y
 *   worker <---------------------WORK "d/y"-----------   one queued directory per READY
 *   queue empty and every worker READY: nobody is reading, and a worker's FOUNDs arrive
 *   before its READY (one sender's messages keep their order): nothing can turn up any
 *   more, so DONE to every worker. Last, MPI_Reduce adds up the counts on rank 0.
 *
 * This program compiles and runs, but the workers keep what they find, and rank 0 reports
 * its own counts only. Fill in the TODOs, then check:  make lesson NAME=findfiles
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
enum { FOUND, READY, WORK, DONE, MAX_PATH = 4096 };  // message tags; longest path sent
static int world_rank, world_size, queued, capacity;  // capacity: rows of queue allocated
static char (*queue)[MAX_PATH];     // rank 0: directories still to read
static long counts[2];              // {directories read, .py files found}
static void found_dir(const char *path)  // a new task: workers send it to rank 0, which queues it
{
    if (world_rank > 0) {
        // TODO: send the path (strlen(path) + 1 chars, tag FOUND) to rank 0.
        return;
    }
    if (queued == capacity) {  // full: double it, or stop the whole job
        void *grown = realloc(queue, (size_t)(capacity = 2 * capacity + 8) * MAX_PATH);
        if (grown == NULL)
            MPI_Abort(MPI_COMM_WORLD, 1);
        queue = grown;
    }
    strcpy(queue[queued++], path);
}

// Read one directory: count it and the .py files in it; pass on its subdirectories.
static void read_dir(const char *dir)
{
    char path[MAX_PATH];
    struct stat sb;
    DIR *d = opendir(dir);
    counts[0]++;
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *name = e->d_name, *dot = strrchr(name, '.');
        if (!strcmp(name, ".") || !strcmp(name, "..") ||
            snprintf(path, sizeof path, "%s/%s", dir, name) >= MAX_PATH || lstat(path, &sb))
            continue;  // not a child, too long for our messages, or gone since readdir
        counts[1] += S_ISREG(sb.st_mode) && dot && !strcmp(dot, ".py");
        if (S_ISDIR(sb.st_mode))
            found_dir(path);
    }
    if (d != NULL)  // an unreadable directory is still counted, as find counts it
        closedir(d);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    char message[MAX_PATH];  // big enough for any path we send
    MPI_Status status;
    if (world_rank == 0) {
        int workers = world_size - 1, n_ready = 0, *ready = malloc(sizeof(int) * (size_t)world_size);
        found_dir(argc > 1 ? argv[1] : ".");
        while (queued > 0 || n_ready < workers) {
            if (workers == 0) {  // alone: read the directories here
                read_dir(strcpy(message, queue[--queued]));
            } else if (n_ready > 0 && queued > 0) {  // a free worker and a queued directory
                const char *dir = queue[--queued];
                MPI_Send(dir, (int)strlen(dir) + 1, MPI_CHAR, ready[--n_ready], WORK, MPI_COMM_WORLD);
            } else {  // news from any worker: a directory it found, or "I am free"
                MPI_Recv(message, MAX_PATH, MPI_CHAR, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
                if (status.MPI_TAG == FOUND)
                    found_dir(message);
                else
                    ready[n_ready++] = status.MPI_SOURCE;
            }
        }
        for (int w = 0; w < n_ready; w++)  // nothing queued and nobody reading: done
            MPI_Send(NULL, 0, MPI_CHAR, ready[w], DONE, MPI_COMM_WORLD);
        free(ready);
    } else {
        do {  // say I am free, then read what rank 0 sends, until it says DONE
            MPI_Send(NULL, 0, MPI_CHAR, 0, READY, MPI_COMM_WORLD);
            MPI_Recv(message, MAX_PATH, MPI_CHAR, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
            if (status.MPI_TAG == WORK)
                read_dir(message);
        } while (status.MPI_TAG == WORK);
    }
    // TODO: rank 0 adds everyone's 2 counts to its own: MPI_Reduce with MPI_SUM, where
    //       rank 0 passes MPI_IN_PLACE as its send buffer and `counts` as its receive buffer.
    if (world_rank == 0)
        printf("directories %ld\npy_files %ld\n", counts[0], counts[1]);
    free(queue);
    MPI_Finalize();
    return 0;
}
