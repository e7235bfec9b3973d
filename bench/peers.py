#!/usr/bin/env python3
"""bench/peers.py - the Python peers of the benchmarks, written the way the tutorials write them.

    /usr/bin/python3 bench/peers.py KIND ARGS...

Each prints "@metric value unit" lines: inside_s is the work alone, timed with perf_counter after
the imports (interpreter start-up and imports are in the harness's whole-process time instead).
KINDs (see bench/*.sh for the sizes):
  counter FILE                 Counter(re.findall(r"\\w+", text.lower())), the usual one-liner
  poolmap FILE N               the tutorial's Pool(N).map(count_words, lines), Counters merged
  mpi4py-wc FILE               mpi4py: each rank counts its byte range (cut at newlines), gather
  square-list N | square-pool N WORKERS | square-numpy N
  bigpower-numpy N             [np.mean(np.random.randn(N) ** p) for p in (1, 2, 12, 15)]
  bigpower-pool N WORKERS      the same with Pool(WORKERS).map over the powers
  randn N                      np.random.randn(N) alone (normals/s of one core)
  pandas-apply ROWS | pandas-vector ROWS | pandas-parallel ROWS WORKERS (parallelize_dataframe)
  dask-mean N CHUNK            da.random.normal(0, 1, (N, N), chunks).mean(axis=0).compute()
  dask-stats N CHUNK           sum, mean, std, column and row means in one compute
  dask-groupby CSV OUT WORKERS dd.read_csv(CSV).groupby("key").agg(...) on WORKERS processes
  oswalk ROOT | walkpool ROOT WORKERS
  ppe-trivial N WORKERS CHUNK | pool-trivial N WORKERS CHUNK | ppe-sleep N WORKERS SECONDS
"""
import os
import re
import sys
import time
from collections import Counter
from multiprocessing import Pool


def out(metric, value, unit):
    print(f"@{metric} {value:.6g} {unit}", flush=True)


class timed:
    def __enter__(self):
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t
        out("inside_s", self.s, "s")


# wordcount ---------------------------------------------------------------------------------------
def count_words(line):
    return Counter(re.findall(r"\w+", line.lower()))


def counter(path):
    with timed():
        with open(path, encoding="latin-1") as f:
            text = f.read()
        words = Counter(re.findall(r"\w+", text.lower()))
        top = words.most_common(10)
    out("distinct", len(words), "words")
    out("top1", top[0][1], "count")


def poolmap(path, n):
    with timed():
        with open(path, encoding="latin-1") as f:
            lines = f.readlines()
        with Pool(int(n)) as p:
            counts = p.map(count_words, lines)
        total = Counter()
        for c in counts:
            total.update(c)
        total.most_common(10)
    out("distinct", len(total), "words")


def mpi4py_wc(path):
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    comm.Barrier()
    t = time.perf_counter()
    n = os.path.getsize(path)
    lo, hi = n * rank // size, n * (rank + 1) // size
    with open(path, "rb") as f:          # a rank owns the lines that start in [lo, hi)
        if lo > 0:
            f.seek(lo - 1)
            f.readline()
        start = f.tell()
        data = b""
        if start < hi:
            data = f.read(hi - start)
            data += f.readline()        # finish the last line
    words = Counter(re.findall(r"\w+", data.decode("latin-1").lower()))
    parts = comm.gather(words, root=0)
    if rank == 0:
        total = Counter()
        for c in parts:
            total.update(c)
        total.most_common(10)
        s = time.perf_counter() - t
        out("inside_s", s, "s")
        out("distinct", len(total), "words")


# square ------------------------------------------------------------------------------------------
def square(x):
    return x * x


def ints(n):
    import random
    random.seed(1)
    return [random.randrange(1000) for _ in range(int(n))]


def square_list(n):
    xs = ints(n)
    with timed():
        list(map(square, xs))


def square_pool(n, workers):
    xs = ints(n)
    with timed():
        with Pool(int(workers)) as p:
            p.map(square, xs)


def square_numpy(n):
    import numpy as np
    a = np.random.default_rng(1).integers(0, 1000, int(n))
    with timed():
        np.square(a)


# bigpower ----------------------------------------------------------------------------------------
POWERS = (1, 2, 12, 15)


def power_mean(args):
    import numpy as np
    n, p = args
    return np.mean(np.random.randn(n) ** p)


def bigpower_numpy(n):
    n = int(float(n))
    with timed() as t:
        [power_mean((n, p)) for p in POWERS]
    out("normals_per_s", len(POWERS) * n / t.s, "1/s")


def bigpower_pool(n, workers):
    n = int(float(n))
    with timed() as t:
        with Pool(int(workers)) as p:
            p.map(power_mean, [(n, q) for q in POWERS])
    out("normals_per_s", len(POWERS) * n / t.s, "1/s")


def randn(n):
    import numpy as np
    n = int(float(n))
    np.random.randn(1000)
    with timed() as t:
        np.random.randn(n)
    out("normals_per_s", n / t.s, "1/s")


