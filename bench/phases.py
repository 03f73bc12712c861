#!/usr/bin/env python3
"""Reads what the server says about its database work, for the benchmarks.

  phases.py per-request BEFORE AFTER ROUTE [SECONDS]   metrics scrapes
      around a load: statements, prepared statements and write units per
      request of ROUTE; with the load's SECONDS, also how busy the writes
      kept the database (write work held / wall time: on SQLite, the share
      of the time this process's one writer was taken) and each write's
      hold and wait
  phases.py tail LOG OFFSET                  the server's JSON log from byte
      OFFSET: the units of database work slower than 5 ms ("slow database
      work", logged at debug by src/db/timing.rs), and what they were made of
"""
import json
import re
import statistics
import sys

SERIES = re.compile(r'^([a-z_]+)(\{.*\})? (\S+)$')


def scrape(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = SERIES.match(line.strip())
            if m:
                out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def total(metrics, name, *must):
    return sum(v for (n, labels), v in metrics.items()
               if n == name and all(x in labels for x in must))


def per_request(before, after, route, seconds=None):
    a, b = scrape(before), scrape(after)

    def delta(name, *must):
        return total(b, name, *must) - total(a, name, *must)

    requests = delta("aftercare_http_requests_total", f'route="{route}"', 'method="PUT"')
    if requests <= 0:
        print("requests=0")
        return
    statements = delta("aftercare_db_statements_total", 'kind="write"')
    prepared = delta("aftercare_db_statements_prepared_total", 'kind="write"')
    reads = delta("aftercare_db_statements_total", 'kind="read"')
    units = delta("aftercare_db_phase_seconds_count", 'kind="write"', 'phase="commit"')
    print(f"requests={requests:.0f} statements_per_request={statements / requests:.2f} "
          f"prepared_per_request={prepared / requests:.4f} "
          f"read_statements_per_request={reads / requests:.3f} "
          f"write_units_per_request={units / requests:.3f}", end="")
    if seconds and units > 0:
        # statements (commit included) + in_process is the time a write
        # holds its connection, and on SQLite the writer.
        def spent(phase):
            return delta("aftercare_db_phase_seconds_sum", 'kind="write"', f'phase="{phase}"')

        held = spent("statements") + spent("in_process")
        on_cpu, waited, queued = spent("on_cpu"), spent("writer_wait"), spent("queued")
        print(f" writer_busy={held / float(seconds):.2f} write_hold_us={1e6 * held / units:.0f} "
              f"write_on_cpu_us={1e6 * on_cpu / units:.0f} "
              f"writer_wait_us={1e6 * waited / units:.0f} queued_us={1e6 * queued / units:.0f}", end="")
    print()


PHASES = ["queued", "writer_wait", "pool_wait", "statements", "in_process"]


def tail(log, offset):
    units = []
    with open(log, "rb") as f:
        f.seek(int(offset))
        for raw in f:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            fields = line.get("fields", {})
            if fields.get("message") == "slow database work":
                units.append(fields)
    if not units:
        print("slow_units=0")
        return
    totals = {p: sum(u[f"{p}_ms"] for u in units) for p in PHASES}
    whole = sum(totals.values()) or 1.0
    share = " ".join(f"{p}={100 * totals[p] / whole:.0f}%" for p in PHASES)
    held = sum(u["statements_ms"] + u["in_process_ms"] for u in units) or 1.0
    on_cpu = sum(u.get("on_cpu_ms", 0.0) for u in units)
    share += f" (on a CPU: {100 * on_cpu / held:.0f}% of statements + in_process)"
    over10 = sum(1 for u in units if u["total_ms"] >= 10.0)
    median = statistics.median(u["total_ms"] for u in units)
    worst = max(units, key=lambda u: u["total_ms"])
    print(f"slow_units={len(units)} over_10ms={over10} median_ms={median:.1f} "
          f"max_ms={worst['total_ms']:.1f} share: {share}")


if __name__ == "__main__":
    if sys.argv[1] == "per-request":
        per_request(*sys.argv[2:6])
    elif sys.argv[1] == "tail":
        tail(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
