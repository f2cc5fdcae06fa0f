"""Benchmarks: how the engine's cost grows with the data.

Each benchmark runs the same operation on a small and a large data set and
asserts on SQL query counts (a property of the code, the same on every
machine), never on seconds. The timings (CPU seconds of the Odoo process) are
written, for people, to .odoo-run/benchmark.json.
"""

import json
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon

REPORT = Path(__file__).resolve().parent.parent / ".odoo-run" / "benchmark.json"
RESULTS = {}


@tagged("post_install", "-at_install", "crm_unified_benchmark")
class TestBenchmark(BaseCommon):
    @classmethod
    def tearDownClass(cls):
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text(json.dumps(RESULTS, indent=2, sort_keys=True))
        super().tearDownClass()

    @contextmanager
    def measure(self, name, size):
        """Queries and seconds of the block, flushed, on a cold cache."""
        self.env.flush_all()
        self.env.invalidate_all()
        stats = {}
        queries, started = self.env.cr.sql_log_count, time.process_time()
        yield stats
        self.env.flush_all()
        stats["queries"] = self.env.cr.sql_log_count - queries
        # CPU time of the Odoo process (freezegun stops the wall clocks in frozen tests).
        stats["python_cpu_seconds"] = round(time.process_time() - started, 3)
        RESULTS.setdefault(name, {})[str(size)] = stats

    def _partners(self, count, label, **values):
        return self.env["res.partner"].create(
            [
                {"name": f"{label} {i}", "email": f"{label.lower()}{i}@bench.example.com", **values}
                for i in range(count)
            ]
        )

    def _insert_interactions(self, partners, per_partner):
        """Bulk history in one statement: a fixture, not the code under test."""
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_interaction (partner_id, commercial_partner_id, date, channel_id,
                       direction, subject, user_id, source, company_id, create_date, write_date)
                SELECT p.id, p.id, now() - (n * interval '7 hours'),
                       %(channel)s, CASE WHEN mod(n, 3) = 0 THEN 'inbound' ELSE 'outbound' END,
                       'Benchmark ' || n, %(user)s, 'import', %(company)s, now(), now()
                  FROM unnest(%(partners)s::int[]) AS p(id), generate_series(1, %(count)s) AS n
                """,
                channel=self.env.ref("crm_unified.interaction_channel_phone").id,
                user=self.env.user.id,
                company=self.env.company.id,
                partners=partners.ids,
                count=per_partner,
            )
        )
        self.env.invalidate_all()

    # ---- crm_unified ----

    def test_timeline_first_page_cost_is_independent_of_history_size(self):
        counts = {}
        for size in (100, 50_000):
            customer = self._partners(1, f"Timeline{size}", is_company=True)
            self._insert_interactions(customer, size)
            with self.measure("timeline_first_page", size) as stats:
                page = self.env["crm.interaction"].web_search_read(
                    [("commercial_partner_id", "=", customer.id)],
                    {"date": {}, "subject": {}, "channel_id": {"fields": {"display_name": {}}}},
                    limit=80,
                )
            self.assertEqual(page["length"], size)
            counts[size] = stats
        self.assertEqual(counts[100]["queries"], counts[50_000]["queries"])

    def test_profile_recompute_is_batched(self):
        counts = {}
        for size in (50, 1000):
            partners = self._partners(size, f"Profile{size}")
            self._insert_interactions(partners, 5)
            with self.measure("profile_recompute", size) as stats:
                partners._crm_recompute_profile()
            self.assertTrue(all(partners.mapped("last_interaction_date")))
            counts[size] = stats
        # The large set may need a few more write batches, never a query per partner.
        self.assertLess(counts[1000]["queries"], counts[50]["queries"] + 20)

    def test_segment_refresh_is_set_based(self):
        counts = {}
        for size in (20, 3000):
            label = f"Seg{size}x"
            self._partners(size, label, city=label)
            segment = self.env["crm.segment"].create(
                {"name": label, "segment_type": "dynamic", "domain": repr([("city", "=", label)])}
            )
            with self.measure("segment_refresh", size) as stats:
                segment._refresh_members()
            self.assertEqual(segment.member_count, size)
            counts[size] = stats
        self.assertEqual(counts[20]["queries"], counts[3000]["queries"])

    def test_sale_capture_logs_a_batch_in_one_create(self):
        product = self.env["product.product"].create({"name": "Bench item", "list_price": 10})
        counts = {}
        for size in (10, 500):
            partners = self._partners(size, f"Buyer{size}")
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": p.id,
                        "order_line": [Command.create({"product_id": product.id})],
                    }
                    for p in partners
                ]
            )
            orders.write({"state": "sale"})
            with self.measure("sale_capture", size) as stats:
                orders._crm_capture("_prepare_order_confirmed_interaction_values")
            logged = self.env["crm.interaction"].search_count(
                [("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)]
            )
            self.assertEqual(logged, size)
            counts[size] = stats
        # ORM inserts 100 rows per statement: 500 rows cost 4 INSERTs more than 10.
        self.assertLessEqual(counts[500]["queries"] - counts[10]["queries"], 10)

    # ---- crm_unified_marketing ----

    @freeze_time("2026-12-07 08:00:00")
    def test_campaign_planning_does_not_grow_per_customer(self):
        counts = {}
        email = self.env.ref("crm_unified.interaction_channel_email")
        for size in (100, 2000):
            partners = self._partners(size, f"Plan{size}", tz="Europe/Kyiv")
            segment = self.env["crm.segment"].create(
                {
                    "name": f"Plan {size}",
                    "segment_type": "static",
                    "partner_ids": [Command.set(partners.ids)],
                }
            )
            campaign = self.env["crm.campaign"].create(
                {
                    "name": f"Bench {size}",
                    "date_start": date(2026, 12, 7),
                    "date_end": date(2026, 12, 31),
                }
            )
            self.env["crm.campaign.rule"].create(
                {
                    "campaign_id": campaign.id,
                    "name": "All",
                    "segment_ids": [Command.set(segment.ids)],
                    "channel_line_ids": [Command.create({"channel_id": email.id})],
                }
            )
            campaign.action_activate()
            with self.measure("campaign_plan_decide", size) as stats:
                batches = list(self.env["crm.campaign.planner"]._compute_plan(campaign))
            self.assertEqual(sum(len(batch) for batch in batches), size)
            counts[size] = stats
        # Planning works in batches of 1,000 customers: 2,000 take one batch more than 100.
        self.assertLessEqual(counts[2000]["queries"], 2 * counts[100]["queries"])

    # ---- crm_unified_support ----

    @freeze_time("2026-12-07 10:00:00")  # a Monday morning: the agents are at work
    def test_ticket_assignment_cost_per_ticket_is_bounded(self):
        agents = [
            self.env["res.users"].create(
                {
                    "name": f"Bench agent {i}",
                    "login": f"bench_agent_{i}",
                    "groups_id": [
                        Command.link(self.env.ref("crm_unified_support.group_support_user").id)
                    ],
                }
            )
            for i in range(5)
        ]
        queue = self.env["crm.support.queue"].create(
            {
                "name": "Bench desk",
                "assignment_method": "least_open",
                "member_ids": [Command.set([a.id for a in agents])],
            }
        )
        self.env["crm.support.agent"].search(
            [("user_id", "in", [a.id for a in agents])]
        ).capacity = 1000
        counts = {}
        for size in (10, 200):
            customer = self._partners(1, f"Ticket{size}")
            tickets = self.env["crm.support.ticket"].create(
                [
                    {"name": f"T{i}", "queue_id": queue.id, "partner_id": customer.id}
                    for i in range(size)
                ]
            )
            with self.measure("ticket_assignment", size) as stats:
                assigned = queue._assign_tickets(tickets)
            self.assertEqual(len(assigned), size, "every ticket finds a free agent")
            counts[size] = stats
        # Each claim is its own savepoint and lock (by design, for concurrency); the
        # cost per ticket must not grow with the backlog.
        per_ticket_small = counts[10]["queries"] / 10
        per_ticket_large = counts[200]["queries"] / 200
        self.assertLessEqual(per_ticket_large, per_ticket_small * 1.2)
