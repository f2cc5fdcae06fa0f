from datetime import timedelta
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.crm_unified.models.crm_segment import CrmSegment
from odoo.addons.crm_unified.models.res_partner_profile import ResPartner

from .profile_common import NOW, ProfileCommon

FIGURES = [
    "crm_order_count",
    "sale_revenue_total",
    "last_order_date",
    "interaction_count_12m",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "engagement_score",
]


class InjectedFault(Exception):
    pass


@tagged("post_install", "-at_install")
class TestProfileCrons(ProfileCommon):
    """Issue 13: profile and segment crons with a backlog, faults and concurrent runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls._create_partners([f"Cron {i}" for i in range(7)], is_company=True)
        cls._confirm_orders(
            [(partner, 10 * (i + 1), 100 * (i + 1)) for i, partner in enumerate(cls.customers)]
        )
        for partner in cls.customers[:4]:
            cls._log(partner, "phone", NOW - timedelta(days=3))
        ICP = cls.env["ir.config_parameter"]
        ICP.set_param("crm_unified.profile_batch_size", 3)
        today = fields.Date.to_string(NOW.date())
        ICP.set_param("crm_unified.profile_full_date", today)
        ICP.set_param("crm_unified.segment_full_date", today)

    def _queue_only(self, partners):
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = (id = ANY(%s))",
                partners.ids,
            )
        )
        self.env.invalidate_all()

    def _progress(self, xmlid):
        progress = self.env["ir.cron.progress"].create({"cron_id": self.env.ref(xmlid).id})
        return progress, {"ir_cron_progress_id": progress.id}

    def _snapshot(self):
        self.env.invalidate_all()
        return {
            partner.id: tuple(partner[fname] for fname in FIGURES) for partner in self.customers
        }

    def test_backlog_larger_than_batch_reports_real_remaining(self):
        self._queue_only(self.customers)
        progress, context = self._progress("crm_unified.ir_cron_recompute_profile")
        Partner = self.env["res.partner"].with_context(**context)
        seen = []
        for _run in range(3):
            Partner._cron_recompute_profile()
            seen.append((progress.done, progress.remaining))
        self.assertEqual(seen, [(3, 4), (3, 1), (1, 0)])
        self.assertFalse(self.customers.filtered("crm_profile_dirty"))
        self.assertEqual(self.customers[6].crm_order_count, 1)
        self.assertTrue(self.customers[6].rfm_recency, "RFM computed once the queue is empty")

    def test_fault_after_k_records_then_rerun_equals_clean_run(self):
        self._queue_only(self.customers)
        while self.env["res.partner"].search_count([("crm_profile_dirty", "=", True)]):
            self.env["res.partner"]._cron_recompute_profile()
        clean = self._snapshot()
        self.env["crm.partner.profile"].search([("partner_id", "in", self.customers.ids)]).unlink()
        self._queue_only(self.customers)
        original = ResPartner._crm_profile_upsert_sql
        calls = []

        def fail_on_second_batch(partners, ids, now, **options):
            calls.append(len(ids))
            if len(calls) == 2:
                raise InjectedFault("worker killed after 3 customers")
            return original(partners, ids, now, **options)

        with patch.object(ResPartner, "_crm_profile_upsert_sql", fail_on_second_batch):
            for _run in range(2):
                try:
                    # The cron runs each batch in its own transaction: a savepoint here.
                    with self.env.cr.savepoint():
                        self.env["res.partner"]._cron_recompute_profile()
                except InjectedFault:
                    self.env.invalidate_all()
        self.assertEqual(calls, [3, 3])
        self.assertEqual(
            self.env["res.partner"].search_count([("crm_profile_dirty", "=", True)]),
            4,
            "the failed batch stays queued, the first one is done",
        )
        while self.env["res.partner"].search_count([("crm_profile_dirty", "=", True)]):
            self.env["res.partner"]._cron_recompute_profile()
        self.assertEqual(self._snapshot(), clean)
        self.assertEqual(
            self.env["crm.partner.profile"].search_count(
                [("partner_id", "in", self.customers.ids)]
            ),
            7,
            "one profile per customer, none duplicated",
        )

    def test_segment_cron_backlog_fault_and_rerun(self):
        Segment = self.env["crm.segment"]
        Segment.search([]).write({"refresh_state": "done"})
        segments = Segment.create(
            [
                {
                    "name": f"Cron segment {i}",
                    "domain": repr(
                        [("id", "in", self.customers.ids), ("crm_order_count", ">=", 1)]
                    ),
                    "company_id": self.company.id,
                }
                for i in range(7)
            ]
        )
        self.customers._crm_recompute_profile()
        segments.write({"refresh_state": "queued"})
        progress, context = self._progress("crm_unified.ir_cron_refresh_segments")
        original = CrmSegment._refresh_members
        calls = []

        def fail_on_second_batch(batch):
            calls.append(len(batch))
            if len(calls) == 2:
                raise InjectedFault("worker killed")
            return original(batch)

        with patch.object(CrmSegment, "_refresh_members", fail_on_second_batch):
            for _run in range(2):
                try:
                    with self.env.cr.savepoint():
                        Segment.with_context(**context)._cron_refresh_segments(batch_size=3)
                except InjectedFault:
                    self.env.invalidate_all()
        self.assertEqual((progress.done, progress.remaining), (3, 4))
        for _run in range(3):
            Segment.with_context(**context)._cron_refresh_segments(batch_size=3)
        self.assertEqual(progress.remaining, 0)
        for segment in segments:
            self.assertEqual(segment.partner_ids, self.customers, "same members as a clean run")
            self.assertEqual(segment.refresh_state, "done")

    def test_two_runs_at_once_claim_different_rows(self):
        """Two real transactions claim disjoint batches (profiles and segments).

        The rows are queued in a committed transaction (only rows this test's
        transaction does not hold, taken with SKIP LOCKED) and restored after.
        """
        with self.registry.cursor() as setup_cr:
            setup_cr.execute(
                "SELECT id FROM res_partner WHERE NOT COALESCE(crm_profile_dirty, FALSE) "
                "ORDER BY id LIMIT 6 FOR UPDATE SKIP LOCKED"
            )
            partner_ids = [row[0] for row in setup_cr.fetchall()]
            setup_cr.execute(
                "SELECT id, refresh_state FROM crm_segment WHERE active "
                "ORDER BY id LIMIT 4 FOR UPDATE SKIP LOCKED"
            )
            segment_states = setup_cr.fetchall()
            segment_ids = [row[0] for row in segment_states]
            setup_cr.execute(
                "UPDATE res_partner SET crm_profile_dirty = TRUE WHERE id = ANY(%s)", [partner_ids]
            )
            setup_cr.execute(
                "UPDATE crm_segment SET refresh_state = 'queued' WHERE id = ANY(%s)",
                [segment_ids],
            )
            setup_cr.commit()
        try:
            with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
                env1 = self.env(cr=cr1)
                env2 = self.env(cr=cr2)
                first = env1["res.partner"]._crm_claim_profile_batch(3)
                second = env2["res.partner"]._crm_claim_profile_batch(3)
                self.assertEqual((len(first), len(second)), (3, 3))
                self.assertFalse(set(first.ids) & set(second.ids), "never the same customer")
                segments1 = env1["crm.segment"]._claim_queued_segments(2)
                segments2 = env2["crm.segment"]._claim_queued_segments(2)
                self.assertEqual(len(segments1), 2)
                self.assertTrue(segments2, "the second run takes the other queued segments")
                self.assertFalse(set(segments1.ids) & set(segments2.ids))
                cr1.rollback()
                cr2.rollback()
        finally:
            with self.registry.cursor() as restore_cr:
                restore_cr.execute(
                    "UPDATE res_partner SET crm_profile_dirty = FALSE WHERE id = ANY(%s)",
                    [partner_ids],
                )
                for segment_id, state in segment_states:
                    restore_cr.execute(
                        "UPDATE crm_segment SET refresh_state = %s WHERE id = %s",
                        [state, segment_id],
                    )
                restore_cr.commit()

    @mute_logger("odoo.sql_db")
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=400),  # days since last order
                st.integers(min_value=1, max_value=30),  # orders
                st.integers(min_value=1, max_value=10_000),  # revenue
                st.integers(min_value=1, max_value=2),  # company
            ),
            min_size=1,
            max_size=40,
        )
    )
    def test_rfm_scores_are_quintiles_monotone_in_each_measure(self, rows):
        """Scores are in 1..5; within a company, a more recent last order, more
        orders or more revenue never gives a lower score."""
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s::timestamp, %s, %s::numeric)",
                index + 1,
                company,
                NOW - timedelta(days=days),
                frequency,
                monetary,
            )
            for index, (days, frequency, monetary, company) in enumerate(rows)
        )
        measures = SQL(
            "SELECT * FROM (VALUES %s) AS v(partner_id, company_id, last_date, frequency, "
            "monetary)",
            values,
        )
        scored = self.env.execute_query(self.env["res.partner"]._crm_rfm_score_sql(measures))
        scores = {partner_id: (r, f, m) for partner_id, _company, r, f, m in scored}
        self.assertEqual(len(scores), len(rows))
        for score in scores.values():
            self.assertTrue(all(1 <= value <= 5 for value in score), score)
        for i, (days_i, freq_i, money_i, company_i) in enumerate(rows):
            for j, (days_j, freq_j, money_j, company_j) in enumerate(rows):
                if company_i != company_j:
                    continue
                r_i, f_i, m_i = scores[i + 1]
                r_j, f_j, m_j = scores[j + 1]
                if days_i < days_j:
                    self.assertGreaterEqual(r_i, r_j, "more recent, never less recent")
                if days_i == days_j:
                    self.assertEqual(r_i, r_j, "same day, same recency")
                if freq_i > freq_j:
                    self.assertGreaterEqual(f_i, f_j)
                if money_i > money_j:
                    self.assertGreaterEqual(m_i, m_j)
                if money_i == money_j:
                    self.assertEqual(m_i, m_j, "equal revenue, equal score")
