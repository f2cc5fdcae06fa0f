from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestRouting(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agents = cls.env["crm.support.agent"].search(
            [("user_id", "in", (cls.user_support | cls.user_support_2).ids)]
        )
        cls.agent_1 = cls.agents.filtered(lambda a: a.user_id == cls.user_support)
        cls.agent_2 = cls.agents.filtered(lambda a: a.user_id == cls.user_support_2)

    def test_members_get_agent_profiles(self):
        self.assertEqual(len(self.agents), 2)
        self.queue.member_ids = [(4, self.user_outsider.id)]
        self.assertTrue(
            self.env["crm.support.agent"].search([("user_id", "=", self.user_outsider.id)])
        )

    @freeze_time("2026-03-04 10:00:00")  # Wednesday, working time
    def test_least_open_balances_and_respects_capacity(self):
        self.queue.assignment_method = "least_open"
        self.agents.capacity = 3
        tickets = self.env["crm.support.ticket"].create(
            [{"name": f"T{i}", "queue_id": self.queue.id} for i in range(8)]
        )
        assigned = self.queue._assign_tickets()
        self.assertEqual(len(assigned), 6, "Two agents with capacity 3")
        self.assertEqual(len(tickets.filtered(lambda t: t.user_id == self.user_support)), 3)
        self.assertEqual(len(tickets.filtered(lambda t: t.user_id == self.user_support_2)), 3)
        self.assertEqual(self.queue.unassigned_ticket_count, 2)
        self.assertTrue(all(t.date_assign for t in assigned))

    @freeze_time("2026-03-04 10:00:00")
    def test_round_robin_alternates(self):
        self.queue.assignment_method = "round_robin"
        tickets = self.env["crm.support.ticket"].create(
            [{"name": f"RR{i}", "queue_id": self.queue.id, "priority": "1"} for i in range(4)]
        )
        for ticket in tickets.sorted("id"):
            self.queue._assign_tickets(tickets=ticket)
        users = tickets.sorted("id").mapped("user_id")
        self.assertEqual(len(users), 2)
        sequence = [t.user_id for t in tickets.sorted("id")]
        self.assertNotEqual(sequence[0], sequence[1])
        self.assertEqual(sequence[0], sequence[2])

    @freeze_time("2026-03-04 10:00:00")
    def test_skills(self):
        self.queue.assignment_method = "skills"
        billing = self.env["crm.support.skill"].create({"name": "T Billing"})
        self.agent_2.skill_ids = billing
        ticket_type = self.env["crm.support.ticket.type"].create(
            {"name": "T Invoice", "skill_ids": [(6, 0, billing.ids)]}
        )
        ticket = self._create_ticket(type_id=ticket_type.id, user_id=False)
        self.queue._assign_tickets()
        self.assertEqual(ticket.user_id, self.user_support_2)
        self.agent_2.skill_ids = False
        ticket2 = self._create_ticket(type_id=ticket_type.id)
        self.queue._assign_tickets()
        self.assertFalse(ticket2.user_id, "Nobody has the skill")

    def test_only_working_agents(self):
        self.queue.assignment_method = "least_open"
        ticket = self._create_ticket()
        with freeze_time("2026-03-07 10:00:00"):  # Saturday
            self.queue._assign_tickets()
        self.assertFalse(ticket.user_id)
        # Agent 1 is on time off on Wednesday: only agent 2 gets tickets.
        resource = self.env["resource.resource"].create(
            {"name": "Agnes", "user_id": self.user_support.id, "calendar_id": self.calendar.id}
        )
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Time off",
                "calendar_id": self.calendar.id,
                "resource_id": resource.id,
                "date_from": "2026-03-04 00:00:00",
                "date_to": "2026-03-04 23:59:59",
            }
        )
        with freeze_time("2026-03-04 10:00:00"):
            tickets = ticket | self._create_ticket(name="other")
            self.queue._assign_tickets()
        self.assertEqual(tickets.user_id, self.user_support_2)

    @freeze_time("2026-03-04 10:00:00")
    def test_manual_queue_is_never_routed(self):
        ticket = self._create_ticket()
        self.assertFalse(self.queue._assign_tickets())
        self.assertFalse(ticket.user_id)
