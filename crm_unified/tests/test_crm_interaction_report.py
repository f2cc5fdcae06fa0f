from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCrmInteractionReport(CrmInteractionCommon):
    def test_customers_without_contact_for_n_days(self):
        quiet = self.env["res.partner"].create({"name": "Quiet Co", "is_company": True})
        now = fields.Datetime.now()
        self.Interaction.create(
            [
                {
                    "partner_id": quiet.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Last call, long ago",
                    "date": now - timedelta(days=120),
                },
                {
                    # A contact's recent call counts for its company.
                    "partner_id": self.contact.id,
                    "channel_id": self.channel_email.id,
                    "subject": "Recent email",
                    "date": now - timedelta(days=3),
                },
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Old call",
                    "date": now - timedelta(days=200),
                },
            ]
        )
        action = self.env["res.partner"]._crm_action_customers_without_contact(90)
        found = self.env["res.partner"].search(action["domain"])
        self.assertIn(quiet, found)
        self.assertNotIn(self.customer, found)
        self.assertNotIn(self.contact, found)

    def test_customers_without_contact_menu_uses_the_company_delay(self):
        quiet = self.env["res.partner"].create({"name": "Quiet Co", "is_company": True})
        self.Interaction.create(
            {
                "partner_id": quiet.id,
                "channel_id": self.channel_phone.id,
                "subject": "Last call",
                "date": fields.Datetime.now() - timedelta(days=60),
            }
        )
        server_action = self.env.ref("crm_unified.res_partner_without_contact_action")
        self.env.company.crm_no_contact_days = 90
        found = self.env["res.partner"].search(server_action.run()["domain"])
        self.assertNotIn(quiet, found)
        self.env.company.crm_no_contact_days = 30
        action = server_action.run()
        self.assertIn(quiet, self.env["res.partner"].search(action["domain"]))
        self.assertIn("30", action["name"])

    def test_customers_without_contact_domain_holds_no_id_list(self):
        quiet = self.env["res.partner"].create(
            [{"name": f"Quiet {i}", "is_company": True} for i in range(30)]
        )
        self.Interaction.create(
            [
                {
                    "partner_id": partner.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Long ago",
                    "date": fields.Datetime.now() - timedelta(days=400),
                }
                for partner in quiet
            ]
        )
        action = self.env["res.partner"]._crm_action_customers_without_contact(90)
        # The list is evaluated by the database when the view reads it.
        self.assertEqual(len(action["domain"]), 1)
        fname, operator, value = action["domain"][0]
        self.assertEqual((fname, operator), ("crm_last_contact_before", "<"))
        self.assertIsInstance(value, str)
        Partner = self.env["res.partner"]
        self.env.flush_all()
        with self.assertQueryCount(1):
            found = Partner.search(action["domain"])
        self.assertLessEqual(quiet, found)
        with self.assertQueryCount(1):
            self.assertEqual(Partner.search_count(action["domain"]), len(found))

    def test_customers_without_contact_search_refuses_other_operators(self):
        with self.assertRaises(ValidationError):
            self.env["res.partner"].search([("crm_last_contact_before", ">", "2026-01-01")])

    def test_interaction_analysis_groups_by_channel_and_month(self):
        self.Interaction.create(
            [
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "A",
                },
                {
                    "partner_id": self.contact.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "B",
                },
            ]
        )
        groups = self.Interaction._read_group(
            [("commercial_partner_id", "=", self.customer.id)],
            ["channel_id", "date:month"],
            ["__count"],
        )
        self.assertEqual(
            [(channel, count) for channel, _month, count in groups], [(self.channel_phone, 2)]
        )
