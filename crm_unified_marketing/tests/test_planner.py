from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.crm_unified_marketing.models.crm_campaign_planner import CrmCampaignPlanner

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPlanner(CampaignCommon):
    def _set_consent(self, partner, channel, state):
        self.env["crm.contact.consent"].create(
            {"partner_id": partner.id, "channel_id": channel.id, "state": state}
        )

    # ---- Send time ----

    def test_no_history_gets_default_slot_in_customer_timezone(self):
        self._plan()
        delivery = self._delivery(self.partners[0])
        self.assertEqual(delivery.state, "planned")
        # 10:00 in Kyiv (UTC+2) on Monday 7 December
        self.assertEqual(delivery.scheduled_date, datetime(2026, 12, 7, 8, 0))
        self.assertEqual(delivery.channel_id, self.ch_email)

    def test_timezone_of_each_customer_is_used(self):
        self.partners[1].tz = "America/New_York"
        self._plan()
        # 10:00 in New York (UTC-5) = 15:00 UTC
        self.assertEqual(self._delivery(self.partners[1]).scheduled_date, datetime(2026, 12, 7, 15))

    def test_quiet_hours_push_the_slot_out(self):
        self.partners[0].write({"quiet_hour_start": 9.0, "quiet_hour_end": 12.0})
        self._plan()
        # 09:00-12:00 are quiet: first allowed hour is 12:00 Kyiv = 10:00 UTC
        self.assertEqual(self._delivery(self.partners[0]).scheduled_date, datetime(2026, 12, 7, 10))

    def test_only_allowed_weekdays(self):
        self.rule.write({"day_mon": False, "day_tue": False})
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).scheduled_date, datetime(2026, 12, 9, 8))

    def test_best_contact_slot_from_profile(self):
        partner = self.partners[0]
        # Thursday 15:00 is best, Monday 20:00 is outside the rule's hours
        slots = {partner.id: [(0, 20), (3, 15)]}
        with patch.object(CrmCampaignPlanner, "_get_best_slots", autospec=True, return_value=slots):
            self._plan()
        self.assertEqual(self._delivery(partner).scheduled_date, datetime(2026, 12, 10, 13))
        # customers without history keep the default slot
        self.assertEqual(self._delivery(self.partners[1]).scheduled_date, datetime(2026, 12, 7, 8))

    def test_no_slot_in_window_is_skipped_with_reason(self):
        self.campaign.date_end = date(2026, 12, 7)
        self.partners[0].write({"quiet_hour_start": 0.0, "quiet_hour_end": 23.99})
        self._plan()
        delivery = self._delivery(self.partners[0])
        self.assertEqual((delivery.state, delivery.skip_reason), ("skipped", "no_slot"))
        self.assertTrue(delivery.failure_reason)

    # ---- Channel ----

    def test_preferred_channel_among_allowed(self):
        self.partners[0].preferred_channel_id = self.ch_sms
        self.partners[1].preferred_channel_id = self.ch_phone  # not allowed by the rule
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).channel_id, self.ch_sms)
        self.assertEqual(self._delivery(self.partners[1]).channel_id, self.ch_email)

    def test_opt_out_falls_back_in_rule_order(self):
        self._set_consent(self.partners[0], self.ch_email, "opt_out")
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).channel_id, self.ch_sms)

    def test_blacklisted_email_falls_back(self):
        self.env["mail.blacklist"].create({"email": self.partners[0].email})
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).channel_id, self.ch_sms)

    def test_every_channel_refused_is_skipped_no_consent(self):
        self._set_consent(self.partners[0], self.ch_email, "opt_out")
        self._set_consent(self.partners[0], self.ch_sms, "opt_out")
        self.partners[1].do_not_contact = True
        self._plan()
        for partner in self.partners[:2]:
            delivery = self._delivery(partner)
            self.assertEqual((delivery.state, delivery.skip_reason), ("skipped", "no_consent"))

    def test_no_address_is_skipped_no_channel(self):
        self.partners[0].write({"email": False, "mobile": False, "phone": False})
        self._plan()
        delivery = self._delivery(self.partners[0])
        self.assertEqual((delivery.state, delivery.skip_reason), ("skipped", "no_channel"))

    def test_explicit_opt_in_setting(self):
        self.company.crm_require_opt_in = True
        self._set_consent(self.partners[0], self.ch_sms, "opt_in")
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).channel_id, self.ch_sms)
        self.assertEqual(self._delivery(self.partners[1]).skip_reason, "no_consent")

    # ---- Rule choice ----

    def test_highest_priority_rule_wins(self):
        vip = self.env["crm.segment"].create(
            {
                "name": "VIP",
                "segment_type": "static",
                "partner_ids": [Command.set(self.partners[:2].ids)],
            }
        )
        self.rule.sequence = 20
        first = self._create_rule(self.campaign, "VIP first", vip, sequence=5, discount=1.0)
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).rule_id, first)
        self.assertEqual(self._delivery(self.partners[0]).segment_id, vip)
        self.assertEqual(self._delivery(self.partners[2]).rule_id, self.rule)
        self.assertEqual(len(self.campaign.delivery_ids), 4, "one delivery per customer")

    def test_tie_goes_to_best_expected_value(self):
        # same priority: 50% of 200 beats 10% of 200 on the same channel
        rich = self._create_rule(self.campaign, "Half price", self.segment, discount=50.0)
        self.assertEqual(rich.sequence, self.rule.sequence)
        self._plan()
        self.assertEqual(self.campaign.delivery_ids.rule_id, rich)

    # ---- Frequency cap ----

    def test_cap_across_campaigns_postpones(self):
        self.company.write({"crm_cap_contacts": 1, "crm_cap_period_days": 7})
        other = self.campaign.copy({"name": "Other campaign"})
        self._plan(other)
        self.assertEqual(
            self._delivery(self.partners[0], other).scheduled_date, datetime(2026, 12, 7, 8)
        )
        self._plan()
        # the next send at least 7 days later, on an allowed day and at the slot
        self.assertEqual(self._delivery(self.partners[0]).scheduled_date, datetime(2026, 12, 14, 8))

    def test_cap_skips_when_window_too_short(self):
        self.company.write({"crm_cap_contacts": 1, "crm_cap_period_days": 7})
        other = self.campaign.copy({"name": "Other campaign"})
        self._plan(other)
        self.campaign.date_end = date(2026, 12, 11)
        self._plan()
        delivery = self._delivery(self.partners[0])
        self.assertEqual((delivery.state, delivery.skip_reason), ("skipped", "capped"))

    def test_channel_cap_override(self):
        self.company.write({"crm_cap_contacts": 5})
        self.ch_email.cap_contacts = 1
        other = self.campaign.copy({"name": "Other campaign"})
        self._plan(other)
        self._plan()
        self.assertEqual(self._delivery(self.partners[0]).scheduled_date, datetime(2026, 12, 14, 8))

    # ---- Limits ----

    def test_max_recipients_and_budget(self):
        self.rule.max_recipients = 3
        self._plan()
        self.assertEqual(
            sorted(self.campaign.delivery_ids.mapped("state")), ["planned"] * 3 + ["skipped"]
        )
        self.assertEqual(
            self.campaign.delivery_ids.filtered("skip_reason").skip_reason, "max_recipients"
        )

    def test_budget_limits_contacts(self):
        self.rule.write({"budget": 2.5})  # 1.0 per contact
        self._plan()
        skipped = self.campaign.delivery_ids.filtered(lambda d: d.state == "skipped")
        self.assertEqual(len(skipped), 2)
        self.assertEqual(set(skipped.mapped("skip_reason")), {"budget"})
        self.assertEqual(self.rule.spent, 2.0)

    def test_replanning_never_duplicates(self):
        self._plan()
        self._plan()
        self.assertEqual(len(self.campaign.delivery_ids), 4)

    def test_cron_plans_active_campaigns(self):
        self.campaign.action_activate()
        self.env["crm.campaign"]._cron_plan_deliveries()
        self.assertEqual(len(self.campaign.delivery_ids), 4)
