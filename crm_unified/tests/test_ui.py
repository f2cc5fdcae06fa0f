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


@tagged("post_install", "-at_install")
class TestCustomerCardUi(HttpCase):
    """The customer card on the partner, opportunity and sale-order forms (tour per form)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Card Bakery", "is_company": True, "tz": "Europe/Kyiv"}
        )
        product = cls.env["product.product"].create({"name": "Card Flour", "list_price": 1200.0})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    fields.Command.create(
                        {"product_id": product.id, "price_unit": 1200.0, "tax_id": False}
                    )
                ],
            }
        )
        cls.order.action_confirm()
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Card ovens", "type": "opportunity", "partner_id": cls.customer.id}
        )
        cls.env["crm.segment"].create(
            {
                "name": "Card Regulars",
                "segment_type": "static",
                "partner_ids": [fields.Command.set(cls.customer.ids)],
            }
        )
        cls.customer._crm_set_consent({"email": "opt_in"})
        # An inbound call gives the card a best contact time (in the customer's zone).
        cls.env["crm.interaction"].create(
            {
                "partner_id": cls.customer.id,
                "channel_id": cls.env.ref("crm_unified.interaction_channel_phone").id,
                "direction": "inbound",
                "subject": "Card call",
                "date": fields.Datetime.now() - timedelta(days=2),
            }
        )
        cls.customer._crm_recompute_profile()

    def test_card_on_partner_form(self):
        self.start_tour(
            f"/odoo/action-contacts.action_contacts/{self.customer.id}",
            "crm_unified_customer_card_tour",
            login="admin",
        )

    def test_card_on_opportunity_form(self):
        self.start_tour(
            f"/odoo/action-crm.crm_lead_all_leads/{self.lead.id}",
            "crm_unified_customer_card_tour",
            login="admin",
        )

    def test_card_on_sale_order_form(self):
        self.start_tour(
            f"/odoo/action-sale.action_orders/{self.order.id}",
            "crm_unified_customer_card_tour",
            login="admin",
        )


@tagged("post_install", "-at_install")
class TestCustomerTimelineUi(HttpCase):
    def test_timeline_filters_paging_composer_and_charts(self):
        customer = self.env["res.partner"].create({"name": "Feed Bakery", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Feed Baker", "parent_id": customer.id})
        phone = self.env.ref("crm_unified.interaction_channel_phone")
        self.env["crm.interaction"].create(
            [
                {
                    "partner_id": contact.id,
                    "channel_id": phone.id,
                    "direction": "inbound",
                    "subject": f"Feed call {day}",
                    "date": fields.Datetime.now() - timedelta(days=day, hours=1),
                }
                for day in range(25)
            ]
        )
        product = self.env["product.product"].create({"name": "Feed Oven", "list_price": 1880.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    fields.Command.create(
                        {"product_id": product.id, "price_unit": 1880.0, "tax_id": False}
                    )
                ],
            }
        )
        order.action_confirm()
        self.start_tour(
            f"/odoo/action-contacts.action_contacts/{customer.id}",
            "crm_unified_timeline_tour",
            login="admin",
        )
        note = self.env["crm.interaction"].search(
            [("subject", "=", "Prefers deliveries on Monday")]
        )
        self.assertEqual(note.partner_id, customer)
        self.assertEqual(note.direction, "internal")
