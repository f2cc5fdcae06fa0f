"""One customer, three departments, one history.

A contact of a customer company is reached by a marketing campaign, buys, then
asks support for help. Each department works in its own addon; the test proves
they all write to the same customer history and the same 360° profile.
"""

from datetime import date

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCommon

NOW = "2026-12-07 08:00:00"  # a Monday


@tagged("post_install", "-at_install", "crm_unified_cross")
@freeze_time(NOW)
class TestCustomerJourney(MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bakery = cls.env["res.partner"].create(
            {"name": "Kvitka Bakery", "is_company": True, "email": "office@kvitka.example.com"}
        )
        cls.iryna = cls.env["res.partner"].create(
            {
                "name": "Iryna Kovalenko",
                "parent_id": cls.bakery.id,
                "email": "iryna@kvitka.example.com",
                "mobile": "+380 67 123 45 67",
                "tz": "Europe/Kyiv",
            }
        )
        cls.vip = cls.env["crm.segment"].create(
            {
                "name": "Journey VIP",
                "segment_type": "static",
                "partner_ids": [Command.set(cls.iryna.ids)],
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Dough mixer", "list_price": 500.0}
        )
        cls.campaign = cls.env["crm.campaign"].create(
            {
                "name": "Mixer upgrade",
                "date_start": date(2026, 12, 7),
                "date_end": date(2026, 12, 20),
            }
        )
        cls.env["crm.campaign.rule"].create(
            {
                "campaign_id": cls.campaign.id,
                "name": "Mixer for VIPs",
                "segment_ids": [Command.set(cls.vip.ids)],
                "product_id": cls.product.id,
                "discount": 15.0,
                "channel_line_ids": [
                    Command.create(
                        {"channel_id": cls.env.ref("crm_unified.interaction_channel_email").id}
                    )
                ],
            }
        )
        cls.queue = cls.env["crm.support.queue"].create({"name": "Journey desk"})

    def _history(self):
        return self.env["crm.interaction"].search([("commercial_partner_id", "=", self.bakery.id)])

    def test_marketing_sale_and_support_share_one_customer_history(self):
        departments = self.env["crm.interaction.department"]
        marketing = self.env.ref("crm_unified.interaction_department_marketing")
        support = self.env.ref("crm_unified.interaction_department_support")

        # Marketing: plan, then send when due, through mass_mailing.
        self.campaign.action_activate()
        self.env["crm.campaign.planner"]._plan_campaigns(self.campaign)
        delivery = self.env["crm.campaign.delivery"].search(
            [("campaign_id", "=", self.campaign.id), ("partner_id", "=", self.iryna.id)]
        )
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.channel_id.code, "email")
        delivery.scheduled_date = "2026-12-07 07:00:00"
        with self.mock_mail_gateway():
            self.env["crm.campaign.delivery"]._cron_dispatch()
        self.assertEqual(delivery.state, "sent")
        self.assertTrue(delivery.mailing_trace_id, "sent through mass_mailing, with a trace")

        # Sales: the contact buys within the offer's validity; the campaign gets the credit.
        order = self.env["sale.order"].create(
            {
                "partner_id": self.iryna.id,
                "campaign_id": self.campaign.utm_campaign_id.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                ],
            }
        )
        order.action_confirm()
        self.assertEqual(delivery.state, "converted")
        self.assertEqual(delivery.revenue, order.amount_untaxed)

        # Support: the contact asks for help.
        ticket = self.env["crm.support.ticket"].create(
            {"name": "Mixer makes a noise", "queue_id": self.queue.id, "partner_id": self.iryna.id}
        )
        self.assertEqual(ticket.commercial_partner_id, self.bakery)

        history = self._history()
        departments = history.department_id
        self.assertIn(marketing, departments)
        self.assertIn(self.env.ref("crm_unified.interaction_department_sales"), departments)
        self.assertIn(support, departments)
        self.assertIn(("sale.order", order.id), {(i.res_model, i.res_id) for i in history})
        self.assertIn(("crm.support.ticket", ticket.id), {(i.res_model, i.res_id) for i in history})
        # The company sees what its contact did, and the counters agree with the history.
        self.assertEqual(self.bakery.interaction_count, len(history))
        self.assertEqual(self.iryna.interaction_count, len(history))
        self.assertEqual(self.bakery.support_ticket_count, 1)

    def test_profile_reflects_the_sale(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.iryna.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 2})
                ],
            }
        )
        order.action_confirm()
        (self.bakery | self.iryna)._crm_recompute_profile()
        self.assertTrue(self.bakery.last_interaction_date, "order confirmation is a contact")
        self.assertEqual(self.bakery.days_since_last_contact, 0)
