#!/usr/bin/env python3
"""bench/report.py RESULTS.csv DOC.md IMGDIR - docs/benchmarks.md and its plots from one results
file of bench/run.sh (standard library only; plots with gnuplot when installed).

Every figure is a median over repetitions with the min-max beside it; a ratio A/B is taken per
repetition (A and B ran back to back in the same repetition) and then its median is reported.
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

RESULTS, DOC, IMG = sys.argv[1], sys.argv[2], sys.argv[3]
IMG_REL = os.path.relpath(IMG, os.path.dirname(DOC))

facts, notes = {}, []
data = defaultdict(dict)          # (bench, case, impl, ranks, metric) -> {rep: value}
units = {}
cases = defaultdict(list)         # bench -> [case] in order
impls = defaultdict(list)         # (bench, case) -> [(impl, ranks)] in order
with open(RESULTS) as f:
    lines = [l for l in f]
for l in lines:
    if l.startswith("# "):
        k, _, v = l[2:].strip().partition(": ")
        if k == "note":
            notes.append(v)
        elif v:
            facts[k] = v
rows = csv.DictReader(l for l in lines if not l.startswith("#"))
for r in rows:
    # lib.sh's row() turned commas inside names into ';'
    b, c, i, n, m = r["bench"], r["case"].replace(";", ","), r["impl"].replace(";", ","), int(r["ranks"]), r["metric"]
    try:
        v = float(r["value"])
    except ValueError:
        continue
    data[(b, c, i, n, m)][int(r["rep"])] = v
    units[m] = r["unit"]
    if c not in cases[b]:
        cases[b].append(c)
    if (i, n) not in impls[(b, c)] and i != "machine":
        impls[(b, c)].append((i, n))


def vals(b, c, i, n, m):
    return data.get((b, c, i, n, m), {})


def med(b, c, i, n, m):
    v = list(vals(b, c, i, n, m).values())
    return statistics.median(v) if v else None


def rng(b, c, i, n, m):
    v = list(vals(b, c, i, n, m).values())
    return (min(v), max(v)) if v else (None, None)


def esc(s):
    return s.replace("|", "\\|")


def ratio(a, b):
    """Median over common repetitions of a/b; a and b are dicts rep -> value."""
    common = [r for r in a if r in b and b[r]]
    return statistics.median(a[r] / b[r] for r in common) if common else None


def fmt(x, digits=3):
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 1e6:
        return f"{x:.3g}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def cell(b, c, i, n, m, digits=3):
    x = med(b, c, i, n, m)
    if x is None:
        return "–"
    lo, hi = rng(b, c, i, n, m)
    if len(vals(b, c, i, n, m)) == 1:
        return fmt(x, digits)
    return f"{fmt(x, digits)} ({fmt(lo, 2)}–{fmt(hi, 2)})"


def time_of(b, c, i, n):
    """The best clock a row has: inside the program when it reports one, else the process."""
    return vals(b, c, i, n, "inside_s") or vals(b, c, i, n, "process_s")


def load(b, c):
    v = vals(b, c, "machine", 0, "load1")
    return max(v.values()) if v else None


def busy(b, c):
    x = load(b, c)
    return "other work was running on the cores" if x is None else f"the load average was {x:.1f} on {facts.get('cores', '?')} cores"


def case_like(b, pattern):
    for c in cases.get(b, []):
        if re.search(pattern, c):
            return c
    return None


def bytes_of(c):
    m = re.search(r"\((\d+) bytes\)", c or "")
    return int(m.group(1)) if m else None


out = []
w = out.append
targets = []                        # (target, measured, verdict, reason)


def ge(x, threshold):
    """x >= threshold, or None (not measured) when x is missing."""
    return None if x is None else x >= threshold


def target(name, measured, ok, reason=""):
    verdict = "**met**" if ok else ("**missed**" if ok is not None else "not measured")
    targets.append((name, measured, verdict, reason if ok is False else ""))


def conclude(text):
    w("")
    w(f"*What to conclude:* {text}")
    w("")


def plot(name, script):
    """Run one gnuplot script writing IMG/name.png; returns the markdown image line."""
    if not shutil.which("gnuplot"):
        return f"(plot {name}.png not drawn: gnuplot is not installed)"
    path = os.path.join(IMG, name + ".png")
    head = (f"set terminal pngcairo size 800,480 font 'DejaVu Sans,11' noenhanced\nset output '{path}'\n"
            "set grid\nset key top left\n")
    try:
        subprocess.run(["gnuplot"], input=head + script, text=True, check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        return f"(plot {name}.png failed: {e.stderr.strip()[:200]})"
    return f"![{name}]({IMG_REL}/{name}.png)"


def generic_table(b, c, ref=None, throughput=None, extra=()):
    """One row per impl and rank count: inside and process times, throughput, ratio to ref."""
    nbytes = throughput
    head = "| implementation | ranks | inside s, median (min–max) | process s, median (min–max) |"
    sep = "|---|---:|---|---|"
    if nbytes:
        head += " MB/s inside | MB/s process |"
        sep += "---:|---:|"
    if ref:
        head += f" time ÷ {ref[0]} ({ref[1]} rank{'s' if ref[1] > 1 else ''}), paired |"
        sep += "---:|"
    for label, _ in extra:
        head += f" {label} |"
        sep += "---:|"
    head += " peak RSS MiB |"
    sep += "---:|"
    w(head)
    w(sep)
    for i, n in impls[(b, c)]:
        over = " (oversubscribed)" if n > int(facts.get("cores", "2")) and not i.startswith(("Python", "Process", "multi", "numpy", "dask", "pandas")) else ""
        line = f"| {esc(i)} | {n}{over} | {cell(b, c, i, n, 'inside_s')} | {cell(b, c, i, n, 'process_s')} |"
        if nbytes:
            ti, tp = med(b, c, i, n, "inside_s"), med(b, c, i, n, "process_s")
            line += f" {fmt(nbytes / 1e6 / ti) if ti else '–'} | {fmt(nbytes / 1e6 / tp) if tp else '–'} |"
        if ref:
            if vals(b, c, i, n, "inside_s") and vals(b, c, ref[0], ref[1], "inside_s"):
                r = ratio(vals(b, c, i, n, "inside_s"), vals(b, c, ref[0], ref[1], "inside_s"))
                line += f" {fmt(r)} inside, {fmt(ratio(vals(b, c, i, n, 'process_s'), vals(b, c, ref[0], ref[1], 'process_s')))} process |"
            else:
                line += f" {fmt(ratio(vals(b, c, i, n, 'process_s'), vals(b, c, ref[0], ref[1], 'process_s')))} process |"
        for _, fn in extra:
            line += f" {fn(i, n)} |"
        line += f" {fmt(med(b, c, i, n, 'peak_rss'))} |"
        w(line)
    if load(b, c) is not None:
        w("")
        w(f"Load average (1 min) at the end of this case: {load(b, c):.1f} on {facts.get('cores', '?')} cores.")


# ------------------------------------------------------------------------------------------------
w("# Benchmarks")
w("")
w("<!-- Generated by `make bench-report` (bench/report.sh) from " + os.path.relpath(RESULTS, os.path.dirname(os.path.dirname(DOC))) + ": edit bench/report.py, not this file. -->")
w("")
w("mpikit teaches when parallelism pays, so each job is measured against the tool a user would "
  "otherwise reach for, on the same machine, in the same run, with `mpirun` start-up kept apart "
  "from the work. Run `make bench` (or `bench/run.sh NAME...`; `QUICK=1` for a smoke run) and "
  "then `make bench-report` to regenerate this page.")
w("")
w("## The machine and how it was measured")
w("")
w("| fact | value |")
w("|---|---|")
for k in ("date", "host", "cpu", "cores", "cpu flags", "memory", "os", "compiler", "cflags", "open mpi", "hdf5",
          "mpi settings", "python", "python packages", "git", "reps", "finished"):
    if k in facts:
        w(f"| {k} | {facts[k]} |")
w("")
w("- **Two clocks.** *inside* is the job's own `--timing` figure (from after `MPI_Init` to the end "
  "of the work; for the Python peers `time.perf_counter()` around the work, after the imports); "
  "*process* is the whole command under `/usr/bin/time`, so `mpirun` (or interpreter) start-up "
  "is included. *peak RSS* is `/usr/bin/time`'s figure for the largest process.")
w("- **Repetitions.** One warm-up run (not recorded), then the repetitions, interleaved: "
  "repetition 1 of every implementation, then repetition 2, ... Tables show the median and the "
  "min–max. **Ratios are paired**: A/B is computed within each repetition, then the median is taken, "
  "because this machine's speed drifts between minutes.")
w("- **Noise.** The machine is a shared 2-core VM on which other builds and tests ran during the "
  "measurements: single runs vary by 10–50 %; treat differences under ~15 % as noise.")
for n_ in notes:
    w(f"- Note: {n_}")
w("")

# ---- floor ---------------------------------------------------------------------------------------
w("## The floor: start-up, messages, memory bandwidth")
w("")
c = case_like("startup", ".")
startup_s = None
if c:
    startup_s = med("startup", c, "mpirun hello (MPI_Init+Finalize)", 1, "process_s")
    w("| command | ranks | process s, median (min–max) |")
    w("|---|---:|---|")
    for i, n in impls[("startup", c)]:
        w(f"| `{esc(i)}` | {n} | {cell('startup', c, i, n, 'process_s')} |")
    st2 = med("startup", c, "mpirun hello (MPI_Init+Finalize)", 2, "process_s")
    conclude(f"launching 2 MPI ranks and initialising MPI costs about {fmt(st2)} s here: any job "
             "whose work is shorter than that cannot be made faster end to end by adding ranks.")
c = case_like("pingpong", ".")
pp_sizes = []
if c:
    i, n = impls[("pingpong", c)][0]
    pp_sizes = sorted({int(k[4].rsplit("_", 1)[1]) for k in data if k[0] == "pingpong" and k[4].startswith("latency_us_")})
    w("| message bytes | one-way latency µs, median (min–max) | bandwidth MB/s |")
    w("|---:|---|---:|")
    for s in pp_sizes:
        w(f"| {s:,} | {cell('pingpong', c, i, n, f'latency_us_{s}')} | {fmt(med('pingpong', c, i, n, f'bandwidth_MBs_{s}'))} |")
    lat0 = med("pingpong", c, i, n, "latency_us_0")
    bw = max((med("pingpong", c, i, n, f"bandwidth_MBs_{s}") or 0) for s in pp_sizes) if pp_sizes else None
    conclude(f"between two ranks on one node a small message costs ~{fmt(lat0)} µs and large ones "
             f"move at up to ~{fmt(bw)} MB/s (shared memory): a task that is handed out must do "
             "much more than a microsecond of work to pay.")
    with open(os.path.join(IMG, "pingpong.dat"), "w") as f:
        for s in pp_sizes:
            if s:
                f.write(f"{s} {med('pingpong', c, i, n, f'latency_us_{s}')} {med('pingpong', c, i, n, f'bandwidth_MBs_{s}')}\n")
    w(plot("pingpong", f"""set title 'MPI ping-pong, 2 ranks on one node (median)'
