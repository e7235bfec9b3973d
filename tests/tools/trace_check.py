#!/usr/bin/python3
"""trace_check.py CHECK DIR ARGS... - check a trace directory written by mktrace against what
the traced program (tests/tools/trace_cases.c) must have done. Exit 0 when it holds, else 1
with the reason on stderr. Run with Debian's /usr/bin/python3 (tests/jobs/trace.sh).

trace_check.py batch DIR "NAME::CHECK ARGS..." ... runs several checks on one directory (read
once) and prints "ok NAME" or "not ok NAME" for each, the reasons on "#" lines.

  valid DIR [one-clock]     trace.json loads; every slice has a start and a duration and
                            slices of one thread do not overlap; every flow has exactly one
                            start ("s") and one end ("f", bound to its enclosing slice), each
                            inside a slice of its process; with one-clock no arrow points back
                            in time; timeline.svg is well-formed XML with one row per process
  pingpong DIR K BYTES A B  A sent K messages of BYTES bytes to B, B received them, and back:
                            2K arrows, each from a send to the matching receive
  scatter DIR N COUNT       every one of N ranks has exactly one MPI_Scatter, all one instance,
                            each received COUNT ints, the root sent N*COUNT
  nonblocking DIR N K       every request posted is completed exactly once, by a later call of
                            the same rank; each rank's K Isends end at the completion of the
                            right neighbour's Irecv
  spawn DIR N C             N launched ranks and N groups of C spawned children, linked by the
                            intercommunicator collectives
  threads DIR N K           rank 0 received 2K messages from each other rank, sent by 2 threads
  summary DIR N             summary.txt has a row per rank; summary-*.csv each load as one table
  clock DIR N               N hosts (MKTRACE_FAKE_HOSTS=1), a stated error bound, the arrows that
                            point back in time counted right, and none further back than the
                            error of its two ends allows
"""
import collections
import functools
import json
import os
import sys
import xml.etree.ElementTree as ET


class CheckFailed(Exception):
    pass


def fail(msg):
    raise CheckFailed(msg)


@functools.lru_cache(maxsize=4)
def load(d):
    with open(os.path.join(d, "trace.json")) as f:
        doc = json.load(f)
    events = doc["traceEvents"]
    slices = [e for e in events if e.get("ph") == "X"]
    flows = [e for e in events if e.get("ph") in ("s", "f")]
    return doc, slices, flows


def by_track(slices):
    tracks = collections.defaultdict(list)
    for s in slices:
        tracks[(s["pid"], s["tid"])].append(s)
    for t in tracks.values():
        t.sort(key=lambda s: (s["ts"], s["dur"]))
    return tracks


def enclosing(tracks, e):
    """The slice of e's thread that holds e's timestamp."""
    for s in tracks.get((e["pid"], e["tid"]), []):
        if s["ts"] - 1e-9 <= e["ts"] <= s["ts"] + s["dur"] + 1e-9:
            return s
    return None


def pairs(slices, flows, cat):
    """(from slice, to slice, flow start) for every flow of the category."""
    tracks = by_track(slices)
    ends = collections.defaultdict(dict)
    for f in flows:
        if f["cat"] == cat:
            ends[f["id"]][f["ph"]] = f
    return [(enclosing(tracks, e["s"]), enclosing(tracks, e["f"]), e["s"]) for e in ends.values()]


def check_valid(d, one_clock=False):
    doc, slices, flows = load(d)
    nprocs = doc["otherData"]["processes"]
    for s in slices:
        for key in ("name", "pid", "tid", "ts", "dur", "args"):
            if key not in s:
                fail("slice without %s: %s" % (key, s))
        if s["dur"] < 0 or not s["name"].startswith("MPI_"):
            fail("bad slice %s" % s)
    tracks = by_track(slices)
    for track, ss in tracks.items():
        for a, b in zip(ss, ss[1:]):
            if b["ts"] < a["ts"] + a["dur"] - 1e-6:
                fail("slices overlap on %s: %s and %s" % (track, a["name"], b["name"]))
    ids = collections.defaultdict(list)
    for f in flows:
        ids[f["id"]].append(f)
    for fid, fs in ids.items():
        phases = sorted(f["ph"] for f in fs)
        if phases != ["f", "s"]:
            fail("flow %s has phases %s" % (fid, phases))
        s, e = (fs[0], fs[1]) if fs[0]["ph"] == "s" else (fs[1], fs[0])
        if e.get("bp") != "e" or s["name"] != e["name"] or s["cat"] != e["cat"]:
            fail("flow %s: ends do not pair: %s %s" % (fid, s, e))
        for end in (s, e):
            if enclosing(tracks, end) is None:
                fail("flow %s: %s end at %s outside every slice of pid %s" % (fid, end["ph"], end["ts"], end["pid"]))
        if one_clock and e["ts"] < s["ts"]:
            fail("flow %s points back in time: %s -> %s" % (fid, s["ts"], e["ts"]))
    pids = {s["pid"] for s in slices}
    if pids != set(range(nprocs)):
        fail("processes %s, expected 0..%d" % (sorted(pids), nprocs - 1))
    root = ET.parse(os.path.join(d, "timeline.svg")).getroot()
    if not root.tag.endswith("svg"):
        fail("timeline.svg: root element %s" % root.tag)
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(ns + "text") if t.text and t.text.split()[0] in ("rank", "child")
              and len(t.text.split()) == 2]
    if len(labels) != nprocs:
        fail("timeline.svg: %d row labels for %d processes" % (len(labels), nprocs))


