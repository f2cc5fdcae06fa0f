"""Baseline of ticket creation with SLA: OCA helpdesk_mgmt + helpdesk_mgmt_sla 18.0.

Runs in a separate database where only those two addons are installed (from
PyPI, without dependencies, in their own addons path: scripts/bench.sh does it).
Same job as our workload: tickets of one team with two SLA targets (first
response 4 h, resolution 24 h) on the company's working-hours calendar, created
in batches. Nothing is committed.
"""

import time

from odoo import Command

from .harness import peak_rss_mb, reset_peak_rss
from .workloads import WORK


def run_oca(registry, args):
    with registry.cursor() as cr:
        from .run import _env  # noqa: PLC0415

        env = _env(cr)
        work = WORK[args.size]
        calendar = env.ref("resource.resource_calendar_std")
        stages = env["helpdesk.ticket.stage"].search([], order="sequence")
        team = env["helpdesk.ticket.team"].create(
            {
                "name": "BENCH team",
                "use_sla": True,
                "resource_calendar_id": calendar.id,
                "user_ids": [Command.link(env.uid)],
            }
        )
        closed = stages.filtered("closed")[:1] or stages[-1:]
        progress = (stages - closed)[1:2] or stages[:1]
        env["helpdesk.sla"].create(
            [
                {
                    "name": "First response",
                    "team_ids": [Command.set(team.ids)],
                    "stage_id": progress.id,
                    "hours": 4,
                },
                {
                    "name": "Resolution",
                    "team_ids": [Command.set(team.ids)],
                    "stage_id": closed.id,
                    "hours": 24,
                },
            ]
        )
        partners = env["res.partner"].create(
            [{"name": f"BENCH OCA customer {i}"} for i in range(50)]
        )
        env.flush_all()
        env.invalidate_all()
        Ticket = env["helpdesk.ticket"]
        # One batch: OCA creates about 3 tickets/s here, the rate is what is compared.
        batch, batches = work["ticket_batch"], 1
        reset_peak_rss()
        queries = cr.sql_log_count
        started = time.perf_counter()
        created = Ticket.browse()
        for b in range(batches):
            created |= Ticket.create(
                [
                    {
                        "name": f"BENCH OCA ticket {b}-{i}",
                        "description": "<p>Help</p>",
                        "team_id": team.id,
                        "partner_id": partners[i % len(partners)].id,
                    }
                    for i in range(batch)
                ]
            )
        env.flush_all()
        seconds = time.perf_counter() - started
        queries = cr.sql_log_count - queries
        lines = env["helpdesk.ticket.sla"].search_count([("ticket_id", "in", created.ids)])
        cr.rollback()
    tickets = batch * batches
    return {
        "addons": "helpdesk_mgmt, helpdesk_mgmt_sla (OCA 18.0, PyPI)",
        "tickets": tickets,
        "seconds": round(seconds, 3),
        "tickets_per_s": round(tickets / seconds, 1),
        "queries": queries,
        "queries_per_ticket": round(queries / tickets, 2),
        "sla_lines": lines,
        "peak_rss_mb": peak_rss_mb(),
    }
