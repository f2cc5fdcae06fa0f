from unittest.mock import patch

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.mass_mailing.models.mailing import MassMailing

from .common import NOW, CampaignCommon


class WorkerKilled(BaseException):
    """Simulates the worker dying: not an Exception, so nothing catches it."""


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestDispatch(CampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Delivery = cls.env["crm.campaign.delivery"]

    def _plan_due(self, campaign=None):
        deliveries = self._plan(campaign)
        deliveries.filtered(lambda d: d.state == "planned").scheduled_date = "2026-12-07 04:00:00"
        return deliveries

    def _traces(self, deliveries):
        return self.env["mailing.trace"].search(
            [("model", "=", "crm.campaign.delivery"), ("res_id", "in", deliveries.ids)]
        )

    # ---- Email ----

    def test_email_goes_through_mass_mailing(self):
        deliveries = self._plan_due()
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        traces = self._traces(deliveries)
        self.assertEqual(len(traces), 4, "one mailing.trace per email")
        self.assertEqual(deliveries.mailing_trace_id, traces)
        mailing = deliveries.mailing_id
        self.assertEqual(len(mailing), 1, "one mailing per rule, variant and day")
        self.assertEqual(mailing.campaign_id, self.campaign.utm_campaign_id)
        self.assertEqual(mailing.mailing_type, "mail")
        self.assertFalse(mailing._get_remaining_recipients(), "sending it again reaches nobody")
        body = next(m["body"] for m in self._mails if "customer0@" in str(m["email_to"]))
        self.assertIn("Customer 0", body)
        self.assertIn("10% off Oak Desk", body)
        self.assertIn(f"/mailing/{mailing.id}/confirm_unsubscribe", body, "unsubscribe link")
        interactions = self.env["crm.interaction"].search(
            [("res_model", "=", "crm.campaign.delivery"), ("res_id", "in", deliveries.ids)]
        )
        self.assertEqual(len(interactions), 4)
        self.assertEqual(
            interactions.department_id, self.env.ref("crm_unified.interaction_department_marketing")
        )
        self.assertEqual(interactions.channel_id, self.ch_email)

    def test_dispatch_is_idempotent(self):
        deliveries = self._plan_due()
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
            self.Delivery._cron_dispatch()
            deliveries._dispatch()
        self.assertEqual(len(self._traces(deliveries)), 4)

    def test_opt_out_between_planning_and_sending_cancels(self):
        deliveries = self._plan_due()
        self.env["mail.blacklist"].create({"email": self.partners[0].email})
        self.env["crm.contact.consent"].create(
            {"partner_id": self.partners[1].id, "channel_id": self.ch_email.id, "state": "opt_out"}
        )
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
        for partner in self.partners[:2]:
            delivery = self._delivery(partner)
            self.assertEqual(delivery.state, "cancelled")
            self.assertIn("withdrew consent", delivery.failure_reason)
        self.assertEqual(len(self._traces(deliveries)), 2)
        recipients = {email for mail in self._mails for email in mail["email_to"]}
        self.assertFalse(any(self.partners[0].email in email for email in recipients))

    def test_platform_blacklist_also_protects(self):
        """Even past our own check, mass_mailing's blacklist cancels the email."""
        deliveries = self._plan_due()
        self.env["mail.blacklist"].create({"email": self.partners[0].email})
        with (
            patch.object(type(self.Delivery), "_cancel_opted_out", lambda self: self),
            self.mock_mail_gateway(),
        ):
            self.Delivery._cron_dispatch()
        delivery = self._delivery(self.partners[0])
        self.assertEqual(delivery.state, "cancelled")
        self.assertEqual(delivery.mailing_trace_id.trace_status, "cancel")
        self.assertEqual(len(deliveries.filtered(lambda d: d.state == "sent")), 3)
        recipients = {email for mail in self._mails for email in mail["email_to"]}
        self.assertFalse(any(self.partners[0].email in email for email in recipients))

    def test_template_failing_for_one_customer_does_not_stop_batch(self):
        self.partners[1:].write({"ref": "VIP"})
        self.rule.email_body_html = '<p><t t-out="object.partner_id.ref.lower()"/></p>'
        deliveries = self._plan_due()
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
        failed = self._delivery(self.partners[0])
        self.assertEqual(failed.state, "failed")
        self.assertIn("could not be rendered", failed.failure_reason)
        self.assertEqual(len(deliveries.filtered(lambda d: d.state == "sent")), 3)

    def test_crash_after_k_sends_then_rerun_sends_each_once(self):
        """Kill the worker after K mailing sends; the rerun sends every rest exactly once."""
        more = self.env["res.partner"].create(
            [{"name": f"Extra {i}", "email": f"extra{i}@example.com"} for i in range(6)]
        )
        self.segment.partner_ids = [Command.link(p.id) for p in more]
        deliveries = self._plan_due()
        self.assertEqual(len(deliveries), 10)
        calls = []
        original = MassMailing.action_send_mail

        def send_then_die(mailing, res_ids=None):
            calls.append(res_ids)
            result = original(mailing, res_ids=res_ids)
            if len(calls) == 3:
                raise WorkerKilled()  # dies after sending, before the batch is saved
            return result

        with self.mock_mail_gateway():
            killed = False
            with patch.object(MassMailing, "action_send_mail", send_then_die):
                # not assertRaises: it would roll back the batches that did succeed
                try:
                    for _run in range(10):
                        # the cron runner commits each call: a savepoint plays that role
                        with self.env.cr.savepoint():
                            self.Delivery._cron_dispatch(batch_size=3)
                except WorkerKilled:
                    killed = True
            self.assertTrue(killed)
            self.env.invalidate_all()
            self.assertEqual(len(self._traces(deliveries)), 6, "two batches of 3 survived")
            while self.Delivery._cron_dispatch(batch_size=3):
                pass
        traces = self._traces(deliveries)
        self.assertEqual(len(traces), 10)
        self.assertEqual(sorted(traces.mapped("res_id")), sorted(deliveries.ids))
        mails = (
            self.env["mail.mail"].sudo().search([("mailing_id", "in", deliveries.mailing_id.ids)])
        )
        self.assertEqual(len(mails), 10)
        self.assertEqual(
            sorted(mails.mapped("res_id")), sorted(deliveries.ids), "each exactly once"
        )
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})

    def test_rerun_after_commit_before_update_does_not_resend(self):
        """mass_mailing committed the mails, the worker died before the deliveries were
        updated: the rerun links the existing traces instead of sending again."""
        deliveries = self._plan_due()
        first_two = deliveries[:2]
        with self.mock_mail_gateway():
            first_two._get_mailing("mail").action_send_mail(res_ids=first_two.ids)
            self.assertEqual(set(first_two.mapped("state")), {"planned"})
            self.Delivery._cron_dispatch()
        self.assertEqual(len(self._traces(deliveries)), 4)
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})

    # ---- SMS ----

    def test_sms_creates_sms_records_and_missing_number_fails(self):
        self.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": self.ch_sms.id}),
        ]
        deliveries = self._plan_due()
        # the number disappears between planning and sending
        self.partners[0].write({"mobile": False, "phone": False})
        self.Delivery._cron_dispatch()
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", self.partners.ids)])
        self.assertEqual(len(sms), 4, "mass_mailing_sms creates one sms.sms per delivery")
        good = self._delivery(self.partners[1])
        self.assertEqual(good.state, "sent")
        self.assertEqual(good.sms_id.partner_id, self.partners[1])
        self.assertEqual(good.sms_id.state, "outgoing")
        self.assertIn("Customer 1", good.sms_id.body)
        self.assertIn("10% off Oak Desk", good.sms_id.body)
        self.assertEqual(good.mailing_trace_id.trace_type, "sms")
        self.assertEqual(good.mailing_id.mailing_type, "sms")
        bad = self._delivery(self.partners[0])
        self.assertEqual(bad.state, "failed", "one bad number does not stop the batch")
        self.assertEqual(bad.failure_reason, "Missing Number")
        self.assertEqual(len(deliveries.filtered(lambda d: d.state == "sent")), 3)

    # ---- Phone ----

    def test_call_task_lands_on_the_salesperson(self):
        self.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": self.ch_phone.id}),
        ]
        self.partners[0].user_id = self.user_salesman
        self._plan_due()
        self.Delivery._cron_dispatch()
        task = self._delivery(self.partners[0]).activity_id
        self.assertEqual(task.user_id, self.user_salesman)
        self.assertEqual(task.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual((task.res_model, task.res_id), ("res.partner", self.partners[0].id))
        self.assertIn("10% off Oak Desk", task.note)
        # no salesperson: the campaign responsible gets the task
        self.assertEqual(self._delivery(self.partners[1]).activity_id.user_id, self.user_marketing)

    # ---- Portal ----

    def test_portal_notice_is_visible_to_the_customer(self):
        portal_user = new_test_user(
            self.env, login="mkt_portal", groups="base.group_portal", name="Portal Customer"
        )
        self.segment.partner_ids = [Command.link(portal_user.partner_id.id)]
        self.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": self.ch_portal.id}),
        ]
        self._plan_due()
        self.Delivery._cron_dispatch()
        delivery = self._delivery(portal_user.partner_id)
        self.assertEqual(delivery.state, "sent")
        self.assertIn("10% off Oak Desk", delivery.portal_body)
        visible = self.Delivery.with_user(portal_user).search([])
        self.assertEqual(visible, delivery, "the customer sees their own offer only")
        # customers without portal access cannot get a portal notice
        self.assertEqual(self._delivery(self.partners[0]).skip_reason, "no_channel")
