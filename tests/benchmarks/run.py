"""Benchmark command line (scripts/bench.sh drives it; see README.md here).

    python3 -m benchmarks.run generate  -c odoo.conf -d DB --size M
    python3 -m benchmarks.run workloads -c odoo.conf -d DB --size M --out part.json
    python3 -m benchmarks.run assign    -c odoo.conf -d DB --out part.json
    python3 -m benchmarks.run oca       -c odoo.conf -d OCA_DB --size M --out part.json
    python3 -m benchmarks.run merge     --out result.json part1.json part2.json ...

Run from the tests/ folder with Odoo importable. Workloads run in one transaction
that is rolled back: the generated data stay as they were.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

CONFIG_KEY = "crm_unified.benchmark_data"


def _say(message):
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def _registry(args):
    import odoo  # noqa: PLC0415 - Odoo is only needed by the subcommands that use it
    from odoo.tools import config  # noqa: PLC0415

    options = ["-d", args.database, "--log-level=warn", "--max-cron-threads=0"]
    if args.config:
        options = ["-c", args.config, *options]
    config.parse_config(options)
    return odoo.modules.registry.Registry(args.database)


def _env(cr):
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    env = api.Environment(cr, SUPERUSER_ID, {})
    return env(user=env.ref("base.user_admin"))


def _load_data(env):
    from odoo.tools import SQL  # noqa: PLC0415

    raw = env["ir.config_parameter"].sudo().get_param(CONFIG_KEY)
    if not raw:
        return None
    data = json.loads(raw)
    data["customer_ids"] = [
        row[0]
        for row in env.execute_query(
            SQL("SELECT id FROM res_partner WHERE ref LIKE %s ORDER BY id", "BENCH-%")
        )
    ]
    data["big_customer_id"] = data["customer_ids"][0]
    data["open_ticket_ids"] = [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT id FROM crm_support_ticket WHERE queue_id = %s AND NOT is_closed",
                data["queue_id"],
            )
        )
    ]
    return data


def cmd_generate(args):
    from .generator import generate  # noqa: PLC0415

    registry = _registry(args)
    with registry.cursor() as cr:
        env = _env(cr)
        if _load_data(env):
            _say(f"{args.database} already holds benchmark data: nothing generated")
            return
        started = time.perf_counter()
        data = generate(env, args.size, seed=args.seed)
        kept = {k: v for k, v in data.items() if k not in ("customer_ids", "open_ticket_ids")}
        env["ir.config_parameter"].sudo().set_param(CONFIG_KEY, json.dumps(kept))
        cr.commit()
        _say(f"generated size {args.size} in {time.perf_counter() - started:.0f} s; ANALYZE")
    with registry.cursor() as cr:
        cr.execute("ANALYZE")


def cmd_workloads(args):
    from .harness import machine, run_workload  # noqa: PLC0415
    from .workloads import WORKLOADS  # noqa: PLC0415

    registry = _registry(args)
    only = set(args.only.split(",")) if args.only else None
    rows = []
    with registry.cursor() as cr:
        env = _env(cr)
        data = _load_data(env)
        if not data:
            raise SystemExit("no benchmark data in this database: run the generate step first")
        size = data["size"]
        for workload_class in WORKLOADS:
            if only and workload_class.name not in only:
                continue
            repeats = 1 if workload_class.heavy and size != "S" else args.repeats
            _say(f"{workload_class.name} ({repeats} run(s)) ...")
            started = time.perf_counter()
            try:
                row = run_workload(env, workload_class(size), data, repeats=repeats)
            except Exception as error:
                cr.rollback()
                _say(f"{workload_class.name} FAILED: {error!r}")
                row = {"workload": workload_class.name, "error": repr(error)}
            row["size"] = size
            row.pop("outputs", None)
            rows.append(row)
            _say(f"... {time.perf_counter() - started:.1f} s")
            # Written after every workload: an interrupted run keeps what it measured.
            _write(args.out, {"size": size, "machine": machine(), "results": rows})
        cr.rollback()
    _write(args.out, {"size": size, "machine": machine(), "results": rows})


def cmd_merge(args):
    from .harness import table  # noqa: PLC0415

    merged = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "results": []}
    for part in args.parts:
        payload = json.loads(Path(part).read_text())
        merged["results"] += payload.pop("results", [])
        for key, value in payload.items():
            merged.setdefault(key, value)
    if args.commit:
        merged["commit"] = args.commit
    _write(args.out, merged)
    text = table([r for r in merged["results"] if "ours" in r])
    extra = {key: merged[key] for key in ("assignment", "rpc_load", "oca_tickets") if key in merged}
    text += "\n\n" + json.dumps(extra, indent=2, default=str) + "\n"
    Path(args.out).with_suffix(".txt").write_text(text)
    sys.stdout.write(text)


def cmd_assign(args):
    from .concurrency import run_assignment  # noqa: PLC0415

    registry = _registry(args)
    result = run_assignment(registry, args)
    _write(args.out, {"assignment": result})


def cmd_assign_worker(args):
    from .concurrency import worker  # noqa: PLC0415

    registry = _registry(args)
    sys.stdout.write(json.dumps(worker(registry, args)) + "\n")


def cmd_oca(args):
    from .oca_tickets import run_oca  # noqa: PLC0415

    registry = _registry(args)
    _write(args.out, {"oca_tickets": run_oca(registry, args)})


def _write(path, payload):
    from .harness import write  # noqa: PLC0415

    if path:
        write(path, payload)
        _say(f"written {path}")
    else:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.run")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "workloads", "assign", "assign-worker", "oca"):
        cmd = sub.add_parser(name)
        cmd.add_argument("-c", "--config")
        cmd.add_argument("-d", "--database", required=True)
        cmd.add_argument("--size", default="S", choices=["S", "M", "L"])
        cmd.add_argument("--seed", type=int, default=42)
        cmd.add_argument("--repeats", type=int, default=3)
        cmd.add_argument("--only", help="comma-separated workload names")
        cmd.add_argument("--out")
        cmd.add_argument("--workers", type=int, default=4)
        cmd.add_argument("--tickets", type=int, default=10_000)
        cmd.add_argument("--worker-index", type=int, default=0)
        cmd.add_argument("--seconds", type=float, default=120, help="assignment time bound")
        cmd.add_argument("--queue", type=int, help="assignment worker: the queue to route")
    merge = sub.add_parser("merge")
    merge.add_argument("--out", required=True)
    merge.add_argument("--commit")
    merge.add_argument("parts", nargs="+")
    args = parser.parse_args(argv)
    {
        "generate": cmd_generate,
        "workloads": cmd_workloads,
        "assign": cmd_assign,
        "assign-worker": cmd_assign_worker,
        "oca": cmd_oca,
        "merge": cmd_merge,
    }[args.command](args)


if __name__ == "__main__":
    main()
