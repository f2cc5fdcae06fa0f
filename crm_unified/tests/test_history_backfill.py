from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.crm_unified.models.crm_interaction_backfill import (
    BACKFILL_LOCK_KEY,
    CrmInteraction,
)

# Documents of two years (2024-2025) exist before the history is back-filled.
EXPECTED = {
    # (capture_event, kind, direction): real date (UTC)
    ("sale_order_confirmed", "event", "outbound"): datetime(2024, 3, 4, 9, 0),
    ("sale_quotation_sent", "event", "outbound"): datetime(2024, 6, 10, 8, 30),
    ("opportunity_created", "event", "internal"): datetime(2024, 9, 2, 11, 0),
    ("opportunity_won", "event", "internal"): datetime(2024, 10, 1, 15, 0),
    ("sale_order_cancelled", "event", "outbound"): datetime(2025, 2, 1, 13, 0),
    ("invoice_posted", "event", "outbound"): datetime(2025, 3, 3, 10, 0),
    ("invoice_paid", "event", "inbound"): datetime(2025, 3, 20, 10, 0),
    ("meeting_held", "touch", "outbound"): datetime(2025, 5, 5, 7, 0),
    ("message", "touch", "inbound"): datetime(2025, 6, 2, 7, 0),
    ("activity_done", "touch", "outbound"): datetime(2025, 6, 3, 12, 0),
}


