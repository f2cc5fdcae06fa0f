from odoo.fields import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCampaignUi(HttpCase):
    def test_create_rule_dry_run_and_activate(self):
        partners = self.env["res.partner"].create(
            [
                {"name": "Tour Customer A", "email": "tour.a@example.com"},
                {"name": "Tour Customer B", "email": "tour.b@example.com"},
            ]
        )
        self.env["crm.segment"].create(
            {
                "name": "Tour segment",
                "segment_type": "static",
                "partner_ids": [Command.set(partners.ids)],
            }
        )
        campaign = self.env["crm.campaign"].create(
            {"name": "Tour campaign", "date_end": "2099-12-31"}
        )
        self.start_tour("/odoo", "crm_campaign_rule_tour", login="admin")
        rule = campaign.rule_ids
        self.assertEqual(rule.name, "Tour rule: 20% off")
        self.assertEqual(rule.channel_line_ids.channel_id.code, "email")
        self.assertEqual(campaign.state, "active")
        self.assertFalse(campaign.delivery_ids, "a dry run plans nothing")