set logscale xy
set xlabel 'message size (bytes)'
set ylabel 'one-way latency (us)'
set y2label 'bandwidth (MB/s)'
set logscale y2
set y2tics
plot '{IMG}/pingpong.dat' using 1:2 with linespoints lw 2 title 'latency (us)', \\
     '' using 1:3 axes x1y2 with linespoints lw 2 title 'bandwidth (MB/s)'
"""))
    os.remove(os.path.join(IMG, "pingpong.dat"))
    w("")
membw = None
c = case_like("membw", ".")
if c:
    i, n = impls[("membw", c)][0]
    membw = med("membw", c, i, n, "read_GBs")
    w("| single core | GB/s, median (min–max) |")
    w("|---|---|")
    w(f"| read (sum of uint64 over a {c}) | {cell('membw', c, i, n, 'read_GBs')} |")
    w(f"| copy (`memcpy`) | {cell('membw', c, i, n, 'copy_GBs')} |")
    conclude(f"one core reads DRAM at ~{fmt(membw)} GB/s: no scan of data in memory can beat that per core, "
             "and a scan that first copies its input (a `read()` into a buffer) pays the copy rate.")

# ---- wordcount -----------------------------------------------------------------------------------
w("## wordcount")
w("")
w("Peers: `LC_ALL=C wc`; the `grep -oE | tr | sort | uniq -c | sort` pipeline; Python "
  "`Counter(re.findall(r'\\w+', text.lower()))`; `Pool(n).map(count_words, lines)` "
  "with the Counters merged (only on the small file: it runs at ~1 MB/s); an mpi4py version (each "
  "rank counts its byte range cut at newlines, `comm.gather`, merge). None of the tutorials counts words: "
  "the Shakespeare one (`003_a7e803cea596b91b.txt`) maps an identity `readLine` over the file's lines with "
  "`pool.map(readLine, skspFile, procs)`, whose third argument is the chunk size; the Pool peer is that "
  "structure with a word count in place of `readLine`. Ratios: time ÷ wordcount's "
  "frequency mode at 1 rank, paired (above 1: slower than wordcount).")
w("")
ref = ("wordcount (frequencies)", 1)
cores = int(facts.get("cores", "2"))
for c in cases.get("wordcount", []):
    if c.startswith("weak"):
        continue
    w(f"### {c}")
    w("")
    generic_table("wordcount", c, ref=ref, throughput=bytes_of(c))
    nb = bytes_of(c)
    fr1 = vals("wordcount", c, *ref, "process_s")
    if c.startswith("strong"):
        s2 = ratio(vals("wordcount", c, "wordcount (frequencies)", 1, "inside_s"), vals("wordcount", c, "wordcount (frequencies)", 2, "inside_s"))
        conclude(f"on {nb / 2**20:.0f} MiB the work dwarfs the launch: `wordcount --mode wc` counts lines, words and bytes {fmt(ratio(vals('wordcount', c, 'LC_ALL=C wc', 1, 'process_s'), vals('wordcount', c, 'wordcount --mode wc', 1, 'process_s')))}× "
                 f"faster than `wc` end to end, and a second rank speeds the frequency count up {fmt(s2)}×"
                 + (f" (low: {busy('wordcount', c)}, so the second rank found no free core)" if (s2 or 0) < 1.5 else "")
                 + "; ranks beyond the cores only share them. The physical limit of the wc mode is memory: "
                 f"{fmt(nb / 1e9 / med('wordcount', c, 'wordcount --mode wc', 1, 'inside_s'))} GB/s inside on one rank against "
                 f"{fmt(membw)} GB/s single-core read bandwidth (read phase {fmt(med('wordcount', c, 'wordcount --mode wc', 1, 'read_s'))} s, "
                 f"count phase {fmt(med('wordcount', c, 'wordcount --mode wc', 1, 'count_s'))} s).")
    else:
        cnt = ratio(vals("wordcount", c, "Python Counter(re.findall)", 1, "process_s"), fr1)
        tp1 = med("wordcount", c, *ref, "process_s")
        conclude(f"on {nb / 1e6:.0f} MB wordcount's frequency count is {fmt(cnt)}× faster than Python's `Counter`, "
                 "end to end, launch included. "
                 + ("The `Pool(n).map` over lines is the slowest way of all (every line is pickled to a worker "
                    "and a Counter pickled back). " if vals("wordcount", c, "Python Pool(n).map over lines", 1, "process_s") else "")
                 + "The limit here is start-up: "
                 f"`mpirun` + `MPI_Init` ({fmt(startup_s)} s for 1 rank) is {fmt(100 * startup_s / tp1 if startup_s and tp1 else None, 2)} % "
                 "of wordcount's whole-process time, so a second rank buys little.")

# scaling
strong = case_like("wordcount", "^strong")
weak = [c for c in cases.get("wordcount", []) if c.startswith("weak")]
cores = int(facts.get("cores", "2"))
if strong:
    w("### Scaling")
    w("")
    w(f"Strong scaling: the same {bytes_of(strong) / 2**20:.0f} MiB corpus on 1..4 ranks; weak "
      "scaling: 256 MiB per rank (prefixes of the same corpus). Speedup = t(1 rank)/t(n ranks), "
      f"inside the program, paired per repetition; efficiency = speedup / n. This machine has {cores} "
      "cores: counts above are **oversubscribed** (ranks share cores), shown to make the point.")
    w("")
    w("| mode | ranks | strong: inside s | strong: speedup | strong: efficiency | weak: inside s | weak: efficiency t1/tn |")
    w("|---|---:|---|---:|---:|---|---:|")
    dat = []
    for mode in ("wordcount --mode wc", "wordcount (frequencies)"):
        for n in (1, 2, 3, 4):
            t1 = vals("wordcount", strong, mode, 1, "inside_s")
            tn = vals("wordcount", strong, mode, n, "inside_s")
            sp = ratio(t1, tn) if tn else None
            wk1 = next((vals("wordcount", c, mode, 1, "inside_s") for c in weak if vals("wordcount", c, mode, 1, "inside_s")), {})
            wkn_c = next((c for c in weak if vals("wordcount", c, mode, n, "inside_s")), None)
            wkn = vals("wordcount", wkn_c, mode, n, "inside_s") if wkn_c else {}
            # weak runs of different n ran one after the other, not interleaved: medians, not pairs
            we = (statistics.median(wk1.values()) / statistics.median(wkn.values())) if wk1 and wkn else None
            lab = f"{n}{' (oversubscribed)' if n > cores else ''}"
            w(f"| {mode} | {lab} | {cell('wordcount', strong, mode, n, 'inside_s') if tn else '–'} | {fmt(sp)} | "
              f"{fmt(sp / n if sp else None)} | {cell('wordcount', wkn_c, mode, n, 'inside_s') if wkn_c else '–'} | {fmt(we)} |")
            dat.append((mode, n, sp, we))
    sp2 = next((d[2] for d in dat if d[0] == "wordcount (frequencies)" and d[1] == 2), None)
    conclude(f"the frequency count can scale only up to the core count ({fmt(sp2)}× on 2 ranks in this run"
             + (f", held down by other work: {busy('wordcount', strong)}" if (sp2 or 0) < 1.5 else "")
             + "): ranks 3 and 4 only take turns on the same 2 cores; the wc mode is limited by memory "
             "bandwidth, which a second core shares.")
    with open(os.path.join(IMG, "scaling.dat"), "w") as f:
        for n in (1, 2, 3, 4):
            row = [str(n)]
            for mode in ("wordcount --mode wc", "wordcount (frequencies)"):
                d = next(d for d in dat if d[0] == mode and d[1] == n)
                row += [fmt(d[2]) if d[2] else "NaN", fmt(d[3]) if d[3] else "NaN"]
            f.write(" ".join(x.replace(",", "") if x != "–" else "NaN" for x in row) + "\n")
    w(plot("speedup", f"""set title 'wordcount scaling on {cores} cores (ranks > {cores} oversubscribed)'