@tagged("post_install", "-at_install")
class TestHistoryBackfill(AccountTestInvoicingCommon):
    """Install on a live ERP: the history of existing documents, at their real dates, once."""

    @classmethod
    @contextmanager
    def _at(cls, when):
        """Act at `when` (messages, tracking, dates written by the business code)."""
        with freeze_time(when):
            yield
            cls.env.flush_all()
            cls.env.cr.precommit.run()  # tracking messages are dated now

    @classmethod
    def _created_at(cls, records, when):
        """Give records the creation date they have on a database two years old.

        (The test transaction has one timestamp, which freeze_time does not move.)
        """
        records.flush_recordset()
        cls.env.execute_query(
            SQL(
                "UPDATE %s SET create_date = %s WHERE id = ANY(%s)",
                SQL.identifier(records._table),
                when,
                records.ids,
            )
        )
        records.invalidate_recordset(["create_date"])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.env.user.groups_id |= cls.env.ref("crm_unified.group_manager")
        cls.Interaction = cls.env["crm.interaction"]
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Lviv Roastery",
                "is_company": True,
                "tz": "Europe/Kyiv",
                "email": "hello@lviv-roastery.example.com",
            }
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="backfill_salesperson",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            company_id=cls.env.company.id,
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Espresso Beans", "list_price": 20.0, "type": "consu"}
        )
        with cls._at("2024-03-04 09:00:00"):
            cls.order = cls._order()
            cls.order.action_confirm()
        with cls._at("2024-06-10 08:30:00"):
            cls.quotation = cls._order()
            cls.quotation.action_quotation_sent()
        with cls._at("2024-09-02 11:00:00"):
            cls.lead = cls.env["crm.lead"].create(
                {"name": "Roastery franchise", "type": "opportunity", "partner_id": cls.customer.id}
            )
        cls._created_at(cls.lead, "2024-09-02 11:00:00")
        with cls._at("2024-10-01 15:00:00"):
            cls.lead.action_set_won()
        with cls._at("2025-01-20 09:00:00"):
            cls.cancelled = cls._order()
        with cls._at("2025-02-01 13:00:00"):
            cls.cancelled._action_cancel()
        with cls._at("2025-03-03 10:00:00"):
            cls.invoice = cls.init_invoice(
                "out_invoice",
                partner=cls.customer,
                invoice_date="2025-03-03",
                amounts=[100.0],
                post=True,
            )
        cls._created_at(cls.invoice, "2025-03-03 10:00:00")
        with cls._at("2025-03-20 10:00:00"):
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=cls.invoice.ids
            ).create({"payment_date": "2025-03-20"})._create_payments()
        cls.meeting = cls.env["calendar.event"].create(
            {
                "name": "Tasting",
                "start": "2025-05-05 07:00:00",
                "stop": "2025-05-05 08:00:00",
                "partner_ids": [Command.set(cls.customer.ids)],
            }
        )
        with cls._at("2025-06-02 07:00:00"):  # Monday 10:00 in Kyiv
            cls.order.message_post(
                body="Could you roast a darker batch?",
                author_id=cls.customer.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        with cls._at("2025-06-03 12:00:00"):
            cls.order.activity_schedule(
                "mail.mail_activity_data_call", summary="Call about the roast"
            ).action_done()
        # The history starts empty, as on a database where CRM Unified was just installed.
        cls._customer_history().unlink()
        cls.env["ir.config_parameter"].set_param("crm_unified.backfill_batch_size", 7)

    @classmethod
    def _order(cls):
        return cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.salesperson.id,
                "order_line": [Command.create({"product_id": cls.product.id})],
            }
        )

    @classmethod
    def _customer_history(cls):
        return cls.env["crm.interaction"].search([("partner_id", "=", cls.customer.id)])

    def _run_backfill(self, date_from=date(2024, 1, 1), date_to=date(2025, 12, 31)):
        """Queue and run the back-fill as the scheduler does; return the progress reports."""
        self.Interaction._crm_backfill_enqueue(date_from, date_to)
        cron = self.env.ref("crm_unified.ir_cron_backfill_history")
        reports = []
        for _call in range(1000):
            _cron, progress = cron._add_progress()
            self.Interaction.with_context(ir_cron_progress_id=progress.id)._cron_backfill_history()
            reports.append((progress.done, progress.remaining))
            if not progress.remaining:
                return reports
        self.fail("the back-fill never finished")

    def _summary(self):
        return sorted(
            (i.capture_event, i.kind, i.direction, i.date, i.capture_key)
            for i in self._customer_history()
        )

    def test_backfill_records_history_at_real_dates_exactly_once(self):
        self.assertFalse(self._customer_history())
        reports = self._run_backfill()
        # Backlog larger than the batch (7 rows): several calls, each reporting the real rest.
        self.assertGreater(len(reports), 3)
        remainders = [remaining for _done, remaining in reports]
        self.assertEqual(remainders, sorted(remainders, reverse=True))
        self.assertEqual(remainders[-1], 0)
        self.assertTrue(all(done for done, _remaining in reports[:-1]))
        history = self._customer_history()
        found = {(i.capture_event, i.kind, i.direction): i.date for i in history}
        self.assertEqual(found, EXPECTED)
        self.assertEqual(len(history), len(EXPECTED))
        message = history.filtered(lambda i: i.capture_event == "message")
        self.assertEqual(
            (message.weekday, message.hour, message.channel_id.code), ("0", "10", "email")
        )
        self.assertIn("darker batch", message.summary)
        self.assertEqual(
            history.filtered(lambda i: i.capture_event == "sale_order_confirmed").subject,
            f"Order {self.order.name} confirmed",
        )
        # Back-filled event subjects read in the reader's language.
        self.env["res.lang"]._activate_lang("uk_UA")
        by_event = {i.capture_event: i for i in history.with_context(lang="uk_UA")}
        self.assertEqual(
            by_event["sale_order_confirmed"].subject_display,
            f"Замовлення {self.order.name} підтверджено",
        )
        self.assertEqual(
            by_event["sale_quotation_sent"].subject_display,
            f"Комерційну пропозицію {self.quotation.name} позначено як надіслану",
        )
        self.assertEqual(
            by_event["invoice_paid"].subject_display, f"Рахунок {self.invoice.name} оплачено"
        )
        self.assertEqual(
            by_event["invoice_paid"].with_context(lang="en_US").subject_display,
            f"Invoice {self.invoice.name} paid",
        )
        self.assertEqual(
            by_event["opportunity_won"].subject_display, "Нагоду виграно: Roastery franchise"
        )
        self.assertEqual(by_event["meeting_held"].subject_display, "Зустріч: Tasting")
        # Profile and RFM show that history (customers were queued by the back-fill).
        self.assertTrue(self.customer.crm_profile_dirty)
        with freeze_time("2025-12-31 12:00:00"):
            self.customer._crm_recompute_profile()
        self.assertEqual(self.customer.last_interaction_date, datetime(2025, 6, 3, 12, 0))
        self.assertEqual(self.customer.last_touch_date, datetime(2025, 6, 2, 7, 0))
        self.assertEqual(self.customer.contact_time_histogram, {"0-10": 1})
        self.assertEqual(self.customer.crm_order_count, 1)
        self.assertTrue(self.customer.rfm_recency)
        # A second run adds nothing.
        before = self._summary()
        self._run_backfill()
        self.assertEqual(self._summary(), before)
        # Live capture afterwards does not duplicate what the back-fill recorded.
        self.order._crm_capture("_prepare_order_confirmed_interaction_values")
        self.invoice._invoice_paid_hook()
        self.meeting._crm_log_meetings_held()
        self.env["mail.message"].search(
            [("model", "=", "sale.order"), ("res_id", "=", self.order.id)]
        )._crm_capture_customer_emails()
        self.assertEqual(self._summary(), before)

    def test_live_capture_then_backfill_is_one_interaction_per_event(self):
        """Live capture first (keys written by the hooks), back-fill later: nothing doubles."""
        with self._at("2025-07-01 09:00:00"):
            order = self._order()
            order.action_confirm()
            order.message_post(
                body="Thanks!",
                author_id=self.customer.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            order.activity_schedule("mail.mail_activity_data_call").action_done()
        live = self.Interaction.search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(len(live), 3)
        self.assertEqual(len(set(live.mapped("capture_key"))), 3)
        self._run_backfill()
        again = self.Interaction.search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(again, live)

    def test_capture_key_is_unique_in_the_database(self):
        self._run_backfill()
        confirmed = self._customer_history().filtered(
            lambda i: i.capture_event == "sale_order_confirmed"
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            confirmed.copy({"capture_key": confirmed.capture_key})
            self.env.flush_all()

    def _all_keys(self):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT capture_key, date, kind, direction FROM crm_interaction"
                " WHERE capture_key IS NOT NULL ORDER BY capture_key"
            )
        )
        return [tuple(row) for row in rows]

    def test_fault_after_some_records_then_rerun_equals_clean_run(self):
        """An exception after K rows of a batch loses that batch only; the rerun completes it."""
        with self.env.cr.savepoint() as clean_run:
            self._run_backfill()
            clean = self._all_keys()
            clean_run.rollback()
        self.env.invalidate_all()
        before = self._all_keys()
        self.assertLess(len(before), len(clean))
        original = CrmInteraction._crm_backfill_insert
        faults = []

        def failing_insert(model, source, params):
            created = original(model, source, params)
            if created and not faults:  # K = the rows this statement just inserted
                faults.append(created)
                raise RuntimeError("worker killed")
            return created

        self.Interaction._crm_backfill_enqueue(date(2024, 1, 1), date(2025, 12, 31))
        with patch.object(CrmInteraction, "_crm_backfill_insert", failing_insert):
            for _call in range(1000):
                try:
                    with self.env.cr.savepoint():
                        self.Interaction._crm_backfill_run_batch()
                except RuntimeError:
                    break
        self.env.invalidate_all()
        self.assertTrue(faults, "the fault was injected after some rows")
        partial = self._all_keys()
        self.assertLess(len(partial), len(clean))
        self._run_until_done()
        after = self._all_keys()
        self.assertEqual(after, clean, "nothing lost, nothing duplicated")

    def _run_until_done(self):
        for _call in range(1000):
            _done, remaining = self.Interaction._crm_backfill_run_batch()
            if not remaining:
                return
        self.fail("the back-fill never finished")

    def test_two_runs_at_once_never_process_the_same_rows(self):
        """While another transaction holds the back-fill, a second run does nothing."""
        self.Interaction._crm_backfill_enqueue(date(2024, 1, 1), date(2025, 12, 31))
        self.env.flush_all()
        with self.registry.cursor() as other_cr:
            other_cr.execute("SELECT pg_advisory_xact_lock(%s)", [BACKFILL_LOCK_KEY])
            self.assertIsNone(self.Interaction._crm_backfill_run_batch())
            self.assertFalse(self._customer_history())
            cron = self.env.ref("crm_unified.ir_cron_backfill_history")
            _cron, progress = cron._add_progress()
            self.Interaction.with_context(ir_cron_progress_id=progress.id)._cron_backfill_history()
            self.assertEqual(progress.done, 0)
            self.assertGreater(progress.remaining, 0, "the scheduler is told to come back")
            other_cr.rollback()
        self._run_until_done()
        self.assertEqual(
            {(i.capture_event, i.kind, i.direction) for i in self._customer_history()},
            set(EXPECTED),
        )

    def test_batch_meeting_a_concurrent_update_is_left_for_the_next_call(self):
        """When the database refuses a batch because another job updated the same customers
        (a serialization failure, as on a first start beside the profile recompute), the job
        does not fail: nothing of the batch is kept and the scheduler is told to come back."""
        self.Interaction._crm_backfill_enqueue(date(2024, 1, 1), date(2025, 12, 31))
        before = self._all_keys()
        original = CrmInteraction._crm_backfill_run_batch

        def refused_batch(model):
            original(model)  # the batch's rows are written, then the database refuses it
            raise psycopg2.errors.SerializationFailure(
                "could not serialize access due to concurrent update"
            )

        cron = self.env.ref("crm_unified.ir_cron_backfill_history")
        _cron, progress = cron._add_progress()
        with patch.object(CrmInteraction, "_crm_backfill_run_batch", refused_batch):
            self.Interaction.with_context(ir_cron_progress_id=progress.id)._cron_backfill_history()
        self.env.invalidate_all()
        self.assertEqual(self._all_keys(), before, "nothing of the refused batch is kept")
        self.assertEqual(progress.done, 0)
        self.assertGreater(progress.remaining, 0, "the scheduler is told to come back")
        self._run_until_done()
        self.assertGreater(len(self._all_keys()), len(before))

    def test_settings_button_queues_a_period(self):
        settings = self.env["res.config.settings"].create(
            {"crm_backfill_date_from": "2025-01-01", "crm_backfill_date_to": "2025-03-31"}
        )
        settings.action_crm_backfill_history()
        self.assertGreater(settings.crm_backfill_remaining, 0)
        self._run_until_done()
        self.assertEqual(
            sorted(self._customer_history().mapped("capture_event")),
            ["invoice_paid", "invoice_posted", "sale_order_cancelled"],
        )
        bad = self.env["res.config.settings"].create(
            {"crm_backfill_date_from": "2025-03-31", "crm_backfill_date_to": "2025-01-01"}
        )
        with self.assertRaises(UserError) as error:
            bad.action_crm_backfill_history()
        self.assertIn("after its end", str(error.exception))
