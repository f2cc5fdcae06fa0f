from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.crm_unified_marketing.models import crm_campaign_planner

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

    def test_large_audience_runs_in_background_with_progress(self):
        self.env["ir.config_parameter"].set_param("crm_unified_marketing.dry_run_sync_limit", 2)
        self.rule.max_recipients = 3
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        with patch.object(crm_campaign_planner, "PLANNING_BATCH_SIZE", 2):
            dry_run.action_compute()
            self.assertEqual((dry_run.state, dry_run.progress_total), ("running", 4))
            self.assertFalse(dry_run.line_ids)
            self.env["crm.campaign.rule.dry.run"]._cron_process_dry_runs()
            self.assertEqual((dry_run.state, dry_run.progress), ("running", 50.0))
            self.env["crm.campaign.rule.dry.run"]._cron_process_dry_runs()
        self.assertEqual(dry_run.state, "done")
        # the recipient limit carries over from one batch to the next
        self.assertEqual((dry_run.reach_count, dry_run.skipped_count), (3, 1))
        self.assertEqual(dry_run.skipped_line_ids.skip_reason, "max_recipients")
        self.assertFalse(self.env["crm.campaign.delivery"].search([("rule_id", "=", self.rule.id)]))
