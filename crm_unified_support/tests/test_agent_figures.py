from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestAgentFigures(SupportCommon):
    """crm.support.ticket.get_my_support_figures: the agent's own dashboard figures."""

    def test_figures_count_only_my_tickets(self):
        Ticket = self.env["crm.support.ticket"].with_user(self.user_support)
        mine = self._create_ticket(user_id=self.user_support.id)
        self._create_ticket(user_id=self.user_support.id).sla_failed = True
        closed = self._create_ticket(user_id=self.user_support.id)
        closed.stage_id = self.stage_solved
        closed.rating_apply(4, token=closed._rating_get_access_token())
        self._create_ticket(user_id=self.user_support_2.id).sla_failed = True
        figures = Ticket.get_my_support_figures()
        self.assertEqual(figures["open"], 2)
        self.assertEqual(figures["breached"], 1)
        self.assertEqual(figures["csat"], 4.0)
        self.assertEqual(figures["rating_count"], 1)
        other = self.env["crm.support.ticket"].with_user(self.user_support_2)
        self.assertEqual(other.get_my_support_figures()["csat"], None)
        action = Ticket.action_my_support_figure("open")
        self.assertEqual(
            self.env["crm.support.ticket"].search(action["domain"]),
            mine
            | (
                self.env["crm.support.ticket"].search(
                    [("sla_failed", "=", True), ("user_id", "=", self.user_support.id)]
                )
            ),
        )
        with self.assertRaises(UserError):
            Ticket.action_my_support_figure("everything")

    def test_due_today_in_my_time_zone(self):
        self.user_support.tz = "UTC"
        with freeze_time("2026-03-10 08:00:00"):
            ticket = self._create_ticket(user_id=self.user_support.id)
        ticket.sla_deadline = "2026-03-10 15:00:00"
        with freeze_time("2026-03-10 09:00:00"):
            figures = (
                self.env["crm.support.ticket"].with_user(self.user_support).get_my_support_figures()
            )
        self.assertEqual(figures["due_today"], 1)
