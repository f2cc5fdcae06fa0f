"""Concurrent ticket assignment: N worker processes route one backlog at once.

Set-up (committed): a queue of its own ("BENCH assignment", working around the
clock, the benchmark's agents as members, the benchmark queue's assignment
method) holding `tickets` new unassigned tickets; each agent gets room for
`tickets / (agents + 2)` more tickets, so that the backlog is larger than the
room and the capacity limit is what stops the workers, or the time bound. A queue
of its own: changing the benchmark queue's calendar would re-plan the SLA clocks
of its 40,000 open lines (at M) before and after the run, which is not what is
measured here.

Each worker process loops on the queue's `_assign_tickets(limit=BATCH)`, one
transaction per batch, and reports which tickets it claimed; it stops when six
batches in a row found nothing, or after `--seconds` (checked between batches,
which are small so that the bound holds within seconds). A worker that overruns
the bound by more than a minute is killed and reported. Afterwards: tickets
claimed by two workers (double assignments), agents over capacity, throughput.
The tickets, their messages and followers, the queue and the capacities are
removed/restored at the end, whatever happened (also after an interrupted run:
`_remove_leftovers` runs first).
"""

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from odoo import Command, fields
from odoo.tools import SQL

BATCH = 10
IDLE_BATCHES = 6  # a worker stops after this many empty batches in a row
QUEUE_NAME = "BENCH assignment"
CALENDAR_NAME = "BENCH around the clock"
SAVED_KEY = "crm_unified.benchmark_assignment_saved"
KILL_GRACE_S = 60


def _env(cr):
    from .run import _env as env  # noqa: PLC0415

    return env(cr)


def _remove_leftovers(env):
    """Undo what an interrupted earlier run left behind (queue, tickets, capacities)."""
    Param = env["ir.config_parameter"].sudo()
    saved = Param.get_param(SAVED_KEY)
    queues = (
        env["crm.support.queue"].with_context(active_test=False).search([("name", "=", QUEUE_NAME)])
    )
    if queues:
        ticket_ids = [
            row[0]
            for row in env.execute_query(
                SQL("SELECT id FROM crm_support_ticket WHERE queue_id = ANY(%s)", queues.ids)
            )
        ]
        _cleanup(env, queues.ids, ticket_ids, json.loads(saved) if saved else None)
    elif saved:
        _cleanup(env, [], [], json.loads(saved))


def _setup(registry, count):
    with registry.cursor() as cr:
        env = _env(cr)
        from .run import _load_data  # noqa: PLC0415

        _remove_leftovers(env)
        cr.commit()
        data = _load_data(env)
        bench_queue = env["crm.support.queue"].browse(data["queue_id"])
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
            "capacities": {str(agent.id): agent.capacity for agent in agents},
            "agent_calendars": {str(agent.id): agent.resource_calendar_id.id for agent in agents},
        }
        # Saved first: an interrupted run is undone by the next one.
        env["ir.config_parameter"].sudo().set_param(SAVED_KEY, json.dumps(saved))
        for agent in agents:
            agent.capacity = loads.get(agent.user_id, 0) + room
        # Around the clock for this run: the measure is the claiming, not the calendar.
        calendar = env["resource.calendar"].create(
            {
                "name": CALENDAR_NAME,
                "tz": "UTC",
                "company_id": bench_queue.company_id.id,
                "attendance_ids": [
                    Command.create(
                        {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24}
                    )
                    for day in range(7)
                ],
            }
        )
        agents.resource_calendar_id = False
        queue = env["crm.support.queue"].create(
            {
                "name": QUEUE_NAME,
                "company_id": bench_queue.company_id.id,
                "resource_calendar_id": calendar.id,
                "member_ids": [Command.set(agents.user_id.ids)],
                "assignment_method": bench_queue.assignment_method,
            }
        )
        stage = queue.stage_ids.filtered(lambda s: not s.is_closed).sorted("sequence")[:1]
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
        cr.execute("ANALYZE crm_support_ticket")
        return queue.id, agents.ids, [row[0] for row in rows], saved


