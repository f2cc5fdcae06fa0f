"""Deterministic benchmark data: customers, two years of history, orders, tickets.

Bulk rows are written with set-based SQL (INSERT ... SELECT generate_series):
creating a million interactions through the ORM would take hours. What this
bypasses, per table (the README's performance section says the same):

- res.partner: no create() overrides, no mail followers, no tracking; the
  stored computes are filled by the same statement (commercial entity,
  complete name, normalised email, the CRM phone keys are left empty).
- crm.interaction: no create() (the local weekday/hour are computed in SQL in the
  customer's time zone, as the ORM compute does); the profiles are marked dirty.
- sale.order: headers only (amounts set directly, no order lines, taxes,
  pickings or invoices), which is all the profile and the RFM read.
- crm.support.ticket / crm.support.ticket.sla: no create() (no sequence, no
  followers, no messages, no capture); SLA lines get their deadline directly.

Configuration records (queue, agents, SLA policies, segments, campaign) are
created through the ORM. Every value derives from the row number and the seed
(no random()), so two runs with one seed produce the same data.
"""

from datetime import datetime

from odoo import Command, fields
from odoo.tools import SQL

# Data set sizes. Per-workload sizes ("work") are in workloads.py.
SIZES = {
    "S": {
        "customers": 1_000,
        "interactions": 20_000,
        "big_customer_interactions": 5_000,
        "orders": 1_500,
        "tickets": 500,
    },
    "M": {
        "customers": 100_000,
        "interactions": 1_000_000,
        "big_customer_interactions": 100_000,
        "orders": 150_000,
        "tickets": 50_000,
    },
    "L": {
        "customers": 1_000_000,
        "interactions": 10_000_000,
        "big_customer_interactions": 1_000_000,
        "orders": 1_500_000,
        "tickets": 500_000,
    },
}
# The history spans two years before this instant (fixed, so that data are reproducible).
HISTORY_END = datetime(2026, 11, 30, 6, 0, 0)
HISTORY_SECONDS = 2 * 365 * 86400
MARK = "BENCH"  # ref prefix of generated partners, name prefix of generated documents
TIME_ZONES = ["Europe/Kyiv", "Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]


def _h(expr, seed, salt):
    """SQL of a deterministic pseudo-random non-negative bigint from an integer expression."""
    return SQL(
        "mod((%s)::bigint * 2654435761 + %s * 97 + %s, 4294967291)",
        SQL(expr),
        seed,
        salt,
    )


def generate(env, size="S", seed=42):
    """Create the data set `size` ("S", "M" or "L") in env's database.

    :return: dict of the ids the workloads use (``customer_ids``, ``big_customer_id``,
        ``queue_id``, ``segment_id``, ...). Nothing is committed here.
    """
    spec = SIZES[size]
    env.flush_all()
    data = {"size": size, "seed": seed, **spec}
    data.update(_generate_partners(env, spec, seed))
    _generate_interactions(env, spec, seed, data)
    _generate_orders(env, spec, seed, data)
    data.update(_generate_support(env, spec, seed, data))
    env.invalidate_all()
    return data


def _generate_partners(env, spec, seed):
    cr = env.cr
    user = env.ref("base.user_admin").id
    zones = TIME_ZONES
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, email, email_normalized, is_company,
                   active, type, tz, lang, city, ref, autopost_bills, customer_rank,
                   create_uid, write_uid, create_date, write_date)
            SELECT 'Bench Customer ' || n, 'Bench Customer ' || n,
                   'bench' || n || '@bench.example.com', 'bench' || n || '@bench.example.com',
                   TRUE, TRUE, 'contact', (%(zones)s::varchar[])[1 + mod(%(zone)s, %(nzones)s)],
                   'en_US', 'Bench City ' || (mod(%(city)s, 10)), %(mark)s || '-' || n, 'ask', 1,
                   %(user)s, %(user)s, %(end)s, %(end)s
              FROM generate_series(1, %(count)s) AS n
             ORDER BY n
            RETURNING id
            """,
            zones=zones,
            zone=_h("n", seed, 1),
            nzones=len(zones),
            city=_h("n", seed, 2),
            mark=MARK,
            user=user,
            end=HISTORY_END,
            count=spec["customers"],
        )
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", ids))
    return {"customer_ids": ids, "big_customer_id": ids[0]}


def _generate_interactions(env, spec, seed, data):
    """`interactions` rows: the big customer holds its share, the rest spread evenly."""
    cr = env.cr
    channels = env["crm.interaction.channel"].search([("code", "!=", "other")], order="id").ids
    customer_ids = data["customer_ids"]
    big = spec["big_customer_interactions"]
    user = env.ref("base.user_admin").id
    company = env.ref("base.main_company").id
    cr.execute(
        SQL(
            """
            INSERT INTO crm_interaction (partner_id, commercial_partner_id, date, channel_id,
                   direction, subject, user_id, source, company_id, weekday, hour,
                   create_uid, write_uid, create_date, write_date)
            SELECT p.id, p.id, d.at, (%(channels)s::int[])[1 + mod(%(channel)s, %(nchannels)s)],
                   CASE WHEN mod(%(dir)s, 3) = 0 THEN 'inbound' ELSE 'outbound' END,
                   'Bench interaction ' || n, %(user)s, 'import', %(company)s,
                   (EXTRACT(ISODOW FROM local.at)::int - 1)::varchar, to_char(local.at, 'HH24'),
                   %(user)s, %(user)s, d.at, d.at
              FROM generate_series(1, %(count)s) AS n
              JOIN res_partner p ON p.id = (%(customers)s::int[])[
                   CASE WHEN n <= %(big)s THEN 1 ELSE 2 + mod(%(who)s, (%(ncustomers)s - 1)) END]
             CROSS JOIN LATERAL (
                   SELECT %(end)s::timestamp - (mod(%(age)s, %(span)s)) * interval '1 second' AS at
             ) d
             CROSS JOIN LATERAL (
                   SELECT (d.at AT TIME ZONE 'UTC') AT TIME ZONE p.tz AS at
             ) local
            """,
            channels=channels,
            channel=_h("n", seed, 3),
            nchannels=len(channels),
            dir=_h("n", seed, 4),
            user=user,
            company=company,
            count=spec["interactions"],
            customers=customer_ids,
            big=big,
            who=_h("n", seed, 5),
            ncustomers=len(customer_ids),
            end=HISTORY_END,
            age=_h("n", seed, 6),
            span=HISTORY_SECONDS,
        )
    )
    cr.execute(
        SQL("UPDATE res_partner SET crm_profile_dirty = TRUE WHERE id = ANY(%s)", customer_ids)
    )


def _generate_orders(env, spec, seed, data):
    """Order headers: 80 % confirmed, 10 % quotations, 10 % cancelled, over two years."""
    cr = env.cr
    company = env.ref("base.main_company")
    user = env.ref("base.user_admin").id
    pricelist = env["product.pricelist"].search(
        [("company_id", "in", [company.id, False])], limit=1
    )
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                   company_id, currency_id, currency_rate, pricelist_id, user_id, date_order,
                   state, amount_untaxed, amount_tax, amount_total, invoice_status,
                   create_uid, write_uid, create_date, write_date)
            SELECT %(mark)s || '/SO/' || n, c.id, c.id, c.id, %(company)s, %(currency)s, 1.0,
                   %(pricelist)s, %(user)s, d.at,
                   CASE WHEN mod(%(state)s, 10) < 8 THEN 'sale'
                        WHEN mod(%(state)s, 10) = 8 THEN 'draft' ELSE 'cancel' END,
                   a.amount, 0, a.amount, 'no', %(user)s, %(user)s, d.at, d.at
              FROM generate_series(1, %(count)s) AS n
             CROSS JOIN LATERAL (
                   SELECT (%(customers)s::int[])[1 + mod(%(who)s, %(ncustomers)s)] AS id) c
             CROSS JOIN LATERAL (
                   SELECT %(end)s::timestamp - mod(%(age)s, %(span)s) * interval '1 second' AS at
             ) d
             CROSS JOIN LATERAL (
                   SELECT round((10 + mod(%(amount)s, 99000)) / 100.0, 2) AS amount) a
            """,
            mark=MARK,
            company=company.id,
            currency=company.currency_id.id,
            pricelist=pricelist.id or None,
            user=user,
            state=_h("n", seed, 7),
            count=spec["orders"],
            customers=data["customer_ids"],
            who=_h("n", seed, 8),
            ncustomers=len(data["customer_ids"]),
            end=HISTORY_END,
            age=_h("n", seed, 9),
            span=HISTORY_SECONDS,
            amount=_h("n", seed, 10),
        )
    )


