from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import Form, tagged

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

    def test_reach_lines_group_by_the_customers_local_hour(self):
        # Kyiv customers at 08:00 UTC and a New York one at 15:00 UTC all get the
        # rule's 10:00: grouped by the hour of their own clock they are one bar.
        self.partners[2].tz = "America/New_York"
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        dry_run.action_compute()
        groups = self.env["crm.campaign.rule.dry.run.line"]._read_group(
            [("dry_run_id", "=", dry_run.id), ("kind", "=", "reach")],
            ["local_hour"],
            ["count:sum"],
        )
        self.assertEqual(groups, [("10", 4)])
        new_york = dry_run.reach_line_ids.filtered(lambda line: line.tz == "America/New_York")
        self.assertEqual((str(new_york.scheduled_date), new_york.count), ("2026-12-07 15:00:00", 1))
        self.assertEqual(new_york.local_time, "Mon 7 Dec 10:00 (America/New_York)")
        with Form(dry_run) as form:
            self.assertEqual(form.reach_count, 4)

    def test_local_hour_follows_daylight_saving_and_half_hour_zones(self):
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        Line = self.env["crm.campaign.rule.dry.run.line"]
        cases = [
            # (UTC send time, zone, customer's hour): Kyiv is UTC+3 in summer, UTC+2 in winter
            (datetime(2026, 7, 6, 7, 0), "Europe/Kyiv", "10"),
            (datetime(2026, 12, 7, 8, 0), "Europe/Kyiv", "10"),
            # 29 March 2026: Kyiv clocks jump from 03:00 to 04:00 (01:00 UTC)
            (datetime(2026, 3, 29, 0, 30), "Europe/Kyiv", "02"),
            (datetime(2026, 3, 29, 1, 30), "Europe/Kyiv", "04"),
            (datetime(2026, 12, 7, 4, 45), "Asia/Kolkata", "10"),
            (datetime(2026, 12, 7, 4, 45), False, "04"),
        ]
        for scheduled, tz, hour in cases:
            with self.subTest(scheduled=scheduled, tz=tz):
                line = Line.create(
                    {
                        "dry_run_id": dry_run.id,
                        "kind": "reach",
                        "scheduled_date": scheduled,
                        "tz": tz,
                    }
                )
                self.assertEqual(line.local_hour, hour)
        # a half-hour zone's lines start on the customer's hour: 10:15 IST -> 10:00 IST
        truncate = type(dry_run)._truncate_to_local_hour
        self.assertEqual(
            truncate(datetime(2026, 12, 7, 4, 45), "Asia/Kolkata"), datetime(2026, 12, 7, 4, 30)
        )

    def test_live_rule_says_how_many_customers_are_already_planned(self):
        self._plan()
        self.assertEqual(
            len(self.env["crm.campaign.delivery"].search([("rule_id", "=", self.rule.id)])), 4
        )
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        dry_run.action_compute()
        self.assertEqual((dry_run.audience_count, dry_run.already_planned_count), (0, 4))
        chart = dry_run.action_view_chart()
        self.assertIn("already have a delivery planned or sent in this campaign: 4.", chart["help"])
        # a cancelled delivery frees its customer again
        self._delivery(self.partners[0]).state = "cancelled"
        dry_run.action_compute()
        self.assertEqual((dry_run.audience_count, dry_run.already_planned_count), (1, 3))

    def test_empty_chart_of_an_empty_audience_says_why(self):
        self.segment.partner_ids = False
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.rule.id})
        dry_run.action_compute()
        help_html = dry_run.action_view_chart()["help"]
        self.assertIn("No customer would be reached", help_html)
        self.assertIn("check its segments", help_html)
