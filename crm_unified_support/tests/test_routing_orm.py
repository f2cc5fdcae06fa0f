from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestRoutingAsManager(SupportCommon):
    """Automatic assignment is recorded and notified like a manual one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.queue.assignment_method = "least_open"
        cls.agents = cls.env["crm.support.agent"].search(
            [("user_id", "in", (cls.user_support | cls.user_support_2).ids)]
        )

    def _assignment_notices(self, ticket, user):
        return self.env["mail.message"].search(
            [
                ("model", "=", ticket._name),
                ("res_id", "=", ticket.id),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", user.partner_id.ids),
            ]
        )

    @freeze_time("2026-03-04 10:00:00")  # Wednesday, working time
    def test_routing_tracks_notifies_and_subscribes_like_a_manager(self):
        self.agents.filtered(lambda a: a.user_id == self.user_support_2).capacity = 0
        routed = self._create_ticket(name="routed")
        by_hand = self._create_ticket(name="by hand")
        self.flush_tracking()

        self.assertEqual(self.queue._assign_tickets(tickets=routed), routed)
        by_hand.with_user(self.user_support_manager).user_id = self.user_support
        self.flush_tracking()

        for ticket in (routed, by_hand):
            self.assertEqual(ticket.user_id, self.user_support)
            self.assertTrue(ticket.date_assign)
            tracked = ticket.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "user_id"
            )
            self.assertEqual(len(tracked), 1, f"{ticket.name}: 'Assigned to' is tracked")
            self.assertEqual(tracked.new_value_integer, self.user_support.id)
            notice = self._assignment_notices(ticket, self.user_support)
            self.assertEqual(len(notice), 1, f"{ticket.name}: the agent is told once")
            self.assertIn("You have been assigned", notice.subject)
            self.assertIn(self.user_support.partner_id, ticket.message_partner_ids)

    @freeze_time("2026-03-04 10:00:00")
    def test_cron_passes_over_tickets_nobody_can_take(self):
        """Tickets needing a skill nobody has sit at the head of the queue
        (urgent, oldest): the routing cron still reaches the tickets behind
        them, batch after batch, and reports what is really left."""
        self.queue.assignment_method = "skills"
        rare = self.env["crm.support.skill"].create({"name": "T Klingon"})
        ticket_type = self.env["crm.support.ticket.type"].create(
            {"name": "T Alien", "skill_ids": [(6, 0, rare.ids)]}
        )
        self.agents.capacity = 100
        Ticket = self.env["crm.support.ticket"].with_context(mail_create_nolog=True)
        stuck = Ticket.create(
            [
                {"name": f"stuck {i}", "queue_id": self.queue.id, "priority": "3"}
                | {"type_id": ticket_type.id}
                for i in range(7)
            ]
        )
        normal = Ticket.create(
            [{"name": f"normal {i}", "queue_id": self.queue.id} for i in range(5)]
        )
        cron = "crm_unified_support.ir_cron_assign_tickets"
        done, remaining = self._run_cron_method(cron, "_cron_assign_tickets", batch_size=3)
        self.assertEqual(done, 3)
        self.assertGreater(remaining, 0, "The budget ran out: run again")
        for _run in range(10):  # as ir.cron does while work remains
            done, remaining = self._run_cron_method(cron, "_cron_assign_tickets", batch_size=3)
            if not remaining:
                break
        self.assertEqual(remaining, 0, "Only tickets nobody can take are left")
        self.assertTrue(all(normal.mapped("user_id")), "The tickets behind them were reached")
        self.assertFalse(stuck.user_id)
