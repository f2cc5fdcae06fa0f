from odoo import Command
from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestPartnerMergeSupport(SupportCommon):
    """Odoo's merge wizard and what support keeps per customer."""

    def test_tickets_and_policies_follow_the_kept_customer(self):
        beta = self.env["res.partner"].create({"name": "Beta Ltd", "is_company": True})
        duplicate = self.env["res.partner"].create(
            {"name": "Carla (at Beta)", "email": "carla@acme.example.com", "parent_id": beta.id}
        )
        ticket = self._create_ticket(partner_id=duplicate.id)
        self.assertEqual(ticket.commercial_partner_id, beta)
        policy = self.env["crm.support.sla"].create(
            {
                "name": "Gold customers",
                "queue_id": self.queue.id,
                "partner_ids": [Command.set((duplicate | self.customer).ids)],
            }
        )
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (self.customer | duplicate).ids, self.customer
        )
        self.env.invalidate_all()
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.commercial_partner_id, self.customer_company)
        self.assertEqual(policy.partner_ids, self.customer)
        report = self.env["crm.support.ticket"].search(
            [("commercial_partner_id", "=", self.customer_company.id), ("id", "=", ticket.id)]
        )
        self.assertEqual(report, ticket, "searches by company find the ticket")
