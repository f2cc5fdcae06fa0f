"""Measuring one workload: wall time, SQL queries, peak RSS; results as JSON and a table."""

import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path


def _read_status_kb(key):
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset the kernel's peak-RSS mark of this process (Linux); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    kb = _read_status_kb("VmHWM")
    return round(kb / 1024, 1) if kb is not None else None


def measure(env, function, cold_caches=False):
    """Run `function()` once on a cold ORM cache; flush included in the time.

    With `cold_caches`, the registry's ormcaches are emptied first too (for
    workloads whose first run warms caches the other side then reuses).

    :return: (result, {"seconds", "cpu_s", "queries", "peak_rss_mb"})
    """
    env.flush_all()
    env.invalidate_all()
    if cold_caches:
        env.registry.clear_all_caches()
    reset_peak_rss()
    cr = env.cr
    queries = cr.sql_log_count
    started = time.perf_counter()
    cpu_started = time.process_time()
    result = function()
    env.flush_all()
    seconds = time.perf_counter() - started
    return result, {
        "seconds": seconds,
        # CPU of the Odoo process alone (not PostgreSQL's): steadier than the wall
        # time on a machine shared with other work.
        "cpu_s": time.process_time() - cpu_started,
        "queries": cr.sql_log_count - queries,
        "peak_rss_mb": peak_rss_mb(),
    }


class Rollback:
    """SAVEPOINT ... ROLLBACK TO: every repetition starts from the same data."""

    counter = 0

    def __init__(self, env):
        self.env = env
        Rollback.counter += 1
        self.name = f"bench_{Rollback.counter}"

    def __enter__(self):
        self.env.flush_all()
        self.env.cr.execute(f"SAVEPOINT {self.name}")
        return self

    def __exit__(self, *exc):
        self.env.cr.execute(f"ROLLBACK TO SAVEPOINT {self.name}")
        self.env.cr.precommit.clear()
        self.env.cr.postcommit.clear()
        self.env.invalidate_all()
        self.env.transaction.clear()
        return False


def summarise(samples):
    """Median and spread (max - min) of the seconds, median queries, max peak RSS."""
    if not samples:
        return None
    seconds = [s["seconds"] for s in samples]
    rss = [s["peak_rss_mb"] for s in samples if s["peak_rss_mb"] is not None]
    return {
        "median_s": round(statistics.median(seconds), 4),
        "cpu_median_s": round(statistics.median(s.get("cpu_s", 0) for s in samples), 4),
        "spread_s": round(max(seconds) - min(seconds), 4),
        "runs": len(samples),
        "queries": int(statistics.median(s["queries"] for s in samples)),
        "peak_rss_mb": max(rss) if rss else None,
    }


def run_workload(env, workload, data, repeats):
    """Set up, then alternate ours/baseline `repeats` times, each in a rolled-back savepoint.

    :return: dict with the summaries, the ratio and whether both outputs match.
    """
    row = {
        "workload": workload.name,
        "owner": workload.owner,
        "target": workload.target,
        "unit": workload.unit,
        "work": None,
    }
    with Rollback(env):
        workload.setup(env, data)
        row["work"] = workload.work
        ours, base = [], []
        outputs = {}
        for _i in range(repeats):
            with Rollback(env):
                out, stats = measure(env, lambda: workload.ours(env), workload.cold_caches)
                outputs["ours"] = workload.normalise(env, out)
            ours.append(stats)
            if workload.has_baseline:
                with Rollback(env):
                    out, stats = measure(env, lambda: workload.baseline(env), workload.cold_caches)
                    outputs["baseline"] = workload.normalise(env, out)
                base.append(stats)
    row["ours"] = summarise(ours)
    row["baseline"] = summarise(base)
    row["baseline_kind"] = workload.baseline_kind
    if row["baseline"] and row["baseline"]["median_s"]:
        row["ratio"] = round(row["ours"]["median_s"] / row["baseline"]["median_s"], 2)
    else:
        row["ratio"] = None
    row["same_output"] = outputs.get("ours") == outputs.get("baseline") if base else None
    row["outputs"] = outputs
    row.update(workload.extra(row))
    return row


def machine():
    """A short description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = None
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            mem_kb = int(info.readline().split()[1])
    except OSError:
        pass
    try:
        pg = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        pg = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "postgresql_client": pg,
        "load_average_at_start": os.getloadavg(),
    }


def table(rows):
    """The results as a fixed-width text table."""
    header = (
        "workload",
        "size",
        "work",
        "ours median s",
        "spread s",
        "baseline s",
        "ratio",
        "queries",
        "base q",
        "peak RSS MB",
        "same",
    )
    lines = []
    for row in rows:
        ours = row.get("ours") or {}
        base = row.get("baseline") or {}
        lines.append(
            (
                row["workload"],
                row.get("size", ""),
                str(row.get("work") or ""),
                _fmt(ours.get("median_s")),
                _fmt(ours.get("spread_s")),
                _fmt(base.get("median_s")),
                _fmt(row.get("ratio")),
                str(ours.get("queries", "")),
                str(base.get("queries", "")),
                str(ours.get("peak_rss_mb", "")),
                {True: "yes", False: "NO", None: "-"}[row.get("same_output")],
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def _fmt(value):
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) and value < 10 else str(value)


def write(path, payload):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    return path
