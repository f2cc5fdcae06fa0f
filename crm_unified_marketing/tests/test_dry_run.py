from freezegun import freeze_time

from odoo.tests import tagged

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestDryRun(CampaignCommon):
    def test_dry_run_counts_without_writing(self):
        self.partners[0].preferred_channel_id = self.ch_sms
        self.partners[1].write({"email": False, "mobile": False})
        self.partners[2].tz = "America/New_York"
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        dry_run.action_compute()
        self.assertFalse(self.env["crm.campaign.delivery"].search([("rule_id", "=", self.rule.id)]))
        self.assertEqual(
            (dry_run.audience_count, dry_run.reach_count, dry_run.skipped_count), (4, 3, 1)
        )
        reach = {
            (line.channel_id.code, str(line.scheduled_date)): line.count
            for line in dry_run.reach_line_ids
        }
        self.assertEqual(
            reach,
            {
                ("sms", "2026-12-07 08:00:00"): 1,
                ("email", "2026-12-07 08:00:00"): 1,
                ("email", "2026-12-07 15:00:00"): 1,
            },
        )
        self.assertEqual(dry_run.skipped_line_ids.skip_reason, "no_channel")
        self.assertEqual(dry_run.skipped_line_ids.count, 1)

    def test_dry_run_from_rule_then_activate(self):
        action = self.rule.action_open_dry_run()
        dry_run = self.env["crm.campaign.rule.dry.run"].browse(action["res_id"])
        self.assertEqual(dry_run.reach_count, 4)
        chart = dry_run.action_view_chart()
        self.assertIn("graph", chart["view_mode"])
        dry_run.action_activate_rule()
        self.assertEqual(self.campaign.state, "active")
