from unittest.mock import patch

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .common import NOW, CampaignCommon
from .test_dispatch import WorkerKilled


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPlanningBatches(CampaignCommon):
    """Planning commits batch by batch, reports the real remaining, and a crash
    followed by a rerun gives the plan of a clean run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        extra = cls.env["res.partner"].create(
            [
                {"name": f"Batch {i}", "email": f"batch{i}@example.com", "tz": "Europe/Kyiv"}
                for i in range(8)
            ]
        )
        cls.segment.partner_ids = [Command.link(partner.id) for partner in extra]
        cls.customers = cls.partners | extra
        # two customers are excluded: never planned, never counted as remaining
        cls.excluded = cls.env["crm.segment"].create(
            {
                "name": "Do not contact",
                "segment_type": "static",
                "partner_ids": [Command.set(extra[:2].ids)],
            }
        )
        cls.rule.write({"excluded_segment_ids": [Command.set(cls.excluded.ids)]})
        # a second rule of lower priority with its own limit: the plan depends on order
        cls.rule_sms = cls._create_rule(
            cls.campaign, "SMS offer", cls.segment, channels=[cls.ch_sms], sequence=20
        )
        cls.rule.max_recipients = 5
        cls.campaign.action_activate()
        cls.cron = cls.env.ref("crm_unified_marketing.ir_cron_plan_deliveries")
        cls.Campaign = cls.env["crm.campaign"]

    def _run_cron(self, batch_size):
        """One call of the cron as the runner makes it: progress record, commit."""
        progress = self.env["ir.cron.progress"].create({"cron_id": self.cron.id})
        with self.env.cr.savepoint():
            done = self.Campaign.with_context(
                ir_cron_progress_id=progress.id
            )._cron_plan_deliveries(batch_size=batch_size)
        return done, progress.remaining

    def _run_cron_until_done(self, batch_size):
        for _call in range(20):
            _done, remaining = self._run_cron(batch_size)
            if not remaining:
                return
        self.fail("the planning cron did not finish")

    def _snapshot(self):
        deliveries = self.env["crm.campaign.delivery"].search(
            [("campaign_id", "=", self.campaign.id)]
        )
        return sorted(
            (
                d.partner_id.id,
                d.rule_id.id,
                d.channel_id.id,
                d.state,
                d.skip_reason or "",
                str(d.scheduled_date),
            )
            for d in deliveries
        )

    def test_backlog_larger_than_batch_reports_real_remaining(self):
        # the first rule targets 12 - 2 excluded; the SMS rule reaches the excluded too
        self.assertEqual(self.env["crm.campaign.planner"]._count_unplanned(self.campaign), 12)
        progress = [self._run_cron(batch_size=5) for _call in range(4)]
        self.assertEqual(progress, [(5, 7), (5, 2), (2, 0), (0, 0)])
        deliveries = self.campaign.delivery_ids
        self.assertEqual(len(deliveries), 12)
        self.assertEqual(len(deliveries.partner_id), 12, "one delivery per customer")

    def test_remaining_excludes_customers_no_rule_targets(self):
        self.rule_sms.active = False
        self.assertEqual(self.env["crm.campaign.planner"]._count_unplanned(self.campaign), 10)
        self._run_cron_until_done(batch_size=4)
        self.assertFalse(self.campaign.delivery_ids.partner_id & self.excluded.partner_ids)

    def test_crash_mid_plan_then_rerun_equals_clean_run(self):
        with self.env.cr.savepoint() as savepoint:
            self._run_cron_until_done(batch_size=3)
            clean = self._snapshot()
            savepoint.rollback()
        self.assertEqual(len(clean), 12)
        self.assertFalse(self._snapshot())
        planner_class = type(self.env["crm.campaign.planner"])
        original = planner_class._write_plan_batch
        calls = []

        def plan_then_die(planner, *args):
            calls.append(1)
            if len(calls) == 3:
                raise WorkerKilled()
            return original(planner, *args)

        with patch.object(planner_class, "_write_plan_batch", plan_then_die):
            killed = False
            try:
                self._run_cron_until_done(batch_size=3)
            except WorkerKilled:
                killed = True
        self.assertTrue(killed)
        self.assertEqual(len(self._snapshot()), 6, "two committed batches survived")
        self._run_cron_until_done(batch_size=3)
        self.assertEqual(self._snapshot(), clean)

    def test_planning_in_one_go_equals_planning_by_batches(self):
        with self.env.cr.savepoint() as savepoint:
            self._run_cron_until_done(batch_size=2)
            by_batches = self._snapshot()
            savepoint.rollback()
        self.env["crm.campaign.planner"]._plan_campaigns(self.campaign)
        self.assertEqual(self._snapshot(), by_batches)

    def test_customer_joining_with_a_lower_id_is_planned_too(self):
        """Planning starts after the last planned id, then looks back from the start."""
        late = self.customers[:1]
        self.segment.partner_ids = [Command.unlink(late.id)]
        self._run_cron_until_done(batch_size=5)
        self.assertNotIn(late, self.campaign.delivery_ids.partner_id)
        self.segment.partner_ids = [Command.link(late.id)]
        self.assertEqual(self.env["crm.campaign.planner"]._count_unplanned(self.campaign), 1)
        self.assertEqual(self._run_cron(batch_size=5), (1, 0))
        self.assertIn(late, self.campaign.delivery_ids.partner_id)