set xlabel 'ranks'
set ylabel 'speedup (strong) / efficiency (weak)'
set xrange [0.8:4.2]
set yrange [0:4.2]
set xtics 1
set arrow from {cores + 0.5},0 to {cores + 0.5},4.2 nohead dt 2
set label 'oversubscribed ->' at {cores + 0.55},0.25
plot x with lines dt 3 lc rgb 'gray' title 'ideal speedup', \\
     '{IMG}/scaling.dat' using 1:3 with linespoints lw 2 title 'strong, frequencies (1 GiB)', \\
     '' using 1:2 with linespoints lw 2 title 'strong, --mode wc (1 GiB)', \\
     '' using 1:5 with linespoints lw 2 dt 2 title 'weak efficiency, frequencies (256 MiB/rank)', \\
     '' using 1:4 with linespoints lw 2 dt 2 title 'weak efficiency, --mode wc'
"""))
    os.remove(os.path.join(IMG, "scaling.dat"))
    w("")

# throughput bars: the mid file, process clock
mid = next((c for c in cases.get("wordcount", []) if not c.startswith(("strong", "weak")) and "prefix" in c), None)
if mid:
    nb = bytes_of(mid)
    with open(os.path.join(IMG, "bars.dat"), "w") as f:
        for i, n in impls[("wordcount", mid)]:
            tp, ti = med("wordcount", mid, i, n, "process_s"), med("wordcount", mid, i, n, "inside_s")
            if tp:
                f.write(f"\"{i} ({n})\" {nb / 1e6 / ti if ti else 'NaN'} {nb / 1e6 / tp:.3f}\n")
    w(plot("throughput", f"""set title 'wordcount and its peers on {nb / 2**20:.0f} MiB (median)' noenhanced
