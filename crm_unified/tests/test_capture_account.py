from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.crm_unified.models.crm_interaction import CrmInteraction


@tagged("post_install", "-at_install")
class TestCaptureAccount(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Dnipro Mills", "is_company": True})

    def _interactions(self, move, event):
        return self.env["crm.interaction"].search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "=", move.id),
                ("capture_event", "=", event),
            ]
        )

    def _invoice(self):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "quantity": 1, "price_unit": 100.0})
                ],
            }
        )

    def test_invoice_posted_and_paid_log_one_interaction_each(self):
        invoice = self._invoice()
        invoice.action_post()
        posted = self._interactions(invoice, "invoice_posted")
        self.assertEqual(len(posted), 1)
        self.assertEqual(posted.partner_id, self.customer)
        self.assertEqual(posted.department_id.code, "accounting")
        self.assertFalse(self._interactions(invoice, "invoice_paid"))

        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        paid = self._interactions(invoice, "invoice_paid")
        self.assertEqual(len(paid), 1)
        self.assertEqual(paid.direction, "inbound")

    def test_invoice_posts_when_logging_fails(self):
        invoice = self._invoice()

        def failing_create(records, vals_list):
            raise ValueError("history storage is down")

        with (
            patch.object(CrmInteraction, "_create_captured", failing_create),
            mute_logger("odoo.addons.crm_unified.models.crm_interaction"),
        ):
            invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(self._interactions(invoice, "invoice_posted"))

    def test_paid_hook_twice_logs_payment_once(self):
        invoice = self._invoice()
        invoice.action_post()
        invoice._invoice_paid_hook()  # "in payment"
        invoice._invoice_paid_hook()  # then "paid"
        self.assertEqual(len(self._interactions(invoice, "invoice_paid")), 1)

    def test_journal_entry_is_not_captured(self):
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "partner_id": self.customer.id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "a",
                            "debit": 10.0,
                            "account_id": self.company_data["default_account_revenue"].id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "b",
                            "credit": 10.0,
                            "account_id": self.company_data["default_account_expense"].id,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        self.assertFalse(self._interactions(entry, "invoice_posted"))
