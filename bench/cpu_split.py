#!/usr/bin/env python3
"""Where the machine's CPU went during a benchmark window, from a system-wide
`perf record -a -e cpu-clock` (a sampling profile: every CPU is sampled at the
same rate whether busy or idle, so shares are shares of the whole machine),
and how the scheduler treated the service's threads (`sched_switch` and
`sched_wakeup`, every event).

    cpu_split.py PERF_DATA SERVER_PID

Prints one line of key=value pairs:
  machine shares: idle, server_user, server_kernel, load (wrk or the bench
  driver), postgres, other;
  samples: how many samples the shares are made of;
  server_top: the service's user-space time by crate (Rust symbols by their
  first path segment; C code linked into the binary, which is the bundled
  SQLite, as `sqlite(C)`; shared libraries by name), as a share of the
  service's user time, largest first;
  server_switches_per_s: how often one of the service's threads left a CPU,
  and preempted: the share of those where it was still runnable (taken off
  by the scheduler, not waiting for anything);
  wake_to_run_us mean and p99: from a thread of the service being woken (a
  lock handed to it, a blocking task given to it, a reply for it) until it
  ran: time the work waited for a CPU.
"""

import collections
import os
import re
import subprocess
import sys


def crate_of(sym, dso):
    """`dso` is the file name of the code's binary or library."""
    if dso.startswith("libc.") or dso.startswith("libc-"):
        return "libc"
    if dso != "aftercare":
        return dso.split(".so")[0] or "unknown"
    if sym in ("", "[unknown]"):
        return "unknown"
    s = sym.lstrip("<&*")
    if s.startswith("dyn "):
        s = s[4:]
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", s)
    if word and not s[word.end():].startswith("::") and " as " in s:
        # "<T as diesel::query_builder::QueryFragment<..>>::walk_ast": a
        # generic impl, counted under the trait's crate.
        s = s.split(" as ", 1)[1].lstrip("<&*")
    if "::" not in s:
        # Only C code is linked into the binary without a Rust path: the
        # bundled SQLite amalgamation.
        return "sqlite(C)"
    return s.split("::", 1)[0]


def main():
    data, server_pid = sys.argv[1], sys.argv[2]
    if not os.path.exists(data):
        print("samples=0")
        return
    out = subprocess.run(
        ["perf", "script", "-i", data,
         "-F", "sw:comm,pid,event,ip,sym,dso",
         "-F", "trace:comm,pid,tid,time,event,trace"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # "  comm 1234 cpu-clock/freq=499/:  7f12 symbol+0x12 (/path/to/dso)"
    sample_re = re.compile(r"^\s*(.*?)\s+(\d+)\s+cpu-clock\S*:\s+[0-9a-f]+\s+(.*?)\s*\(([^()]*)\)\s*$")
    # "  comm 1234/1240 811.895038:  sched:sched_switch: prev_comm=..."
    trace_re = re.compile(r"^\s*(.*?)\s+(\d+)/(\d+)\s+([0-9.]+):\s+sched:(\w+):\s+(.*)$")
    groups = collections.Counter()
    crates = collections.Counter()
    total = 0
    server_tids = set()
    events = []
    for line in out.splitlines():
        m = sample_re.match(line)
        if m:
            comm, pid, sym, dso = m.groups()
            total += 1
            if pid == "0":
                groups["idle"] += 1
            elif pid == server_pid:
                if dso.startswith("[kernel"):
                    groups["server_kernel"] += 1
                else:
                    groups["server_user"] += 1
                    base = dso.rsplit("/", 1)[-1]
                    crates[crate_of(re.sub(r"\+0x[0-9a-f]+$", "", sym), base)] += 1
            elif comm in ("wrk", "bench") or comm.startswith("tokio-runtime"):
                groups["load"] += 1
            elif comm.startswith("postgres") or comm.startswith("postmaster"):
                groups["postgres"] += 1
            else:
                groups["other"] += 1
            continue
        m = trace_re.match(line)
        if m:
            _comm, pid, tid, t, event, fields = m.groups()
            if pid == server_pid:
                server_tids.add(tid)
            kv = dict(f.split("=", 1) for f in fields.split() if "=" in f)
            events.append((float(t), event, kv))
    if total == 0:
        print("samples=0")
        return
    parts = [f"samples={total}"]
    for key in ("idle", "server_user", "server_kernel", "load", "postgres", "other"):
        parts.append(f"{key}={groups[key] / total:.3f}")
    user = sum(crates.values()) or 1
    top = ",".join(f"{c}:{n / user:.2f}" for c, n in crates.most_common(8))
    parts.append(f"server_top={top}")

    woken = {}
    delays = []
    switches = preempted = 0
    first = events[0][0] if events else 0.0
    last = events[-1][0] if events else 0.0
    for t, event, kv in events:
        if event == "sched_wakeup" and kv.get("pid") in server_tids:
            woken.setdefault(kv["pid"], t)
        elif event == "sched_switch":
            if kv.get("prev_pid") in server_tids:
                switches += 1
                if kv.get("prev_state", "").startswith("R"):
                    preempted += 1
            nxt = kv.get("next_pid")
            if nxt in woken:
                delays.append(t - woken.pop(nxt))
    span = max(last - first, 1e-9)
    parts.append(f"server_switches_per_s={switches / span:.0f}")
    parts.append(f"preempted={preempted / max(switches, 1):.2f}")
    if delays:
        delays.sort()
        mean = sum(delays) / len(delays)
        p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
        parts.append(f"wake_to_run_us={1e6 * mean:.0f}")
        parts.append(f"wake_to_run_p99_us={1e6 * p99:.0f}")
    print(" ".join(parts))


if __name__ == "__main__":
    main()
