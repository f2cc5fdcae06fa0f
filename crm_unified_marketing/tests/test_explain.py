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
