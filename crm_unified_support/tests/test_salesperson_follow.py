from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSalespersonFollow(SupportCommon):
    """Customers of a segment flagged "Salesperson Follows Tickets" get their
    salesperson as follower of their tickets in every queue, even when the
    queue itself does not ask for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sup_sam_sales",
                "groups_id": [(6, 0, cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        cls.other_salesperson = cls.env["res.users"].create(
            {
                "name": "Sid Sales",
                "login": "sup_sid_sales",
                "groups_id": [(6, 0, cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        cls.customer_company.user_id = cls.salesperson
        cls.other_customer.user_id = cls.other_salesperson
        cls.queue.follow_salesperson = False
        cls.vip = cls.env["crm.segment"].create(
            {
                "name": "VIP (support test)",
                "segment_type": "static",
                "company_id": cls.queue.company_id.id,
                "partner_ids": [(6, 0, cls.customer_company.ids)],
                "support_follow_salesperson": True,
            }
        )

    def test_segment_member_company_contact_gets_salesperson_follower(self):
        # Carla is a contact of Acme; the company is the segment member.
        tickets = self.env["crm.support.ticket"].create(
            [
                {"name": "VIP issue", "queue_id": self.queue.id, "partner_id": self.customer.id},
                {"name": "Other", "queue_id": self.queue.id, "partner_id": self.other_customer.id},
            ]
        )
        vip_ticket, other_ticket = tickets
        self.assertIn(self.salesperson.partner_id, vip_ticket.message_partner_ids)
        self.assertNotIn(
            self.other_salesperson.partner_id,
            other_ticket.message_partner_ids,
            "Not in a flagged segment and the queue does not ask for it",
        )

    def test_unflagged_segment_adds_no_follower(self):
        self.vip.support_follow_salesperson = False
        ticket = self._create_ticket()
        self.assertNotIn(self.salesperson.partner_id, ticket.message_partner_ids)

    def test_segment_of_another_company_is_ignored(self):
        other_company = self.env["res.company"].create({"name": "Other Support Co"})
        self.vip.company_id = other_company
        ticket = self._create_ticket()
        self.assertNotIn(self.salesperson.partner_id, ticket.message_partner_ids)
        self.vip.company_id = False
        ticket = self._create_ticket()
        self.assertIn(
            self.salesperson.partner_id,
            ticket.message_partner_ids,
            "A segment of all companies applies to every queue",
        )

    def test_customer_changed_to_segment_member(self):
        ticket = self._create_ticket(partner_id=self.other_customer.id)
        self.assertNotIn(self.salesperson.partner_id, ticket.message_partner_ids)
        ticket.partner_id = self.customer
        self.assertIn(self.salesperson.partner_id, ticket.message_partner_ids)

    def test_support_user_creates_ticket_of_segment_customer(self):
        ticket = (
            self.env["crm.support.ticket"]
            .with_user(self.user_support)
            .create({"name": "By agent", "queue_id": self.queue.id, "partner_id": self.customer.id})
        )
        self.assertIn(self.salesperson.partner_id, ticket.sudo().message_partner_ids)
