from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Wednesday 10 June 2026, 00:00 UTC = 03:00 in Kyiv (UTC+3 in summer).
NIGHT_SHIFT = datetime(2026, 6, 10, 0, 0)
NOW = datetime(2026, 6, 15, 12, 0)


@tagged("post_install", "-at_install")
class TestCustomerTouch(AccountTestInvoicingCommon):
    """A customer touch (what the customer did) is not a business event (what the company did)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Kyiv Bakery",
                "is_company": True,
                "tz": "Europe/Kyiv",
                "email": "orders@kyiv-bakery.example.com",
            }
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="touch_salesperson",
            groups="sales_team.group_sale_salesman",
            company_id=cls.env.company.id,
            tz="Europe/Kyiv",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Rye Bread", "list_price": 10.0, "type": "consu"}
        )
        cls.phone = cls.env.ref("crm_unified.interaction_channel_phone")
        cls.Interaction = cls.env["crm.interaction"]

    def _orders(self, count):
        return self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "user_id": self.salesperson.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
                for _i in range(count)
            ]
        )

    def _log_kyiv_calls(self):
        # Six inbound calls at 10:00 Kyiv (07:00 UTC) on weekdays: Mon 1 .. Fri 5, Tue 9 June.
        days = (1, 2, 3, 4, 5, 9)
        return self.Interaction.create(
            [
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.phone.id,
                    "direction": "inbound",
                    "date": datetime(2026, 6, day, 7, 0),
                    "subject": "Customer called",
                }
                for day in days
            ]
        )

    def test_night_confirmations_and_posting_do_not_become_best_contact_time(self):
        """Issue example: best contact time stays Tuesday 10:00, never Wednesday 03:00."""
        self._log_kyiv_calls()
        orders = self._orders(8)
        with freeze_time(NIGHT_SHIFT):
            orders.with_user(self.salesperson).action_confirm()
            invoice = self.init_invoice(
                "out_invoice", partner=self.customer, amounts=[100.0], post=True
            )
        events = self.Interaction.search(
            [
                ("partner_id", "=", self.customer.id),
                ("capture_event", "in", ("sale_order_confirmed", "invoice_posted")),
            ]
        )
        self.assertEqual(len(events), 9)
        self.assertEqual(set(events.mapped("kind")), {"event"})
        self.assertEqual(set(events.mapped("direction")), {"outbound"}, "company-initiated")
        self.assertEqual(set(events.mapped("hour")), {"03"})
        self.assertTrue(invoice.crm_interaction_count)
        with freeze_time(NOW):
            self.customer._crm_recompute_profile()
        slots = self.customer._crm_best_contact_slots()[self.customer.id]
        self.assertEqual(slots[0], (1, 10), "Tuesday 10:00 (two calls) comes first")
        self.assertEqual({hour for _day, hour in slots}, {10})
        self.assertTrue(self.customer.best_contact_time_display.startswith("Tuesday 10:00"))
        self.assertNotIn("03:00", self.customer.best_contact_time_display)
        self.assertEqual(self.customer.preferred_channel_computed_id, self.phone)
        self.assertEqual(self.customer.inbound_count_12m, 6)
        self.assertEqual(self.customer.last_touch_date, datetime(2026, 6, 9, 7, 0))
        # The timeline still shows every event; counts of all interactions include them.
        self.assertEqual(self.customer.interaction_count_12m, 15)
        heatmap = self.customer.action_view_contact_heatmap()
        self.assertEqual(self.Interaction.search_count(heatmap["domain"]), 6)

    def test_engagement_ignores_business_events(self):
        """Engagement is learned from touches: a burst of company events adds nothing."""
        orders = self._orders(3)
        with freeze_time(NOW):
            orders.action_confirm()
            self.customer._crm_recompute_profile()
            engagement_events_only = self.customer.engagement_score
            self.assertFalse(self.customer.last_touch_date)
            self.assertEqual(self.customer.inbound_count_12m, 0)
            self.Interaction.create(
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.phone.id,
                    "direction": "inbound",
                    "subject": "Asked for the price list",
                }
            )
            self.customer._crm_recompute_profile()
        self.assertGreater(self.customer.engagement_score, engagement_events_only)
        self.assertEqual(self.customer.last_touch_date, NOW)

    def test_order_confirmed_by_customer_on_portal_is_their_touch(self):
        portal_user = new_test_user(
            self.env, login="touch_portal", groups="base.group_portal", tz="Europe/Kyiv"
        )
        portal_user.partner_id.parent_id = self.customer
        order = self._orders(1)
        # sudo as the portal controller does: the confirming user stays the customer.
        order.with_user(portal_user).sudo().action_confirm()
        interaction = self.Interaction.search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(
            (interaction.kind, interaction.direction, interaction.channel_id.code),
            ("touch", "inbound", "portal"),
        )

    def test_each_capture_source_says_touch_or_event_and_who_initiated(self):
        """Every capture hook gives kind and direction explicitly (not only orders)."""
        lead = self.env["crm.lead"].create(
            {"name": "Bakery extension", "type": "opportunity", "partner_id": self.customer.id}
        )
        lead.action_set_won()
        order = self._orders(1)
        order.action_quotation_sent()
        order.message_post(
            body="Can you deliver on Friday?",
            author_id=self.customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        order._action_cancel()
        activity = order.activity_schedule("mail.mail_activity_data_call", summary="Call back")
        activity.action_done()
        found = {
            (i.capture_event, i.direction): i.kind
            for i in self.Interaction.search([("partner_id", "=", self.customer.id)])
        }
        self.assertEqual(
            found,
            {
                ("opportunity_created", "internal"): "event",
                ("opportunity_won", "internal"): "event",
                ("sale_quotation_sent", "outbound"): "event",
                ("message", "inbound"): "touch",
                ("sale_order_cancelled", "outbound"): "event",
                ("activity_done", "outbound"): "touch",
            },
        )

    def test_migration_gives_old_rows_their_kind_and_direction(self):
        """Rows written before the kind existed: old 'inbound' confirmations become events."""
        self._log_kyiv_calls()
        orders = self._orders(2)
        with freeze_time(NIGHT_SHIFT):
            orders.action_confirm()
        orders[1].signed_on = NIGHT_SHIFT
        confirmations = self.Interaction.search(
            [("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)]
        )
        calls = self.Interaction.search([("capture_event", "=", False)]) & self.Interaction.search(
            [("partner_id", "=", self.customer.id)]
        )
        # The shape of 18.0.1.0.0: every row a touch, confirmations "inbound".
        confirmations.write({"kind": "touch", "direction": "inbound"})
        confirmations.flush_recordset()
        self.assertGreaterEqual(self.Interaction._crm_migrate_kind_direction(), 2)
        by_order = {i.res_id: i for i in confirmations}
        self.assertEqual(
            (by_order[orders[0].id].kind, by_order[orders[0].id].direction), ("event", "outbound")
        )
        signed = by_order[orders[1].id]
        self.assertEqual(
            (signed.kind, signed.direction, signed.channel_id.code), ("touch", "inbound", "portal")
        )
        self.assertEqual(set(calls.mapped("kind")), {"touch"})
        self.assertEqual(self.Interaction._crm_migrate_kind_direction(), 0, "idempotent")
