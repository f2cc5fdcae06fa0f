from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCrmUnifiedUi(HttpCase):
    def test_open_app_from_home_menu(self):
        customer = self.env["res.partner"].create({"name": "App Tour Bakery", "is_company": True})
        self.env["crm.interaction"].create(
            {
                "partner_id": customer.id,
                "channel_id": self.env.ref("crm_unified.interaction_channel_phone").id,
                "subject": "Welcome call",
            }
        )
        self.env["crm.lead"].create(
            {"name": "Bakery ovens", "type": "opportunity", "partner_id": customer.id}
        )
        self.start_tour("/odoo", "crm_unified_open_app_tour", login="admin")

    def test_log_call_from_customer_360_tab(self):
        customer = self.env["res.partner"].create(
            {"name": "Tour Bakery", "is_company": True, "email": "tour@bakery.example.com"}
        )
        self.env["crm.interaction"].create(
            {
                "partner_id": customer.id,
                "channel_id": self.env.ref("crm_unified.interaction_channel_visit").id,
                "subject": "Visit at the bakery",
                "date": fields.Datetime.now() - timedelta(days=20),
            }
        )
        self.start_tour(
            f"/odoo/action-contacts.action_contacts/{customer.id}",
            "crm_unified_log_call_tour",
            login="admin",
        )
        call = self.env["crm.interaction"].search(
            [("partner_id", "=", customer.id), ("subject", "=", "Called about the spring order")]
        )
        self.assertEqual(len(call), 1)
        self.assertEqual(call.channel_id.code, "phone")
        self.assertEqual(call.outcome, "Will order 40 bags")
        self.assertEqual(call.source, "manual")
