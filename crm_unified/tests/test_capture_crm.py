from odoo.tests import tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCaptureCrm(CrmInteractionCommon):
    def _opportunity(self, **values):
        return self.env["crm.lead"].create(
            {
                "name": "Bakery ovens",
                "type": "opportunity",
                "partner_id": self.customer.id,
                **values,
            }
        )

    def test_opportunity_created_logs_one_interaction(self):
        lead = self._opportunity()
        interactions = self._interactions(lead)
        self.assertEqual(len(interactions), 1)
        self.assertEqual(interactions.capture_event, "opportunity_created")

    def test_lead_without_customer_is_not_captured(self):
        lead = self.env["crm.lead"].create({"name": "Anonymous lead", "type": "lead"})
        self.assertFalse(self._interactions(lead))

    def test_lead_converted_to_opportunity_logs_creation_once(self):
        lead = self.env["crm.lead"].create({"name": "Web form request", "type": "lead"})
        self.assertFalse(self._interactions(lead))
        lead.convert_opportunity(self.customer)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(len(self._interactions(lead, "opportunity_created")), 1)
        lead.write({"type": "opportunity", "name": "Renamed"})
        self.assertEqual(len(self._interactions(lead, "opportunity_created")), 1)

    def test_opportunity_won_logs_once(self):
        lead = self._opportunity()
        lead.action_set_won()
        lead.write({"probability": 100})  # other writes do not log again
        self.assertEqual(len(self._interactions(lead, "opportunity_won")), 1)

    def test_opportunity_lost_logs_once_with_reason(self):
        lead = self._opportunity()
        reason = self.env["crm.lost.reason"].create({"name": "Too expensive"})
        lead.action_set_lost(lost_reason_id=reason.id)
        lost = self._interactions(lead, "opportunity_lost")
        self.assertEqual(len(lost), 1)
        self.assertEqual(lost.outcome, "Too expensive")

    def test_batch_of_opportunities_lost_together(self):
        leads = self.env["crm.lead"].create(
            [
                {"name": f"Opportunity {i}", "type": "opportunity", "partner_id": self.customer.id}
                for i in range(5)
            ]
        )
        leads.action_set_lost()
        self.assertEqual(len(self._interactions(leads, "opportunity_lost")), 5)