set terminal pngcairo size 900,560 font 'DejaVu Sans,11' noenhanced
set output '{IMG}/throughput.png'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set logscale y
set yrange [1:*]
set ylabel 'MB/s (log scale)'
set xtics rotate by 30 right
set bmargin 10
set key top right
plot '{IMG}/bars.dat' using 2:xtic(1) title 'inside the program', '' using 3 title 'whole process (launch included)'
"""))
    os.remove(os.path.join(IMG, "bars.dat"))
    w("")

# ---- pool ----------------------------------------------------------------------------------------
w("## pool (task parallelism)")
w("")
c10k = case_like("pool", "^10000 trivial")
if c10k:
    w(f"### {c10k}")
    w("")
    w("mpikit: the overhead job at cost 0 (mk_pool_map inside the program, 2 ranks); per-task cost is the "
      "slope of map time between 10,000 and 100,000 items (fixed per-map cost excluded). Python: "
      "`ProcessPoolExecutor.map` / `Pool.map` with 2 workers, timed around the map after the pool started. The overhead job's whole process runs many maps "
      "(2 item counts × 5 schedules × 5 repeats), so its process time is not comparable and is left out.")
    w("")
    w("| implementation | 10,000 tasks: inside s (min–max) | per task µs | process s |")
    w("|---|---|---:|---|")
    for i, n in impls[("pool", c10k)]:
        if i.startswith("mpikit"):
            for s in ("dynamic", "dyn-serve", "static", "cyclic"):
                if s in ("static", "cyclic") and "chunksize 1 " not in i + " ":
                    continue            # the chunk size only changes the dynamic schedules
                if vals("pool", c10k, i, n, f"map10k_s_{s}"):
                    sl = {"dynamic": "dynamic, rank 0 also computes", "dyn-serve": "dynamic, rank 0 only serves"}.get(s, s)
                    w(f"| {i} {sl} | {cell('pool', c10k, i, n, f'map10k_s_{s}')} | {fmt(med('pool', c10k, i, n, f'per_task_us_{s}'))} | – |")
        else:
            t = med("pool", c10k, i, n, "inside_s")
            w(f"| {i} | {cell('pool', c10k, i, n, 'inside_s')} | {fmt(t / 10000 * 1e6 if t else None)} | {cell('pool', c10k, i, n, 'process_s')} |")
    mk = "mpikit overhead --chunksize 1"
    r = ratio(vals("pool", c10k, "ProcessPoolExecutor.map chunksize 1", 2, "inside_s"), vals("pool", c10k, mk, 2, "map10k_s_dynamic"))
    conclude(f"handing out one task costs mpikit about {fmt(med('pool', c10k, mk, 2, 'per_task_us_dynamic'))} µs and Python's "
             f"process pools ~{fmt((med('pool', c10k, 'ProcessPoolExecutor.map chunksize 1', 2, 'inside_s') or 0) / 10000 * 1e6)} µs "
             f"({fmt(r)}× more): with Python, tasks must be ~100× bigger before a pool pays.")
    per = med("pool", c10k, mk, 2, "per_task_us_dynamic")
    target("pool: dynamic dispatch ≤ 20 µs per task on 2 ranks", f"{fmt(per)} µs (rank 0 computing); "
           f"{fmt(med('pool', c10k, mk, 2, 'per_task_us_dyn-serve'))} µs (rank 0 only serving)", None if per is None else per <= 20)
    target("pool: 10,000 trivial tasks ≥ 20× faster than ProcessPoolExecutor (inside)", f"{fmt(r)}× (chunksize 1, paired median)",
           ge(r, 20))
csl = case_like("pool", "^10 x 1 s")
if csl:
    w(f"### {csl}")
    w("")
    generic_table("pool", csl, extra=[("ideal s", lambda i, n: fmt(med("pool", csl, i, n, "ideal_s")) if vals("pool", csl, i, n, "ideal_s") else "2")])
    dyn = med("pool", csl, "mpikit pool --schedule dynamic --manager computes", 8, "inside_s")
    conclude("ten 1 s tasks on 8 workers cannot finish before 2 s (two rounds); every schedule and "
             "Python's executor reach that: for long tasks the tool does not matter, the task count does.")
    target("pool: 10 × 1 s on 8 ranks within 2 % of 2 s", f"{fmt(dyn, 4)} s (dynamic, inside; {fmt((dyn / 2 - 1) * 100 if dyn else None, 2)} % over)",
           None if dyn is None else dyn <= 2.04)
crnd = case_like("pool", "^16 random")
if crnd:
    w(f"### {crnd}")
    w("")
    generic_table("pool", crnd, extra=[("ideal s", lambda i, n: fmt(med("pool", crnd, i, n, "ideal_s")))])
    sv = med("pool", crnd, "mpikit pool --schedule dynamic --manager serves --chunksize 1", 4, "inside_s")
    cp = med("pool", crnd, "mpikit pool --schedule dynamic --manager computes --chunksize 1", 4, "inside_s")
    stt = med("pool", crnd, "mpikit pool --schedule static", 4, "inside_s")
    conclude(f"with tasks of unequal length the dynamic manager that only serves finished in {fmt(sv)} s against "
             f"{fmt(stt)} s for the static split (ideal with indivisible tasks: {fmt(med('pool', crnd, 'mpikit pool --schedule static', 4, 'ideal_s'))} s); "
             + (f"a manager that also computes was slower here ({fmt(cp)} s): while it runs a task it cannot answer "
                "the workers' requests." if cp and sv and cp > sv else f"a manager that also computes adds a worker ({fmt(cp)} s)."))
cgr = case_like("pool", "^task grain")
if cgr:
    w(f"### Time against task grain ({cgr})")
    w("")
    ks = sorted({(k[4].split("_")[1], float(k[4].split("_")[2])) for k in data if k[0] == "pool" and k[1] == cgr and k[4].startswith("speedup_")},
                key=lambda x: (x[1], x[0]))
    scheds = sorted({s for s, _ in ks})
    costs = sorted({cst for _, cst in ks})
    i, n = impls[("pool", cgr)][0]
    w("| cost per task µs | " + " | ".join(scheds) + " |")
    w("|---:|" + "---:|" * len(scheds))
    with open(os.path.join(IMG, "grain.dat"), "w") as f:
        for cst in costs:
            cs = f"{cst:g}"
            vv = [med("pool", cgr, i, n, f"speedup_{s}_{cs}") for s in scheds]
            w(f"| {cs} | " + " | ".join(fmt(v) for v in vv) + " |")
            f.write(f"{max(cst, 0.1)} " + " ".join(f"{v}" if v is not None else "NaN" for v in vv) + "\n")
    cells = [(med("pool", cgr, i, n, f"speedup_{sc}_{cst:g}") or 0, sc, cst) for sc in scheds for cst in costs]
    top = max(cells)
    zero = max((v for v, _, cst in cells if cst == 0), default=None)
    conclude(f"speedup over the serial loop on 2 ranks: at no work per task every schedule loses (best {fmt(zero)}×); "
             f"the best in this run was {fmt(top[0])}× ({top[1]}, {top[2]:g} µs per task). Where longer tasks fall back "
             f"below 2×, the other work on the machine ({busy('pool', cgr)}) took the second core.")
    pl = ", \\\n     ".join(f"'{IMG}/grain.dat' using 1:{k + 2} with linespoints lw 2 title '{s}'" for k, s in enumerate(scheds))
    w(plot("grain", f"""set title 'speedup over the serial loop against task grain (2 ranks, 200 tasks)'
