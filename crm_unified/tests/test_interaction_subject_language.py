from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestInteractionSubjectLanguage(AccountTestInvoicingCommon):
    """Subjects of captured events read in the reader's language, not the trigger's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("uk_UA")
        cls.env.user.groups_id |= cls.env.ref("crm_unified.group_manager")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Odesa Port Cafe", "is_company": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Green Tea", "list_price": 12.0, "type": "consu"}
        )
        groups = (
            "sales_team.group_sale_salesman_all_leads,account.group_account_invoice,"
            "crm_unified.group_manager"
        )
        cls.user_uk = new_test_user(
            cls.env, login="subject_uk", groups=groups, lang="uk_UA", company_id=cls.env.company.id
        )
        cls.user_en = new_test_user(
            cls.env, login="subject_en", groups=groups, lang="en_US", company_id=cls.env.company.id
        )

    def _as(self, user):
        """The environment of `user` as the web client gives it (their language)."""
        return self.env(user=user, context=dict(self.env.context, lang=user.lang))

    def _order(self):
        return self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )

    def _event(self, record, event, user):
        """The interaction of `event` on `record`, read by `user`."""
        return (
            self._as(user)["crm.interaction"]
            .search(
                [
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                    ("capture_event", "=", event),
                ]
            )
            .ensure_one()
        )

    def test_event_triggered_in_ukrainian_reads_in_english_and_back(self):
        order = self._order()
        order.with_env(self._as(self.user_uk)).action_confirm()
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[100.0])
        invoice.with_env(self._as(self.user_uk)).action_post()
        # Stored as written by the Ukrainian user...
        confirmed = self._event(order, "sale_order_confirmed", self.user_en)
        self.assertEqual(confirmed.subject, f"Замовлення {order.name} підтверджено")
        # ... read in English by an English user.
        self.assertEqual(confirmed.subject_display, f"Order {order.name} confirmed")
        self.assertEqual(confirmed.display_name, f"Order {order.name} confirmed")
        posted = self._event(invoice, "invoice_posted", self.user_en)
        self.assertEqual(posted.subject, f"Рахунок {invoice.name} проведено")
        self.assertEqual(posted.subject_display, f"Invoice {invoice.name} posted")
        # The Ukrainian user reads Ukrainian.
        self.assertEqual(
            self._event(order, "sale_order_confirmed", self.user_uk).subject_display,
            f"Замовлення {order.name} підтверджено",
        )

    def test_event_triggered_in_english_reads_in_ukrainian(self):
        order = self._order()
        order.with_env(self._as(self.user_en)).action_quotation_sent()
        order.with_env(self._as(self.user_en)).action_confirm()
        order.with_env(self._as(self.user_en))._action_cancel()
        lead = self._as(self.user_en)["crm.lead"].create(
            {"name": "Tea bar", "type": "opportunity", "partner_id": self.customer.id}
        )
        lead.action_set_won()
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[50.0], post=True)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        expected = {
            (order, "sale_quotation_sent"): (
                f"Quotation {order.name} marked as sent",
                f"Комерційну пропозицію {order.name} позначено як надіслану",
            ),
            (order, "sale_order_confirmed"): (
                f"Order {order.name} confirmed",
                f"Замовлення {order.name} підтверджено",
            ),
            (order, "sale_order_cancelled"): (
                f"Order {order.name} cancelled",
                f"Замовлення {order.name} скасовано",
            ),
            (lead, "opportunity_created"): (
                "Opportunity created: Tea bar",
                "Створено нагоду: Tea bar",
            ),
            (lead, "opportunity_won"): ("Opportunity won: Tea bar", "Нагоду виграно: Tea bar"),
            (invoice, "invoice_paid"): (
                f"Invoice {invoice.name} paid",
                f"Рахунок {invoice.name} оплачено",
            ),
        }
        for (record, event), (english, ukrainian) in expected.items():
            with self.subTest(event=event):
                self.assertEqual(self._event(record, event, self.user_en).subject, english)
                self.assertEqual(
                    self._event(record, event, self.user_uk).subject_display, ukrainian
                )
                self.assertEqual(self._event(record, event, self.user_uk).display_name, ukrainian)

    def test_timeline_shows_subjects_in_the_readers_language(self):
        order = self._order()
        order.with_env(self._as(self.user_uk)).action_confirm()
        rows = self.customer.with_env(self._as(self.user_en)).get_customer_timeline()["rows"]
        self.assertIn(f"Order {order.name} confirmed", [row["subject"] for row in rows])
        rows = self.customer.with_env(self._as(self.user_uk)).get_customer_timeline()["rows"]
        self.assertIn(f"Замовлення {order.name} підтверджено", [row["subject"] for row in rows])

    def test_rows_without_parameters_keep_their_subject(self):
        """Rows logged by hand, imported or captured before the parameters existed."""
        channel = self.env.ref("crm_unified.interaction_channel_phone")
        manual, older = self.env["crm.interaction"].create(
            [
                {"partner_id": self.customer.id, "channel_id": channel.id, "subject": "Rang"},
                {
                    "partner_id": self.customer.id,
                    "channel_id": channel.id,
                    "subject": "Замовлення S1 підтверджено",
                    "capture_event": "sale_order_confirmed",
                    "source": "automatic",
                },
            ]
        )
        for user in (self.user_en, self.user_uk):
            interactions = (manual | older).with_env(self._as(user))
            self.assertEqual(
                interactions.mapped("subject_display"), ["Rang", "Замовлення S1 підтверджено"]
            )
        # Parameters that do not fit the template never break the screen.
        older.subject_params = {"nom": "S1"}
        self.assertEqual(older.with_env(self._as(self.user_en)).subject_display, older.subject)