# table -------------------------------------------------------------------------------------------
def frame(rows):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.random((int(float(rows)), 4)), columns=list("ABCD"))


def add_k(df):
    df["K"] = df.apply(lambda r: (r["A"] + r["B"]) * r["C"] / 4 - r["D"], axis=1)
    return df


def parallelize_dataframe(df, func, n_cores):
    import numpy as np
    import pandas as pd
    df_split = np.array_split(df, n_cores)
    pool = Pool(n_cores)
    df = pd.concat(pool.map(func, df_split))
    pool.close()
    pool.join()
    return df


def pandas_apply(rows):
    df = frame(rows)
    with timed():
        add_k(df)


def pandas_vector(rows):
    df = frame(rows)
    with timed():
        df["K"] = (df["A"] + df["B"]) * df["C"] / 4 - df["D"]


def pandas_parallel(rows, workers):
    df = frame(rows)
    with timed():
        parallelize_dataframe(df, add_k, int(workers))


# arraystats --------------------------------------------------------------------------------------
def dask_array(n, chunk):
    import dask.array as da
    n, c = int(n), int(chunk)
    return da.random.normal(0, 1, size=(n, n), chunks=(c, c))


def dask_mean(n, chunk):
    x = dask_array(n, chunk)
    with timed():
        x.mean(axis=0).compute()


def dask_stats(n, chunk):
    import dask
    x = dask_array(n, chunk)
    with timed():
        dask.compute(x.sum(), x.mean(), x.std(), x.mean(axis=0), x.mean(axis=1))


# table -------------------------------------------------------------------------------------------
def dask_groupby(path, out_path, workers):
    """The table bench's groupby (mean a, sum b, size, std c by key) as a dask user writes it:
    dd.read_csv in blocks, one groupby.agg, computed on a process pool (pandas' parser holds the
    GIL for part of its work, so threads would not use both cores)."""
    import dask
    import dask.dataframe as dd
    workers = int(workers)
    with timed():
        # about four blocks per worker, as dask's own guidance suggests for load balance
        block = max(1 << 20, os.path.getsize(path) // (4 * workers))
        ddf = dd.read_csv(path, blocksize=block)
        by_key = ddf.groupby("key")
        stats = by_key.agg({"a": "mean", "b": "sum", "c": "std"})
        sizes = by_key.size()
        with dask.config.set(scheduler="processes", num_workers=workers):
            stats, sizes = dask.compute(stats, sizes)
        stats = stats.rename(columns={"a": "mean_a", "b": "sum_b", "c": "std_c"})
        stats["count"] = sizes
        stats.sort_index().to_csv(out_path)
    out("groups", len(stats), "groups")


# findfiles ---------------------------------------------------------------------------------------
def find_py_file(directory):
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        found += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    return found


def oswalk(root):
    with timed():
        n = len(find_py_file(root))
    out("matches", n, "files")


def walkpool(root, workers):
    with timed():
        top = [os.path.join(root, d) for d in os.listdir(root)]
        dirs = [d for d in top if os.path.isdir(d)]
        with Pool(int(workers)) as p:
            n = sum(len(c) for c in p.map(find_py_file, dirs))
    out("matches", n, "files")


# pool --------------------------------------------------------------------------------------------
def trivial(x):
    return x


def nap(seconds):
    time.sleep(seconds)
    return seconds


def ppe_trivial(n, workers, chunk):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=int(workers)) as ex:
        list(ex.map(trivial, range(int(workers))))     # the workers exist from here on
        with timed():
            list(ex.map(trivial, range(int(n)), chunksize=int(chunk)))


def pool_trivial(n, workers, chunk):
    with Pool(int(workers)) as p:
        p.map(trivial, range(int(workers)))
        with timed():
            p.map(trivial, range(int(n)), chunksize=int(chunk))


def ppe_sleep(n, workers, seconds):
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=int(workers)) as ex:
        list(ex.map(trivial, range(int(workers))))
        with timed():
            list(ex.map(nap, [float(seconds)] * int(n)))


KINDS = {
    "counter": counter, "poolmap": poolmap, "mpi4py-wc": mpi4py_wc,
    "square-list": square_list, "square-pool": square_pool, "square-numpy": square_numpy,
    "bigpower-numpy": bigpower_numpy, "bigpower-pool": bigpower_pool, "randn": randn,
    "pandas-apply": pandas_apply, "pandas-vector": pandas_vector, "pandas-parallel": pandas_parallel,
    "dask-mean": dask_mean, "dask-stats": dask_stats, "dask-groupby": dask_groupby,
    "oswalk": oswalk, "walkpool": walkpool,
    "ppe-trivial": ppe_trivial, "pool-trivial": pool_trivial, "ppe-sleep": ppe_sleep,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    KINDS[sys.argv[1]](*sys.argv[2:])