set logscale x
set xlabel 'work per task (us; 0 drawn at 0.1)'
set ylabel 'speedup'
set yrange [0:2.5]
plot 2 with lines dt 3 lc rgb 'gray' title '2 ranks ideal', 1 with lines dt 2 lc rgb 'black' title 'break-even', \\
     {pl}
"""))
    os.remove(os.path.join(IMG, "grain.dat"))
    w("")

# ---- square --------------------------------------------------------------------------------------
c = case_like("square", ".")
if c:
    w(f"## square ({c})")
    w("")
    w("mpikit square times its serial loop and its scatter/compute/gather itself (2 ranks; inside = the "
      "parallel version). Peers: `list(map(square, xs))`, `Pool(8).map(square, xs)`, `numpy.square(a)`.")
    w("")
    generic_table("square", c, ref=("mpikit square", 2),
                  extra=[("serial loop s (inside)", lambda i, n: cell("square", c, i, n, "serial_s") if vals("square", c, i, n, "serial_s") else "–")])
    conclude("one multiply per item is far below the cost of sending the item: the C serial loop and "
             "`numpy.square` win, scatter/gather loses and `Pool(8).map` loses by orders of magnitude; "
             "parallelism needs work per item, not items.")

# ---- bigpower ------------------------------------------------------------------------------------
c = case_like("bigpower", ".")
if c:
    w(f"## bigpower ({c})")
    w("")
    w("Peers: numpy with the tutorial's structure, a fresh array for every power, "
      "`[np.mean(np.random.randn(N) ** p) for p in powers]`, serially "
      "and with `Pool(3).map` over the powers (the tutorial runs `mp_handler(3, bigpower)`, at N = 1e8); and "
      "`np.random.randn(N)` alone (numpy's generator speed on one core). bigpower by default draws a fresh stream "
      "per power too (4N draws, the same work as the tutorial); `--shared-draws` draws N and uses each normal for "
      "every power (correlated means). The rate column counts every draw.")
    w("")
    generic_table("bigpower", c, extra=[("normals/s per rank (or per process)", lambda i, n: cell("bigpower", c, i, n, "normals_per_s_per_rank") if vals("bigpower", c, i, n, "normals_per_s_per_rank") else cell("bigpower", c, i, n, "normals_per_s"))])
    bp = vals("bigpower", c, "mpikit bigpower --split data", 1, "normals_per_s_per_rank")
    rn = vals("bigpower", c, "numpy randn(N) alone", 1, "normals_per_s")
    r1 = ratio(bp, rn)
    r2 = ratio(vals("bigpower", c, "numpy mean(randn(N)**p) serial", 1, "inside_s"),
               vals("bigpower", c, "mpikit bigpower --split data", 1, "inside_s"))
    mem_bp = med("bigpower", c, "mpikit bigpower --split data", 1, "peak_rss")
    mem_np = med("bigpower", c, "numpy mean(randn(N)**p) serial", 1, "peak_rss")
    conclude(f"per core, bigpower draws and sums normals at {fmt(r1)}× numpy's `randn` rate, and does the tutorial's "
             f"work (a fresh sample per power) {fmt(r2)}× faster than numpy with the tutorial's structure (time ÷ time, "
             f"paired), in {fmt(mem_bp)} MiB instead of {fmt(mem_np)} MiB: streaming the powers keeps memory bounded "
             "whatever N.")
    target("bigpower ≥ numpy's throughput per core", f"{fmt(r1)}× `randn` alone, {fmt(r2)}× faster than the tutorial-structured job by time (1 rank, paired)",
           ge(r1, 1), "")
    target("bigpower: memory bounded", f"{fmt(mem_bp)} MiB peak (process) vs numpy {fmt(mem_np)} MiB at this N", None if mem_bp is None or mem_np is None else mem_bp < mem_np)

# ---- normals (the generator alone) ---------------------------------------------------------------
c = case_like("normals", ".")
if c:
    w(f"## normals ({c})")
    w("")
    w("The generator alone on one core: `bench/normals.c` fills an array whose pages are mapped with "
      "`mk_rng_std_normals` (Philox4x32-10 + ziggurat) per kernel; numpy's `default_rng().standard_normal` "
      "into a mapped array (`out=`) and as a new array, and `randn`.")
    w("")
    impl = "mpikit mk_rng_std_normals (per kernel)"
    w("| generator | normals/s, median (min–max) |")
    w("|---|---|")
    for k in ("avx512", "avx2", "scalar"):
        if vals("normals", c, impl, 1, f"normals_per_s_{k}_array"):
            w(f"| mpikit, {k} kernel | {cell('normals', c, impl, 1, f'normals_per_s_{k}_array')} |")
    for i in ("numpy default_rng().standard_normal(out=a)", "numpy default_rng().standard_normal(n)", "numpy random.randn(n)"):
        if vals("normals", c, i, 1, "normals_per_s"):
            w(f"| {i} | {cell('normals', c, i, 1, 'normals_per_s')} |")
    w("")
    best = None
    for k in ("avx512", "avx2", "scalar"):
        if vals("normals", c, impl, 1, f"normals_per_s_{k}_array"):
            best = k
            break
    if best:
        r = ratio(vals("normals", c, impl, 1, f"normals_per_s_{best}_array"),
                  vals("normals", c, "numpy default_rng().standard_normal(out=a)", 1, "normals_per_s"))
        conclude(f"the {best} kernel draws {fmt(r)}× as many normals per second as numpy's `default_rng` "
                 "(paired), and its numbers are a function of (seed, stream, index) alone: bit-identical at any rank "
                 "count and with any kernel.")
        target("normals ≥ 2× numpy default_rng per core", f"{fmt(r)}× (paired, {best} kernel)", ge(r, 2), "")

# ---- table ---------------------------------------------------------------------------------------
c = case_like("table", ".")
if c:
    w(f"## table ({c})")
    w("")
    w("mpikit: scatter + apply + gather to rank 0 (max over ranks) of the generated table. Peers: "
      "`df.apply(lambda r: (r.A + r.B) * r.C / 4 - r.D, axis=1)`, the tutorial's `parallelize_dataframe` "
      "(`np.array_split` + `Pool(2).map` + `pd.concat`) and the vectorised `(df.A + df.B) * df.C / 4 - df.D`.")
    w("")
    generic_table("table", c, ref=("mpikit table --apply", 1))
    ap = ratio(vals("table", c, "pandas df.apply(axis=1)", 1, "inside_s"), vals("table", c, "mpikit table --apply", 1, "inside_s"))
    vec = ratio(vals("table", c, "pandas vectorised columns", 1, "inside_s"), vals("table", c, "mpikit table --apply", 1, "inside_s"))
    conclude(f"a row-wise `df.apply` is {fmt(ap)}× slower than mpikit's apply and splitting it over a `Pool` "
             f"does not rescue it; vectorised pandas ({fmt(vec)}× mpikit's time) is what to reach for first, "
             "and on one machine scattering rows to ranks costs more than the arithmetic.")

# ---- arraystats ----------------------------------------------------------------------------------
for c in cases.get("arraystats", []):
    w(f"## arraystats ({c})")
    w("")
    w("Peers: dask with its default threaded scheduler on the same cores, "
      "`da.random.normal(0, 1, size=(N, N), chunks=(C, C))` then the tutorial's `.mean(axis=0).compute()`, "
      "and all of arraystats' statistics (sum, mean, std, row and column means) in one `dask.compute`.")
    w("")
    generic_table("arraystats", c, ref=("mpikit arraystats", 2))
    a2 = vals("arraystats", c, "mpikit arraystats", 2, "inside_s")
    ds = vals("arraystats", c, "dask all statistics", 2, "inside_s")
    dm = vals("arraystats", c, "dask mean(axis=0) (tutorial)", 2, "inside_s")
    r_s, r_m = ratio(ds, a2), ratio(dm, a2)
    r_sp = ratio(vals("arraystats", c, "dask all statistics", 2, "process_s"), vals("arraystats", c, "mpikit arraystats", 2, "process_s"))
    if r_s is not None and r_s < 1:
        conclude(f"on this size dask is {fmt(1 / r_s)}× faster than arraystats for the same statistics on the same 2 cores: "
                 "drawing the normals is most of the work, and numpy's generator under dask is faster per core than "
                 "mpikit's; both keep memory bounded by working chunk by chunk.")
    else:
        conclude(f"on 2 cores dask takes {fmt(r_s)}× arraystats' time for the same statistics ({fmt(r_m)}× for the "
                 "tutorial's single column mean): on a small array dask's task graph and thread pool cost more than "
                 "the work; both keep memory bounded by working chunk by chunk.")
    target(f"arraystats ≥ dask, {c.split(' ')[0]}", f"dask/arraystats time = {fmt(r_s)} (all statistics), {fmt(r_m)} (mean(axis=0)), "
           f"inside, 2 ranks vs 2 threads; {fmt(r_sp)} whole process", ge(r_s, 1),
           "")

# ---- findfiles -----------------------------------------------------------------------------------
c = case_like("findfiles", ".")
if c:
    ent = int(re.search(r"(\d+) entries", c).group(1))
    w(f"## findfiles ({c})")
    w("")
    w("Peers: GNU `find -name '*.py' -type f` (whole process: its start-up is ~1 ms), the tutorial's "
      "`os.walk` and its `Pool(2).map` over the top-level directories. mpikit: `--no-bytes` (the same work "
      "as find: no stat per match). Imbalance = max/mean busy time over ranks.")
    w("")
    generic_table("findfiles", c, ref=("GNU find -name '*.py' -type f", 1),
                  extra=[("entries/s (inside, else process)", lambda i, n: fmt(ent / statistics.median(time_of("findfiles", c, i, n).values())) if time_of("findfiles", c, i, n) else "–"),
                         ("imbalance", lambda i, n: cell("findfiles", c, i, n, "imbalance") if vals("findfiles", c, i, n, "imbalance") else "–")])
    fnd = vals("findfiles", c, "GNU find -name '*.py' -type f", 1, "process_s")
    best = None
    for s in ("steal", "static", "manager"):
        r = ratio(fnd, vals("findfiles", c, f"mpikit findfiles --strategy {s}", 1, "inside_s"))
        if r is not None and (best is None or r > best[1]):
            best = (s, r)
    imb = med("findfiles", c, "mpikit findfiles --strategy steal", 2, "imbalance")
    imb_st = med("findfiles", c, "mpikit findfiles --strategy static", 2, "imbalance")
    conclude(f"a split by top-level directory leaves one rank most of a skewed tree (static imbalance {fmt(imb_st)}); "
             f"work stealing balances it ({fmt(imb)}); the Python pool is no faster than a serial walk.")
    if best:
        target("findfiles ≥ GNU find entries/s on one rank", f"{fmt(best[1])}× find's rate (`--strategy {best[0]}`, inside vs find's whole process, paired)",
               ge(best[1], 1))
    target("findfiles: decentralised (steal) imbalance ≤ 1.2", f"{fmt(imb)} at 2 ranks", None if imb is None else imb <= 1.2,
           f"busy time includes waiting for a core: load average {fmt(load('findfiles', c))} on 2 cores during this case, and the walk takes only tens of ms")

# ---- wordcount targets (need the floor) ----------------------------------------------------------
if strong:
    r = ratio(vals("wordcount", strong, "LC_ALL=C wc", 1, "process_s"), vals("wordcount", strong, "wordcount --mode wc", 1, "inside_s"))
    target("wordcount wc mode ≥ 20× GNU wc throughput, one rank (inside)", f"{fmt(r)}× on {bytes_of(strong) / 2**20:.0f} MiB (paired)", ge(r, 20),
           f"the read phase (MPI-IO copying from the page cache) is {fmt(med('wordcount', strong, 'wordcount --mode wc', 1, 'read_s'))} s of "
           f"{fmt(med('wordcount', strong, 'wordcount --mode wc', 1, 'inside_s'))} s; load average {fmt(load('wordcount', strong))}")
    ti = med("wordcount", strong, "wordcount --mode wc", 1, "inside_s")
    gbs = bytes_of(strong) / ti / 1e9 if ti else None
    rd = med("wordcount", strong, "wordcount --mode wc", 1, "read_s")
    target("wordcount wc mode within 3× of single-core memory-read bandwidth", f"{fmt(gbs)} GB/s vs {fmt(membw)} GB/s read: {fmt(membw / gbs if gbs and membw else None)}× below",
           None if gbs is None or membw is None else membw / gbs <= 3,
           f"the read phase (a copy out of the page cache by MPI-IO) takes {fmt(rd)} s of {fmt(ti)} s" if rd else "")
    for mode in ("wordcount (frequencies)", "wordcount --mode wc"):
        s2 = ratio(vals("wordcount", strong, mode, 1, "inside_s"), vals("wordcount", strong, mode, 2, "inside_s"))
        target(f"{mode} at 2 ranks ≥ 1.7× one rank, 1 GiB (inside)", f"{fmt(s2)}×", ge(s2, 1.7),
               f"load average {fmt(load('wordcount', strong))} on {cores} cores during this case: the second rank got no core of its own"
               + ("; in wc mode both ranks also copy from the page cache through one memory bus" if "wc" in mode else ""))
for c in cases.get("wordcount", []):
    if c.startswith(("strong", "weak")):
        continue
    r = ratio(vals("wordcount", c, "Python Counter(re.findall)", 1, "process_s"), vals("wordcount", c, "wordcount (frequencies)", 1, "process_s"))
    target(f"wordcount frequencies ≥ 10× Python Counter, whole process ({c.split(' ')[0]})", f"{fmt(r)}×", ge(r, 10),
           f"`mpirun` + `MPI_Init` take {fmt(startup_s)} s of wordcount's {fmt(med('wordcount', c, 'wordcount (frequencies)', 1, 'process_s'))} s; "
           f"inside the program the ratio is {fmt(ratio(vals('wordcount', c, 'Python Counter(re.findall)', 1, 'inside_s'), vals('wordcount', c, 'wordcount (frequencies)', 1, 'inside_s')))}×")
    for n in (1, 2):
        p = vals("wordcount", c, "Python Pool(n).map over lines", n, "process_s")
        if p:
            r = ratio(p, vals("wordcount", c, "wordcount (frequencies)", n, "process_s"))
            target(f"wordcount frequencies ≥ 5× Pool({n}).map over lines ({c.split(' ')[0]}, {n} process{'es' if n > 1 else ''}, whole process)", f"{fmt(r)}×", ge(r, 5))

order = ("wordcount", "pool", "bigpower", "arraystats", "findfiles")
targets.sort(key=lambda t: next((k for k, p in enumerate(order) if t[0].startswith(p)), len(order)))
w("## Targets of issue 7")
w("")
w("| target | measured (median; ratios paired) | verdict | reason when missed |")
w("|---|---|---|---|")
for t in targets:
    w(f"| {t[0]} | {t[1]} | {t[2]} | {t[3]} |")
met = sum(1 for t in targets if t[2] == "**met**")
conclude(f"{met} of {len(targets)} targets are met on this run; the missed ones are explained in the last column "
         "and are limits of this 2-core shared VM or of the algorithm, not of measurement.")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
if os.path.exists(notes):
    with open(notes) as f:
        w(f.read().rstrip())
        w("")

with open(DOC, "w") as f:
    f.write("\n".join(out).rstrip() + "\n")