def _generate_support(env, spec, seed, data):
    """A queue on a working-hours calendar, 8 agents, two SLA targets, `tickets` tickets.

    Tickets: 80 % closed, the rest open and assigned. Each open ticket has two SLA
    lines (first response, resolution) whose deadline is far ahead: nothing due.
    """
    cr = env.cr
    company = env.ref("base.main_company")
    calendar = env.ref("resource.resource_calendar_std")
    group = env.ref("crm_unified_support.group_support_user")
    users = env["res.users"].create(
        [
            {
                "name": f"{MARK} agent {i}",
                "login": f"bench_agent_{i}_{data['size']}",
                "email": f"bench_agent_{i}@bench.example.com",
                "tz": "UTC",
                "groups_id": [Command.link(group.id)],
            }
            for i in range(8)
        ]
    )
    queue = env["crm.support.queue"].create(
        {
            "name": f"{MARK} desk",
            "assignment_method": "least_open",
            "resource_calendar_id": calendar.id,
            "member_ids": [Command.set(users.ids)],
            "company_id": company.id,
        }
    )
    agents = env["crm.support.agent"].search([("user_id", "in", users.ids)])
    agents.write({"capacity": 100_000})
    sla = env["crm.support.sla"].create(
        {
            "name": f"{MARK} standard",
            "queue_id": queue.id,
            "first_response_hours": 4.0,
            "resolution_hours": 24.0,
            "escalation_ids": [
                Command.create({"percent": 80, "notify": "assignee"}),
                Command.create({"percent": 100, "notify": "assignee"}),
            ]
            if "escalation_ids" in env["crm.support.sla"]._fields
            else [],
        }
    )
    open_stage = env["crm.support.stage"].search(
        [("is_closed", "=", False)], order="sequence", limit=1
    )
    closed_stage = env["crm.support.stage"].search(
        [("is_closed", "=", True)], order="sequence", limit=1
    )
    env.flush_all()
    cr.execute(
        SQL(
            """
            INSERT INTO crm_support_ticket (name, reference, queue_id, company_id, partner_id,
                   commercial_partner_id, partner_email, stage_id, priority, active, is_closed,
                   user_id, date_assign, close_date, date_last_stage_update,
                   create_uid, write_uid, create_date, write_date)
            SELECT %(mark)s || ' ticket ' || n, %(mark)s || '-T' || n, %(queue)s, %(company)s,
                   c.id, c.id, 'bench' || n || '@bench.example.com',
                   CASE WHEN closed THEN %(closed_stage)s ELSE %(open_stage)s END,
                   (mod(%(prio)s, 3))::varchar, TRUE, closed,
                   (%(users)s::int[])[1 + mod(%(agent)s, %(nusers)s)], d.at,
                   CASE WHEN closed THEN d.at + interval '1 day' END, d.at,
                   %(uid)s, %(uid)s, d.at, d.at
              FROM generate_series(1, %(count)s) AS n
             CROSS JOIN LATERAL (SELECT mod(%(state)s, 10) < 8 AS closed) s
             CROSS JOIN LATERAL (
                   SELECT (%(customers)s::int[])[1 + mod(%(who)s, %(ncustomers)s)] AS id) c
             CROSS JOIN LATERAL (
                   SELECT %(end)s::timestamp - mod(%(age)s, %(span)s) * interval '1 second' AS at
             ) d
            RETURNING id, is_closed
            """,
            mark=MARK,
            queue=queue.id,
            company=company.id,
            closed_stage=closed_stage.id,
            open_stage=open_stage.id,
            prio=_h("n", seed, 11),
            users=users.ids,
            agent=_h("n", seed, 12),
            nusers=len(users),
            uid=env.uid,
            state=_h("n", seed, 13),
            count=spec["tickets"],
            customers=data["customer_ids"],
            who=_h("n", seed, 14),
            ncustomers=len(data["customer_ids"]),
            end=HISTORY_END,
            age=_h("n", seed, 15),
            span=HISTORY_SECONDS,
        )
    )
    open_ids = [tid for tid, closed in cr.fetchall() if not closed]
    # Two SLA lines per open ticket, started now: the deadline is far ahead (nothing due).
    cr.execute(
        SQL(
            """
            INSERT INTO crm_support_ticket_sla (ticket_id, sla_id, company_id, queue_id,
                   target_type, target_hours, start_date, deadline, state, paused_hours,
                   escalation_percent, create_uid, write_uid, create_date, write_date)
            SELECT t.id, %(sla)s, %(company)s, %(queue)s, target.type, target.hours,
                   %(now)s, %(far)s, 'ongoing', 0, 0, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM unnest(%(ids)s::int[]) AS t(id)
             CROSS JOIN (VALUES ('first_response', 400.0), ('resolution', 2400.0))
                   AS target(type, hours)
            """,
            sla=sla.id,
            company=company.id,
            queue=queue.id,
            now=fields.Datetime.now(),
            far=datetime(2030, 1, 1),
            uid=env.uid,
            ids=open_ids,
        )
    )
    cr.execute(
        SQL(
            "UPDATE crm_support_ticket t SET sla_deadline = %s WHERE t.id = ANY(%s)",
            datetime(2030, 1, 1),
            open_ids,
        )
    )
    return {
        "queue_id": queue.id,
        "sla_id": sla.id,
        "agent_user_ids": users.ids,
        "open_ticket_ids": open_ids,
    }
