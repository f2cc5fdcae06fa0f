from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.crm_unified_marketing.models import phone_check

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestInvalidPhone(CampaignCommon):
    """An unusable phone number falls back at planning and fails at dispatch, alone."""

    def _sms_first(self, *channels):
        self.rule.channel_line_ids = [Command.clear()] + [
            Command.create({"sequence": seq, "channel_id": channel.id})
            for seq, channel in enumerate(channels)
        ]

    def test_number_check(self):
        partner = self.partners[0]
        partner.country_id = self.env.ref("base.be")
        self.assertTrue(phone_check.is_usable_phone(partner, "+32 456 00 11 00"))
        self.assertTrue(phone_check.is_usable_phone(partner, "0456 00 11 00"))
        self.assertFalse(phone_check.is_usable_phone(partner, "+32 456 CALL ME"), "letters")
        self.assertFalse(phone_check.is_usable_phone(partner, "12-34"), "too short")
        self.assertFalse(phone_check.is_usable_phone(partner, "+1234567890123456"), "too long")
        self.assertFalse(phone_check.is_usable_phone(partner, "not a number"))
        self.assertFalse(phone_check.is_usable_phone(partner, ""))

    def test_planning_falls_back_to_next_channel(self):
        self._sms_first(self.ch_sms, self.ch_email)
        self.partners[0].mobile = "+32 456 CALL ME"
        self.partners[1].write({"mobile": "123", "phone": False})
        self._plan()
        for partner in self.partners[:2]:
            delivery = self._delivery(partner)
            self.assertEqual((delivery.state, delivery.channel_id), ("planned", self.ch_email))
        for partner in self.partners[2:]:
            delivery = self._delivery(partner)
            self.assertEqual((delivery.state, delivery.channel_id), ("planned", self.ch_sms))

    def test_planning_skips_when_no_channel_is_left(self):
        self._sms_first(self.ch_sms)
        self.partners[1].write({"mobile": "123", "phone": False})
        self._plan()
        bad = self._delivery(self.partners[1])
        self.assertEqual((bad.state, bad.skip_reason), ("skipped", "invalid_phone"))
        self.assertEqual(bad.failure_reason, "Invalid phone number 123")
        others = self.campaign.delivery_ids - bad
        self.assertEqual(set(others.mapped("state")), {"planned"}, "the batch goes on")
        self.assertEqual(len(others), 3)

    def test_dispatch_fails_only_the_bad_number(self):
        self._sms_first(self.ch_sms)
        deliveries = self._plan()
        deliveries.scheduled_date = "2026-12-07 04:00:00"
        # the numbers change between planning and sending
        self.partners[0].mobile = "+32 456 CALL ME"
        self.partners[1].mobile = "+32 456 00 11 00 99 88 77"
        self.env["crm.campaign.delivery"]._cron_dispatch()
        for partner in self.partners[:2]:
            bad = self._delivery(partner)
            self.assertEqual(bad.state, "failed")
            self.assertEqual(bad.failure_reason, f"Invalid phone number {partner.mobile}")
            self.assertFalse(bad.sms_id)
        good = self.campaign.delivery_ids.filtered(lambda d: d.partner_id in self.partners[2:])
        self.assertEqual(set(good.mapped("state")), {"sent"}, "one bad customer never stops")
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", self.partners.ids)])
        self.assertEqual(sms.partner_id, self.partners[2:], "no SMS to the bad numbers")

    def test_call_task_with_invalid_number_fails(self):
        self._sms_first(self.ch_phone)
        self.partners.user_id = self.user_salesman
        deliveries = self._plan()
        deliveries.scheduled_date = "2026-12-07 04:00:00"
        self.partners[3].write({"phone": "n/a", "mobile": False})
        self.env["crm.campaign.delivery"]._cron_dispatch()
        bad = self._delivery(self.partners[3])
        self.assertEqual((bad.state, bad.failure_reason), ("failed", "Invalid phone number n/a"))
        self.assertFalse(bad.activity_id)
        good = deliveries - bad
        self.assertEqual(set(good.mapped("state")), {"sent"})
        self.assertEqual(len(good.activity_id), 3)