def _cleanup(env, queue_ids, ticket_ids, saved):
    """Remove the run's tickets (and what assigning them wrote), its queue and
    calendar; give the agents back their capacity and calendar."""
    env.flush_all()
    if ticket_ids:
        for table, model_column in (
            ("mail_message", "model"),
            ("mail_followers", "res_model"),
            ("mail_activity", "res_model"),
        ):
            env.cr.execute(
                SQL(
                    "DELETE FROM %s WHERE %s = 'crm.support.ticket' AND res_id = ANY(%s)",
                    SQL.identifier(table),
                    SQL.identifier(model_column),
                    ticket_ids,
                )
            )
        env.cr.execute(SQL("DELETE FROM crm_support_ticket WHERE id = ANY(%s)", ticket_ids))
        env.invalidate_all()
    if saved:
        for agent_id, capacity in saved["capacities"].items():
            agent = env["crm.support.agent"].browse(int(agent_id)).exists()
            if agent:
                agent.capacity = capacity
                agent.resource_calendar_id = saved["agent_calendars"].get(agent_id) or False
    queues = env["crm.support.queue"].with_context(active_test=False).browse(queue_ids).exists()
    calendars = queues.resource_calendar_id.filtered(lambda c: c.name == CALENDAR_NAME)
    if queues:
        # The queue's mail alias goes with it; SQL would leave it behind.
        queues.unlink()
    calendars.unlink()
    env["ir.config_parameter"].sudo().set_param(SAVED_KEY, False)
    env.cr.commit()


def worker(registry, args):
    """One worker process: assign small batches until nothing is left for it or
    the time bound is reached. Prints one JSON line per committed batch (so a
    worker killed later still reports what it committed), then a summary line."""
    claimed, idle = 0, 0
    started = time.perf_counter()
    errors = []
    while idle < IDLE_BATCHES and time.perf_counter() - started < args.seconds:
        with registry.cursor() as cr:
            env = _env(cr)
            queue = env["crm.support.queue"].browse(args.queue)
            try:
                assigned = queue._assign_tickets(limit=BATCH)
                pairs = [(t.id, t.user_id.id) for t in assigned]
                cr.commit()
            except Exception as error:
                cr.rollback()
                errors.append(repr(error)[:200])
                pairs = []
        if pairs:
            sys.stdout.write(json.dumps({"batch": pairs}) + "\n")
            sys.stdout.flush()
        claimed += len(pairs)
        idle = idle + 1 if not pairs else 0
        if idle:
            # Every agent with room may be held by another worker's open batch.
            time.sleep(0.5)
    return {
        "claimed_count": claimed,
        "seconds": time.perf_counter() - started,
        "errors": len(errors),
        "first_errors": errors[:3],
        "stopped_by": "time bound" if idle < IDLE_BATCHES else "nothing left",
    }


def _collect(procs, bound):
    """Wait for every worker until `bound` seconds from now; kill the late ones.

    :return: one dict per worker: its committed claims (from its batch lines)
        and its summary, or killed/crashed
    """
    deadline = time.perf_counter() + bound
    results = []
    for proc in procs:
        result = {}
        try:
            out, err = proc.communicate(timeout=max(1, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            result = {"errors": 1, "killed": True}
        claimed = []
        for line in (out or "").strip().splitlines():
            try:
                payload = json.loads(line)
            except ValueError:
                continue
            if "batch" in payload:
                claimed += payload["batch"]
            else:
                result.update(payload)
        if not result:
            result = {"errors": 1, "crashed": (err or "")[-500:]}
        result["claimed"] = claimed
        results.append(result)
    return results


def run_assignment(registry, args):
    """Start `args.workers` processes on one backlog; check, report and clean up."""
    queue_id, agent_ids, ticket_ids, saved = _setup(registry, args.tickets)
    try:
        command = [
            sys.executable,
            "-m",
            "benchmarks.run",
            "assign-worker",
            "-d",
            args.database,
            "--seconds",
            str(args.seconds),
            "--queue",
            str(queue_id),
        ]
        if args.config:
            command += ["-c", args.config]
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [*command, "--worker-index", str(i)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=Path(__file__).resolve().parent.parent,
                text=True,
            )
            for i in range(args.workers)
        ]
        # Registry loading of each process + the bound + the last batch's grace.
        results = _collect(procs, args.seconds + KILL_GRACE_S + 60)
        wall = time.perf_counter() - started
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
            seconds = [r["seconds"] for r in results if r.get("seconds")]
    finally:
        with registry.cursor() as cr:
            _cleanup(_env(cr), [queue_id], ticket_ids, saved)
    return {
        "workers": args.workers,
        "tickets": len(ticket_ids),
        "assigned": assigned,
        "claims_reported": sum(claims.values()),
        "double_assignments": doubles,
        "agents_over_capacity": over,
        "room_left": room,
        "worker_errors": sum(r.get("errors", 0) for r in results),
        "worker_first_errors": [e for r in results for e in r.get("first_errors", [])][:3],
        "workers_killed": sum(1 for r in results if r.get("killed")),
        "workers_stopped_by": [r.get("stopped_by") for r in results],
        "time_bound_s": args.seconds,
        "wall_s": round(wall, 1),
        "worker_busy_s_max": round(max(seconds), 1) if seconds else None,
        "tickets_per_s": round(assigned / max(seconds), 1) if seconds else None,
    }
