#!/usr/bin/env python3
"""bench/pool_peers.py - the Python peers of bench/pool.sh, standard library only.

  python3 bench/pool_peers.py trivial WORKERS N REPS   ProcessPoolExecutor / Pool.map of N trivial tasks
  python3 bench/pool_peers.py sleep WORKERS N SECONDS  fastcore's case: N tasks sleeping SECONDS each

Prints CSV rows: peer,workers,chunksize,tasks,startup_s,map_s_median,map_s_min,us_per_task.
startup_s is creating the pool and running one task (the workers exist afterwards); map_s times
only the map call, like mk_pool_map's time inside the MPI program (mpirun start-up excluded).
"""
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool


def trivial(x):
    return x


def nap(seconds):
    time.sleep(seconds)
    return seconds


def timed_maps(run, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def row(peer, workers, chunksize, n, startup, med, best):
    print(f"{peer},{workers},{chunksize},{n},{startup:.4f},{med:.4f},{best:.4f},{med / n * 1e6:.2f}", flush=True)


def main():
    mode, workers, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode == "trivial":
        reps = int(sys.argv[4])
        auto = math.ceil(n / (4 * workers))   # Pool.map's own rule
        for chunksize in (1, auto):
            t = time.perf_counter()
            with ProcessPoolExecutor(max_workers=workers) as ex:
                list(ex.map(trivial, range(workers)))
                startup = time.perf_counter() - t
                med, best = timed_maps(lambda: list(ex.map(trivial, range(n), chunksize=chunksize)), reps)
            row("ProcessPoolExecutor.map", workers, chunksize, n, startup, med, best)
            t = time.perf_counter()
            with Pool(workers) as pool:
                pool.map(trivial, range(workers))
                startup = time.perf_counter() - t
                med, best = timed_maps(lambda: pool.map(trivial, range(n), chunksize=chunksize), reps)
            row("multiprocessing.Pool.map", workers, chunksize, n, startup, med, best)
    elif mode == "sleep":
        seconds = float(sys.argv[4])
        t = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as ex:
            list(ex.map(trivial, range(workers)))
            startup = time.perf_counter() - t
            med, best = timed_maps(lambda: list(ex.map(nap, [seconds] * n)), 1)
        row("ProcessPoolExecutor.map(sleep)", workers, 1, n, startup, med, best)
    else:
        sys.exit(f"usage: {sys.argv[0]} trivial|sleep WORKERS N REPS|SECONDS")


if __name__ == "__main__":
    main()
