from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import NOW, CampaignCommon

# Every customer's default slot: Monday 7 December 10:00 in Kyiv = 08:00 UTC.
FIRST_SLOT = datetime(2026, 12, 7, 8)
NEXT_WEEK_SLOT = datetime(2026, 12, 14, 8)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCampaignCaps(CampaignCommon):
    """Campaign and rule caps on top of the company cap, counted across channels; rules
    exempt from caps; every skip or postponement explained."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["crm.campaign"].create(
            {
                "name": "Other campaign",
                "date_start": cls.campaign.date_start,
                "date_end": cls.campaign.date_end,
                "user_id": cls.user_marketing.id,
            }
        )
        cls.other_rule = cls._create_rule(cls.other, "Reminder", cls.segment, channels=[cls.ch_sms])

    def _deliveries(self, campaign):
        return self.env["crm.campaign.delivery"].search([("campaign_id", "=", campaign.id)])

    def test_campaign_cap_postpones_and_counts_other_channels(self):
        """The other campaign reached the customers by SMS: this email campaign, capped at
        one message per week, waits a week."""
        self._plan(self.other)
        self.assertEqual(set(self._deliveries(self.other).mapped("scheduled_date")), {FIRST_SLOT})
        self.campaign.write({"cap_contacts": 1, "cap_period_days": 7})
        deliveries = self._plan()
        self.assertEqual(set(deliveries.mapped("channel_id.code")), {"email"})
        self.assertEqual(set(deliveries.mapped("scheduled_date")), {NEXT_WEEK_SLOT})
        self.assertEqual(set(deliveries.mapped("cap_postponed_by")), {"campaign"})
        self.assertIn("postponed by the campaign cap", deliveries[0].plan_explanation)
        report = self.env["crm.campaign.report"].search(
            [("campaign_id", "=", self.campaign.id), ("cap_postponed_by", "=", "campaign")]
        )
        self.assertEqual(sum(report.mapped("postponed")), 4)

    def test_without_campaign_cap_the_company_cap_alone_applies(self):
        self._plan(self.other)
        deliveries = self._plan()
        self.assertEqual(set(deliveries.mapped("scheduled_date")), {FIRST_SLOT})
        self.assertFalse(any(deliveries.mapped("cap_postponed_by")))

    def test_rule_cap_skips_when_no_send_time_fits(self):
        self._plan(self.other)
        self.rule.write({"cap_contacts": 1, "cap_period_days": 30})
        deliveries = self._plan()
        self.assertEqual(set(deliveries.mapped("state")), {"skipped"})
        self.assertEqual(set(deliveries.mapped("skip_reason")), {"rule_cap"})
        self.assertIn(
            "rule's contact cap (messages at most: 1, rolling period in days: 30)",
            deliveries[0].failure_reason,
        )
        self.assertIn("skipped: Every allowed send time", deliveries[0].plan_explanation)

    def test_dry_run_shows_cap_skips_and_postponements(self):
        self._plan(self.other)
        self.campaign.write({"cap_contacts": 1, "cap_period_days": 7})
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        dry_run.action_compute()
        self.assertEqual((dry_run.reach_count, dry_run.postponed_count), (4, 4))
        self.campaign.cap_contacts = 0
        self.rule.write({"cap_contacts": 1, "cap_period_days": 30})
        dry_run.action_compute()
        self.assertEqual(dry_run.skipped_line_ids.skip_reason, "rule_cap")
        self.assertEqual(dry_run.skipped_line_ids.count, 4)

    def test_exempt_rule_is_not_held_back_and_does_not_count(self):
        self.company.write({"crm_cap_contacts": 1, "crm_cap_period_days": 7})
        self.other_rule.cap_exempt = True
        self._plan()
        # the customers already have a campaign message on the 7th: the exempt one
        # (their own request) still goes out at its time
        exempt = self._plan(self.other)
        self.assertEqual(set(exempt.mapped("scheduled_date")), {FIRST_SLOT})
        self.assertFalse(any(exempt.mapped("cap_postponed_by")))
        self.assertTrue(all(exempt.mapped("cap_exempt")))
        # and it does not count: a third campaign is held back by the first only
        third = self.campaign.copy({"name": "Third"})
        self.assertTrue(third.rule_ids, "rules are copied with the campaign")
        deliveries = self._plan(third)
        self.assertEqual(set(deliveries.mapped("scheduled_date")), {NEXT_WEEK_SLOT})
        self.assertEqual(set(deliveries.mapped("cap_postponed_by")), {"company"})

    def test_negative_cap_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.campaign.cap_contacts = -1
        with self.assertRaises(ValidationError):
            self.rule.cap_period_days = 0
        self.assertIn("cap needs a positive number", str(caught.exception))
