from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import NOW, CampaignCommon
from .test_dispatch import WorkerKilled

RETRY_DELAYS = {"same day": 0, "next day": 1, "a week later": 7}


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestExactlyOnce(CampaignCommon):
    """A delivery is sent at most once whatever the channel, the crash and the retry delay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Delivery = cls.env["crm.campaign.delivery"]
        portal_users = [
            new_test_user(
                cls.env, login=f"once_portal_{i}", groups="base.group_portal", name=f"Portal {i}"
            )
            for i in range(4)
        ]
        extra = cls.env["res.partner"].browse([user.partner_id.id for user in portal_users])
        extra.write({"mobile": "+32 456 00 22 33", "tz": "Europe/Kyiv"})
        for index, partner in enumerate(extra):
            partner.write(
                {"email": f"portal{index}@example.com", "mobile": f"+32 456 00 22 {index:02d}"}
            )
        cls.segment.partner_ids = [Command.set((cls.partners | extra).ids)]
        cls.customers = cls.partners | extra

    def _use_channel(self, channel):
        self.rule.channel_line_ids = [Command.clear(), Command.create({"channel_id": channel.id})]

    def _plan_due(self):
        """Plan the campaign; the planned deliveries (at least 4), due now."""
        deliveries = self._plan().filtered(lambda d: d.state == "planned")
        self.assertGreaterEqual(len(deliveries), 4)
        deliveries.scheduled_date = "2026-12-07 04:00:00"
        return deliveries

    def _messages_per_delivery(self, deliveries, channel):
        """{delivery id: number of messages created for it} on the given channel."""
        if channel in (self.ch_email, self.ch_sms):
            records = self.env["mailing.trace"].search(
                [("model", "=", self.Delivery._name), ("res_id", "in", deliveries.ids)]
            )
            keys = records.mapped("res_id")
        elif channel == self.ch_phone:
            records = (
                self.env["mail.activity"]
                .sudo()
                .search([("crm_campaign_delivery_id", "in", deliveries.ids)])
            )
            keys = records.crm_campaign_delivery_id.ids
        else:
            keys = deliveries.filtered("portal_body").ids
        return {key: keys.count(key) for key in set(keys)}

    def _run_cron_until_done(self, batch_size):
        for _run in range(20):
            # the cron runner commits after each call: a savepoint plays that role
            with self.env.cr.savepoint():
                if not self.Delivery._cron_dispatch(batch_size=batch_size):
                    return

    def _crash_after_k_then_retry(self, channel, delay_days, k=2):
        """Send K deliveries, crash in the next batch after its messages were created,
        retry ``delay_days`` later; every delivery is sent exactly once."""
        self._use_channel(channel)
        deliveries = self._plan_due()
        with self.mock_mail_gateway():
            with self.env.cr.savepoint():
                first = self.Delivery._cron_dispatch(batch_size=k)
            self.assertEqual(len(first), k)
            if channel in (self.ch_email, self.ch_sms):
                # mass_mailing commits the mails and their traces as it goes (every
                # mail.batch_size mails): the worker dies after that commit, before
                # the deliveries are updated. Not rolled back, as in production.
                killer = patch.object(
                    type(self.Delivery), "_apply_traces", side_effect=WorkerKilled()
                )
                # not assertRaises: Odoo's rolls back to a savepoint
                killed = False
                with killer:
                    try:
                        self.Delivery._cron_dispatch(batch_size=k)
                    except WorkerKilled:
                        killed = True
                self.assertTrue(killed)
                self.env.invalidate_all()
                self.assertEqual(
                    len(self._messages_per_delivery(deliveries, channel)),
                    2 * k,
                    "the messages of the crashed batch exist, the deliveries do not know yet",
                )
            else:
                handler = self.Delivery._get_channel_handlers()[channel.code]
                original = getattr(type(self.Delivery), handler)

                def send_then_die(records):
                    original(records)
                    raise WorkerKilled()

                # the whole batch (messages and delivery updates) is one transaction
                killed = False
                with patch.object(type(self.Delivery), handler, send_then_die):
                    try:
                        with self.env.cr.savepoint():
                            self.Delivery._cron_dispatch(batch_size=k)
                    except WorkerKilled:
                        killed = True
                self.assertTrue(killed)
                self.env.invalidate_all()
            self.assertEqual(
                len(deliveries.filtered(lambda d: d.state == "sent")), k, "crashed batch lost"
            )
            later = fields.Datetime.from_string(NOW) + timedelta(days=delay_days, hours=1)
            with freeze_time(later):
                self._run_cron_until_done(k)
        self.env.invalidate_all()
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        counts = self._messages_per_delivery(deliveries, channel)
        self.assertEqual(counts, dict.fromkeys(deliveries.ids, 1), "each delivery exactly once")
        return deliveries

    def test_email_sent_once_whatever_the_retry_delay(self):
        for label, days in RETRY_DELAYS.items():
            with self.subTest(retry=label), self.env.cr.savepoint() as savepoint:
                deliveries = self._crash_after_k_then_retry(self.ch_email, days)
                # the retried deliveries point at the mailing that really sent them
                for delivery in deliveries:
                    self.assertEqual(delivery.mailing_id, delivery.mailing_trace_id.mass_mailing_id)
                savepoint.rollback()

    def test_sms_sent_once_whatever_the_retry_delay(self):
        for label, days in RETRY_DELAYS.items():
            with self.subTest(retry=label), self.env.cr.savepoint() as savepoint:
                deliveries = self._crash_after_k_then_retry(self.ch_sms, days)
                sms = self.env["sms.sms"].sudo().search([("partner_id", "in", self.customers.ids)])
                self.assertEqual(len(sms), len(deliveries))
                self.assertEqual(deliveries.sms_id, sms)
                savepoint.rollback()

    def test_call_task_created_once_whatever_the_retry_delay(self):
        for label, days in RETRY_DELAYS.items():
            with self.subTest(retry=label), self.env.cr.savepoint() as savepoint:
                deliveries = self._crash_after_k_then_retry(self.ch_phone, days)
                self.assertEqual(len(deliveries.activity_id), len(deliveries))
                savepoint.rollback()

    def test_portal_notice_published_once_whatever_the_retry_delay(self):
        for label, days in RETRY_DELAYS.items():
            with self.subTest(retry=label), self.env.cr.savepoint() as savepoint:
                self._crash_after_k_then_retry(self.ch_portal, days)
                savepoint.rollback()

    def test_existing_call_task_is_linked_not_duplicated(self):
        """A task already created for the delivery (whatever left it) is reused."""
        self._use_channel(self.ch_phone)
        deliveries = self._plan_due()
        delivery = deliveries[0]
        task = (
            self.env["mail.activity"]
            .sudo()
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": delivery.partner_id.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "user_id": self.user_marketing.id,
                    "crm_campaign_delivery_id": delivery.id,
                }
            )
        )
        self.Delivery._cron_dispatch()
        self.assertEqual(delivery.activity_id, task)
        self.assertEqual(len(deliveries.activity_id), len(deliveries))

    def test_second_trace_for_a_delivery_is_refused_by_the_database(self):
        self._use_channel(self.ch_email)
        deliveries = self._plan_due()
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
        trace = deliveries[0].mailing_trace_id
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            trace.copy({"mass_mailing_id": trace.mass_mailing_id.id})
            self.env.flush_all()
        self.assertIn("mailing_trace_crm_campaign_delivery_uniq", str(caught.exception))

    def test_dispatch_backlog_larger_than_batch_reports_real_remaining(self):
        self._use_channel(self.ch_email)
        deliveries = self._plan_due()
        self.assertEqual(len(deliveries), 8)
        # one customer withdraws consent: cancelled, not remaining
        self.env["mail.blacklist"].create({"email": self.partners[0].email})
        cron = self.env.ref("crm_unified_marketing.ir_cron_dispatch")
        progress = []
        with self.mock_mail_gateway():
            for _call in range(4):
                record = self.env["ir.cron.progress"].create({"cron_id": cron.id})
                with self.env.cr.savepoint():
                    self.Delivery.with_context(ir_cron_progress_id=record.id)._cron_dispatch(
                        batch_size=3
                    )
                progress.append((record.done, record.remaining))
        self.assertEqual(progress, [(3, 5), (3, 2), (2, 0), (0, 0)])
        self.assertEqual(len(deliveries.filtered(lambda d: d.state == "sent")), 7)