def check_pingpong(d, k, nbytes, a, b):
    """trace_cases' ping-pong: tag 1 from a to b, tag 2 back (other phases use other tags)."""
    _, slices, flows = load(d)
    if a == b:
        sends = [s for s in slices if s["pid"] == a and s["name"] == "MPI_Isend" and s["args"]["tag"] == 1]
        if len(sends) != k:
            fail("%d sends to self, expected %d" % (len(sends), k))
    for src, dst, tag in ((a, b, 1), (b, a, 2)):
        if a == b:
            break
        sends = [s for s in slices if s["pid"] == src and s["name"] == "MPI_Send" and s["args"]["tag"] == tag]
        recvs = [s for s in slices if s["pid"] == dst and s["name"] == "MPI_Recv" and s["args"]["tag"] == tag]
        if len(sends) != k or len(recvs) != k:
            fail("rank %d: %d sends, rank %d: %d receives, expected %d" % (src, len(sends), dst, len(recvs), k))
        for s in sends:
            if s["args"]["peer"] != dst or s["args"]["bytes"] != nbytes:
                fail("send %s" % s)
        for r in recvs:
            if r["args"]["peer"] != src or r["args"]["bytes"] != nbytes:
                fail("receive %s" % r)
    msgs = [(f, t, s) for f, t, s in pairs(slices, flows, "message") if f and f["args"].get("tag") in (1, 2)]
    want = k if a == b else 2 * k
    if len(msgs) != want:
        fail("%d message arrows, expected %d" % (len(msgs), want))
    for frm, to, start in msgs:
        if to is None:
            fail("arrow without its receiving slice")
        if frm["args"]["peer"] != to["pid"] or frm["args"]["bytes"] != nbytes or start["args"]["bytes"] != nbytes:
            fail("arrow %s -> %s does not match" % (frm, to))
        if a != b and (frm["name"] != "MPI_Send" or to["name"] != "MPI_Recv" or to["args"]["peer"] != frm["pid"]):
            fail("arrow %s -> %s does not match" % (frm, to))


def check_scatter(d, n, count):
    _, slices, _ = load(d)
    sc = [s for s in slices if s["name"] == "MPI_Scatter"]
    if sorted(s["pid"] for s in sc) != list(range(n)):
        fail("MPI_Scatter on processes %s, expected one on each of 0..%d" % (sorted(s["pid"] for s in sc), n - 1))
    if len({s["args"]["instance"] for s in sc}) != 1:
        fail("the scatter is not one instance: %s" % [s["args"]["instance"] for s in sc])
    for s in sc:
        want_sent = n * count * 4 if s["pid"] == 0 else 0
        if s["args"]["recv_bytes"] != count * 4 or s["args"]["send_bytes"] != want_sent or s["args"]["root"] != 0:
            fail("rank %d: %s" % (s["pid"], s["args"]))


def check_nonblocking(d, n, k):
    _, slices, flows = load(d)
    for pid in range(n):
        mine = sorted((s for s in slices if s["pid"] == pid), key=lambda s: s["ts"])
        every = {s["args"]["request"]: s for s in mine if "request" in s["args"]}
        posted = {r: s for r, s in every.items()
                  if s["name"] in ("MPI_Isend", "MPI_Irecv") and 10 <= s["args"]["tag"] <= 12}
        if len(posted) != 2 * k:
            fail("rank %d posted %d requests, expected %d" % (pid, len(posted), 2 * k))
        done = collections.Counter()
        for s in mine:
            for r in s["args"].get("completes", []):
                done[r] += 1
                if r not in every or s["ts"] < every[r]["ts"]:
                    fail("rank %d: request %s completed by %s before it was posted" % (pid, r, s["name"]))
        if set(done) != set(every) or max(done.values()) != 1:
            fail("rank %d: requests posted %s, completed %s" % (pid, sorted(every), dict(done)))
    if n < 2:
        return
    isend_msgs = [(f, t) for f, t, _ in pairs(slices, flows, "message")
                  if f and f["name"] == "MPI_Isend" and 10 <= f["args"]["tag"] <= 12]
    if len(isend_msgs) != n * k:
        fail("%d arrows from Isends, expected %d" % (len(isend_msgs), n * k))
    for frm, to in isend_msgs:
        right = (frm["pid"] + 1) % n
        irecvs = {s["args"]["request"] for s in slices if s["pid"] == right and s["name"] == "MPI_Irecv"}
        if to["pid"] != right or not irecvs.intersection(to["args"].get("completes", [])):
            fail("Isend of rank %d ends at %s of rank %d, not at an Irecv's completion" % (frm["pid"], to["name"], to["pid"]))


