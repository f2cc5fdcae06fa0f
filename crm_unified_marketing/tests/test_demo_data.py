from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """A fresh demo database shows campaigns at work: deliveries sent, opened,
    clicked and converted over the past weeks (campaign report, delivery analysis,
    campaign figures), and a rule being prepared whose dry run has an audience."""

    def test_demo_deliveries_over_past_weeks_in_every_state(self):
        self.assertTrue(
            self.env["ir.module.module"].search([("name", "=", "crm_unified_marketing")]).demo,
            "the marketing tests run on a database installed with demo data",
        )
        now = fields.Datetime.now()
        past = [("sent_date", ">=", now - relativedelta(weeks=12)), ("sent_date", "<=", now)]
        report = self.env["crm.campaign.report"]
        [(sent, opened, clicked, replied, converted, bounced, revenue)] = report._read_group(
            [("scheduled_date", ">=", now - relativedelta(weeks=12))],
            [],
            [
                "sent:sum",
                "opened:sum",
                "clicked:sum",
                "replied:sum",
                "converted:sum",
                "bounced:sum",
                "revenue:sum",
            ],
        )
        self.assertGreater(sent, 0)
        self.assertGreater(opened, 0)
        self.assertGreater(clicked, 0)
        self.assertGreater(replied, 0)
        self.assertGreater(converted, 0)
        self.assertGreater(bounced, 0)
        self.assertGreater(revenue, 0)
        Delivery = self.env["crm.campaign.delivery"]
        weeks = Delivery._read_group(
            [*past, ("state", "in", Delivery._get_sent_states())], ["sent_date:week"], ["__count"]
        )
        self.assertGreaterEqual(len(weeks), 6, "the deliveries are spread over past weeks")
        winter = self.env.ref("crm_unified_marketing.crm_campaign_winter_demo")
        self.assertGreater(winter.sent_count, 0)
        self.assertGreater(winter.converted_count, 0)
        # each step is in the customer's history at its own past date
        opened_rows = self.env["crm.interaction"].search(
            [("capture_event", "=", "campaign_opened"), ("res_model", "=", Delivery._name)]
        )
        self.assertTrue(opened_rows)
        self.assertTrue(all(row.date < now - relativedelta(hours=1) for row in opened_rows))

    def test_demo_rule_dry_run_has_an_audience_and_a_chart(self):
        rule = self.env.ref("crm_unified_marketing.crm_campaign_rule_christmas_demo")
        action = rule.action_open_dry_run()
        dry_run = self.env["crm.campaign.rule.dry.run"].browse(action["res_id"])
        self.assertGreater(dry_run.audience_count, 0)
        self.assertGreater(dry_run.reach_count, 0)
        self.assertEqual(dry_run.already_planned_count, 0)
        chart = dry_run.action_view_chart()
        lines = self.env[chart["res_model"]].search(chart["domain"] + [("kind", "=", "reach")])
        self.assertEqual(sum(lines.mapped("count")), dry_run.reach_count)
        self.assertGreater(len(set(lines.mapped("tz"))), 3, "customers in several time zones")
