from unittest.mock import patch

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.crm_unified_marketing.models.crm_campaign_planner import CrmCampaignPlanner

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestExplain(CampaignCommon):
    """Each delivery says in plain words why it got its rule, channel and time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        vip = cls.env["crm.segment"].create(
            {
                "name": "VIP",
                "segment_type": "static",
                "partner_ids": [Command.set(cls.partners[:2].ids)],
            }
        )
        cls.rule.write({"name": "All", "sequence": 2})
        cls.vip_rule = cls._create_rule(
            cls.campaign, "VIP", vip, channels=[cls.ch_email, cls.ch_sms], sequence=1
        )

    def test_explanation_of_rule_channel_and_time(self):
        vip_customer, plain_customer = self.partners[0], self.partners[2]
        vip_customer.preferred_channel_id = self.ch_sms
        # Tuesday 10:00 is the VIP customer's best contact time
        slots = {vip_customer.id: [(1, 10)]}
        with patch.object(CrmCampaignPlanner, "_get_best_slots", autospec=True, return_value=slots):
            self._plan()
        explained = self._delivery(vip_customer).plan_explanation
        self.assertEqual(
            explained,
            "Preferred channel SMS; best contact time Tue 8 Dec 10:00 Europe/Kyiv; "
            "rule 'VIP' priority 1 beat 'All' priority 2",
        )
        self.assertEqual(
            self._delivery(plain_customer).plan_explanation,
            "Channel Email: no preferred channel, first usable channel of the rule; "
            "rule's default slot Mon 7 Dec 10:00 Europe/Kyiv; "
            "rule 'All' priority 2 is the only matching rule",
        )

    def test_explanation_of_fallback_and_skip(self):
        self.partners[1].write({"preferred_channel_id": self.ch_sms.id, "mobile": "12"})
        self.partners[3].write({"email": False, "mobile": False, "phone": False})
        self._plan()
        self.assertIn(
            "Channel Email: preferred channel SMS cannot be used (Invalid phone number 12)",
            self._delivery(self.partners[1]).plan_explanation,
        )
        skipped = self._delivery(self.partners[3])
        self.assertEqual(skipped.state, "skipped")
        self.assertIn("skipped: None of the rule's channels", skipped.plan_explanation)

    def test_tie_is_explained(self):
        self.vip_rule.sequence = 2
        self.vip_rule.discount = 50.0
        self._plan()
        self.assertIn(
            "rule 'VIP' won the tie at priority 2 over 'All' on expected value",
            self._delivery(self.partners[0]).plan_explanation,
        )

    def test_postponement_by_the_cap_is_explained(self):
        self.company.write({"crm_cap_contacts": 1, "crm_cap_period_days": 7})
        other = self.campaign.copy({"name": "Other campaign"})
        self._plan(other)
        self.assertNotIn("postponed", self._delivery(self.partners[2], other).plan_explanation)
        self._plan()
        self.assertIn(
            "rule's default slot Mon 14 Dec 10:00 Europe/Kyiv, postponed by the company cap",
            self._delivery(self.partners[2]).plan_explanation,
        )

    def test_each_reader_reads_the_explanation_in_their_language(self):
        """One delivery, two readers: the explanation is stored as codes and
        parameters and put into words (dates included) in the reader's language."""
        self.env["res.lang"]._activate_lang("uk_UA")
        self.ch_sms.with_context(lang="uk_UA").name = "Смс-повідомлення"
        vip_customer = self.partners[0]
        vip_customer.preferred_channel_id = self.ch_sms
        slots = {vip_customer.id: [(1, 10)]}
        with patch.object(CrmCampaignPlanner, "_get_best_slots", autospec=True, return_value=slots):
            self._plan()
        delivery = self._delivery(vip_customer)
        english_reader = self.user_marketing
        ukrainian_reader = self.user_marketing.copy({"login": "mkt_uk", "lang": "uk_UA"})
        self.assertEqual(
            delivery.with_user(english_reader).with_context(lang="en_US").plan_explanation,
            "Preferred channel SMS; best contact time Tue 8 Dec 10:00 Europe/Kyiv; "
            "rule 'VIP' priority 1 beat 'All' priority 2",
        )
        self.assertEqual(
            delivery.with_user(ukrainian_reader).with_context(lang="uk_UA").plan_explanation,
            "Бажаний канал Смс-повідомлення; "
            "найкращий час для контакту вт 8 груд. 10:00 Europe/Kyiv; "
            "правило «VIP» з пріоритетом 1 переважило «All» з пріоритетом 2",
        )
        # The list shows it for every row, in constant queries.
        deliveries = self.env["crm.campaign.delivery"].search(
            [("campaign_id", "=", self.campaign.id)]
        )
        deliveries.invalidate_recordset()
        with self.assertQueryCount(5):
            texts = (
                deliveries.with_user(ukrainian_reader)
                .with_context(lang="uk_UA")
                .mapped("plan_explanation")
            )
        self.assertTrue(all(texts))

    def test_rows_planned_before_show_the_text_as_written(self):
        self._plan()
        delivery = self._delivery(self.partners[0])
        delivery.write({"plan_explanation_params": False, "plan_explanation_text": "Old words"})
        self.assertEqual(delivery.plan_explanation, "Old words")
        # Parameters a reader cannot put into words fall back to the text too.
        delivery.write({"plan_explanation_params": [{"code": "unknown"}]})
        self.assertEqual(delivery.plan_explanation, "Old words")

    def test_each_reader_reads_why_a_customer_was_skipped_in_their_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.partners[3].write({"email": False, "mobile": False, "phone": False})
        self._plan()
        skipped = self._delivery(self.partners[3])
        self.assertEqual(skipped.state, "skipped")
        english = (
            "None of the rule's channels can reach this customer "
            "(missing address or portal access)."
        )
        ukrainian = (
            "Жоден із каналів правила не може досягти цього клієнта "
            "(немає адреси або доступу до порталу)."  # noqa: RUF001 (Ukrainian text)
        )
        self.assertEqual(skipped.with_context(lang="en_US").failure_reason_display, english)
        self.assertEqual(skipped.with_context(lang="uk_UA").failure_reason_display, ukrainian)
        self.assertTrue(
            skipped.with_context(lang="uk_UA").plan_explanation.endswith(f"пропущено: {ukrainian}")
        )
        # send-time reasons too: stored as a code, read in the reader's language
        withdrawn, by_hand = self._delivery(self.partners[0]), self._delivery(self.partners[1])
        self.env["crm.contact.consent"].create(
            {"partner_id": self.partners[0].id, "channel_id": self.ch_email.id, "state": "opt_out"}
        )
        withdrawn.scheduled_date = "2026-12-07 04:00:00"
        self.env["crm.campaign.delivery"]._cron_dispatch()
        by_hand.action_cancel()
        self.assertEqual(withdrawn.state, "cancelled")
        self.assertEqual(
            withdrawn.with_context(lang="uk_UA").failure_reason_display,
            "Клієнт відкликав згоду на цей канал до надсилання.",
        )
        self.assertEqual(
            withdrawn.with_context(lang="en_US").failure_reason_display,
            "The customer withdrew consent for this channel before sending.",
        )
        self.assertEqual(
            by_hand.with_context(lang="uk_UA").failure_reason_display, "Скасовано вручну."
        )
        # rows cancelled before the codes existed show the text as written
        by_hand.write({"failure_params": False, "failure_reason": "Old words"})
        self.assertEqual(by_hand.with_context(lang="uk_UA").failure_reason_display, "Old words")
