"""Concurrent ticket assignment: N worker processes route one backlog at once.

Set-up (committed): `tickets` new unassigned tickets in the benchmark queue; each
agent gets room for `tickets / (agents + 2)` more tickets, so that the backlog is
larger than the room and the capacity limit is what stops the workers (or the
time bound, `--seconds` per worker: the report says how many were assigned). Each
worker process loops on the queue's `_assign_tickets(limit=200)`, one transaction
per batch, and reports which tickets it claimed. Afterwards: tickets claimed by
two workers (double assignments), agents over capacity, throughput. The tickets
and the capacities are removed/restored at the end.
"""

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from odoo import Command, fields
from odoo.tools import SQL

BATCH = 200


def _env(cr):
    from .run import _env as env  # noqa: PLC0415

    return env(cr)


def _setup(registry, count):
    with registry.cursor() as cr:
        env = _env(cr)
        from .run import _load_data  # noqa: PLC0415

        data = _load_data(env)
        queue = env["crm.support.queue"].browse(data["queue_id"])
        agents = env["crm.support.agent"].search([("user_id", "in", data["agent_user_ids"])])
        loads = dict(
            env["crm.support.ticket"]._read_group(
                [("user_id", "in", agents.user_id.ids), ("is_closed", "=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        room = count // (len(agents) + 2)
        saved = {
            "capacities": {agent.id: agent.capacity for agent in agents},
            "agent_calendars": {agent.id: agent.resource_calendar_id.id for agent in agents},
            "calendar_id": queue.resource_calendar_id.id,
        }
        for agent in agents:
            agent.capacity = loads.get(agent.user_id, 0) + room
        # Around the clock for this run: the measure is the claiming, not the calendar.
        queue.resource_calendar_id = env["resource.calendar"].create(
            {
                "name": "BENCH around the clock",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24}
                    )
                    for day in range(7)
                ],
            }
        )
        agents.resource_calendar_id = False
        stage = env["crm.support.stage"].search([("is_closed", "=", False)], limit=1)
        env.flush_all()
        rows = env.execute_query(
            SQL(
                """
                INSERT INTO crm_support_ticket (name, queue_id, company_id, partner_id,
                       commercial_partner_id, stage_id, priority, active, is_closed,
                       create_uid, create_date, write_uid, write_date)
                SELECT 'BENCH assign ' || n, %(queue)s, %(company)s, c.id, c.id, %(stage)s, '1',
                       TRUE, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM generate_series(1, %(count)s) AS n
                 CROSS JOIN LATERAL (SELECT (%(customers)s::int[])[1 + mod(n, %(ncust)s)] AS id) c
                RETURNING id
                """,
                queue=queue.id,
                company=queue.company_id.id,
                stage=stage.id,
                uid=env.uid,
                now=fields.Datetime.now(),
                count=count,
                customers=data["customer_ids"][:1000],
                ncust=min(len(data["customer_ids"]), 1000),
            )
        )
        cr.commit()
        return data, queue.id, agents.ids, [row[0] for row in rows], saved


def _cleanup(registry, queue_id, ticket_ids, saved):
    with registry.cursor() as cr:
        env = _env(cr)
        cr.execute(SQL("DELETE FROM crm_support_ticket WHERE id = ANY(%s)", ticket_ids))
        for agent_id, capacity in saved["capacities"].items():
            agent = env["crm.support.agent"].browse(int(agent_id))
            agent.capacity = capacity
            agent.resource_calendar_id = saved["agent_calendars"][agent_id]
        env["crm.support.queue"].browse(queue_id).resource_calendar_id = saved["calendar_id"]
        cr.commit()


def worker(registry, args):
    """One worker process: assign batches until nothing is left for it."""
    claimed, idle = [], 0
    started = time.perf_counter()
    errors = 0
    while idle < 2 and time.perf_counter() - started < args.seconds:
        with registry.cursor() as cr:
            env = _env(cr)
            data = json.loads(env["ir.config_parameter"].sudo().get_param(CONFIG_KEY))
            queue = env["crm.support.queue"].browse(data["queue_id"])
            try:
                assigned = queue._assign_tickets(limit=BATCH)
                pairs = [(t.id, t.user_id.id) for t in assigned]
                cr.commit()
            except Exception:
                cr.rollback()
                errors += 1
                pairs = []
        claimed += pairs
        idle = idle + 1 if not pairs else 0
    return {"claimed": claimed, "seconds": time.perf_counter() - started, "errors": errors}


CONFIG_KEY = "crm_unified.benchmark_data"


def run_assignment(registry, args):
    """Start `args.workers` processes on one backlog; check and report."""
    _data, queue_id, agent_ids, ticket_ids, saved = _setup(registry, args.tickets)
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "assign-worker",
        "-d",
        args.database,
        "--seconds",
        str(args.seconds),
    ]
    if args.config:
        command += ["-c", args.config]
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*command, "--worker-index", str(i)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
            text=True,
        )
        for i in range(args.workers)
    ]
    results = [
        json.loads(proc.communicate(timeout=900)[0].strip().splitlines()[-1]) for proc in procs
    ]
    wall = time.perf_counter() - started
    try:
        with registry.cursor() as cr:
            env = _env(cr)
            claims = Counter(tid for result in results for tid, _user in result["claimed"])
            ours = set(ticket_ids)
            doubles = sum(1 for tid, n in claims.items() if n > 1 and tid in ours)
            agents = env["crm.support.agent"].browse(agent_ids)
            loads = dict(
                env["crm.support.ticket"]._read_group(
                    [("user_id", "in", agents.user_id.ids), ("is_closed", "=", False)],
                    ["user_id"],
                    ["__count"],
                )
            )
            over = sum(1 for agent in agents if loads.get(agent.user_id, 0) > agent.capacity)
            assigned = env["crm.support.ticket"].search_count(
                [("id", "in", ticket_ids), ("user_id", "!=", False)]
            )
            room = sum(agent.capacity - loads.get(agent.user_id, 0) for agent in agents)
    finally:
        _cleanup(registry, queue_id, ticket_ids, saved)
    return {
        "workers": args.workers,
        "tickets": len(ticket_ids),
        "assigned": assigned,
        "claims_reported": sum(claims.values()),
        "double_assignments": doubles,
        "agents_over_capacity": over,
        "room_left": room,
        "worker_errors": sum(r["errors"] for r in results),
        "time_bound_s": args.seconds,
        "wall_s": round(wall, 1),
        "tickets_per_s": round(assigned / wall, 1) if wall else None,
    }
