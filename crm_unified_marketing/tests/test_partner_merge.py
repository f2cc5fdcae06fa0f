from freezegun import freeze_time

from odoo.tests import tagged

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPartnerMergeDeliveries(CampaignCommon):
    """Odoo's merge wizard against one live delivery per customer and campaign."""

    def _deliver(self, partner, state, campaign=None, **values):
        return self.env["crm.campaign.delivery"].create(
            {
                "campaign_id": (campaign or self.campaign).id,
                "rule_id": self.rule.id,
                "partner_id": partner.id,
                "channel_id": self.ch_email.id,
                "scheduled_date": NOW,
                "state": state,
                **values,
            }
        )

    def _merge(self, kept, *duplicates):
        partners = kept.union(*duplicates)
        self.env["base.partner.merge.automatic.wizard"]._merge(partners.ids, kept)
        self.env.invalidate_all()

    def test_delivery_of_both_contacts_in_one_campaign_keeps_the_furthest(self):
        kept, duplicate = self.partners[0], self.partners[1]
        planned = self._deliver(kept, "planned")
        clicked = self._deliver(duplicate, "clicked", sent_date=NOW, revenue=0.0)
        other_campaign = self.campaign.copy({"name": "Spring sale"})
        elsewhere = self._deliver(duplicate, "sent", campaign=other_campaign, sent_date=NOW)
        self._merge(kept, duplicate)
        # Nothing deleted: before, the clash deleted every delivery of the duplicate.
        self.assertTrue((planned | clicked | elsewhere).exists() == planned | clicked | elsewhere)
        self.assertEqual((clicked.partner_id, clicked.state), (kept, "clicked"))
        self.assertEqual(elsewhere.partner_id, kept)
        self.assertEqual(planned.state, "cancelled", "the customer is not contacted twice")
        self.assertIn(f"#{clicked.id}", planned.failure_reason)
        self.assertEqual(
            planned.failure_reason_display,
            f"Contact Customer 0 merged into Customer 0, whose delivery #{clicked.id} of "
            "this campaign is kept (this one was Planned).",
        )
        live = self.env["crm.campaign.delivery"].search(
            [("partner_id", "=", kept.id), ("state", "not in", ("cancelled", "failed"))]
        )
        self.assertEqual(live, clicked | elsewhere)

    def test_planned_delivery_of_kept_contact_wins_over_skipped_duplicate(self):
        kept, dup1, dup2 = self.partners[0], self.partners[1], self.partners[2]
        planned = self._deliver(dup1, "planned")
        skipped = self._deliver(kept, "skipped", skip_reason="no_consent")
        cancelled = self._deliver(dup2, "cancelled")
        self._merge(kept, dup1, dup2)
        self.assertEqual((planned.partner_id, planned.state), (kept, "planned"))
        self.assertEqual(skipped.state, "cancelled")
        self.assertEqual((cancelled.partner_id, cancelled.state), (kept, "cancelled"))