def check_spawn(d, n, c):
    doc, slices, flows = load(d)
    od = doc["otherData"]
    if od["processes"] != n + n * c or od["groups"] != n + 1:
        fail("%s processes in %s groups, expected %d in %d" % (od["processes"], od["groups"], n + n * c, n + 1))
    names = {e["pid"]: e["args"]["name"] for e in doc["traceEvents"] if e.get("name") == "process_name"}
    children = [p for p, name in names.items() if name.startswith("spawned ")]
    if len(children) != n * c:
        fail("%d spawned processes named, expected %d" % (len(children), n * c))
    links = [(f, t) for f, t, _ in pairs(slices, flows, "collective") if f and t and (f["pid"] < n) != (t["pid"] < n)]
    # each parent's scatter reaches its C children, each child's gather reaches its parent
    if len(links) < 2 * n * c:
        fail("%d collective arrows between parents and children, expected at least %d" % (len(links), 2 * n * c))


def check_threads(d, n, k):
    _, slices, flows = load(d)
    recvs = [s for s in slices if s["pid"] == 0 and s["name"] == "MPI_Recv"]
    if len(recvs) != 2 * k * (n - 1):
        fail("%d receives on rank 0, expected %d" % (len(recvs), 2 * k * (n - 1)))
    msgs = pairs(slices, flows, "message")
    if len(msgs) != 2 * k * (n - 1):
        fail("%d arrows, expected %d" % (len(msgs), 2 * k * (n - 1)))
    for pid in range(1, n):
        tids = {s["tid"] for s in slices if s["pid"] == pid and s["name"] == "MPI_Send"}
        if len(tids) != 2:
            fail("rank %d sent from threads %s, expected 2" % (pid, sorted(tids)))


def check_summary(d, n):
    with open(os.path.join(d, "summary.txt")) as f:
        rows = [line for line in f if line.startswith("rank ")]
    if len(rows) != n:
        fail("summary.txt: %d rank rows, expected %d" % (len(rows), n))
    import pandas
    for table, cols in (("processes", "pid"), ("functions", "function"), ("messages", "from")):
        df = pandas.read_csv(os.path.join(d, "summary-%s.csv" % table))
        if df.columns[0] != cols:
            fail("summary-%s.csv: columns %s" % (table, list(df.columns)))
        if table == "processes" and (len(df) != n or (df.mpi_s > df.wall_s + 1e-9).any()):
            fail("summary-processes.csv: %d rows or MPI time over wall time\n%s" % (len(df), df))


def check_clock(d, n):
    doc, slices, flows = load(d)
    od = doc["otherData"]
    err_us = od["clock_error_ns"] / 1000.0
    if od["hosts"] != n:
        fail("%s hosts, expected %d" % (od["hosts"], n))
    if not 0 < err_us < 100000:
        fail("clock error bound %.3f us" % err_us)
    ends = collections.defaultdict(dict)
    for f in flows:
        ends[(f["cat"], f["id"])][f["ph"]] = f["ts"]
    back = [e["s"] - e["f"] for e in ends.values() if e["f"] < e["s"]]
    # the json places each end 1 ns inside its slice: allow those 2 ns
    back_beyond = [b for b in back if b > 0.002]
    if len(back_beyond) > od["backward_arrows"]:
        fail("%d arrows point back in time, the trace says %d" % (len(back_beyond), od["backward_arrows"]))
    if back and max(back) > 2 * err_us:
        fail("an arrow points %.3f us back, more than twice the error bound %.3f us" % (max(back), err_us))


CHECKS = {"valid": None, "pingpong": check_pingpong, "scatter": check_scatter, "nonblocking": check_nonblocking,
          "spawn": check_spawn, "threads": check_threads, "summary": check_summary, "clock": check_clock}


def run(what, d, rest):
    if what not in CHECKS:
        fail("unknown check %s" % what)
    if what == "valid":
        check_valid(d, "one-clock" in rest)
    else:
        CHECKS[what](d, *[int(x) for x in rest if x.lstrip("-").isdigit()])


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    what, d, rest = argv[1], argv[2], argv[3:]
    if what != "batch":
        try:
            run(what, d, rest)
        except CheckFailed as e:
            sys.stderr.write("trace_check: %s\n" % e)
            sys.exit(1)
        return
    status = 0
    for spec in rest:
        name, _, words = spec.partition("::")
        try:
            check = words.split()
            run(check[0], d, check[1:])
            print("ok " + name)
        except (CheckFailed, OSError, ValueError, KeyError, IndexError) as e:
            print("not ok " + name)
            print("# " + str(e).replace("\n", "\n# "))
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main(sys.argv)
