from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSla(SupportCommon):
    """SLA deadlines on the queue calendar: Mon-Fri 09:00-17:00 UTC, with the
    weekend of 7-8 March 2026 and a public holiday on Monday 9 March 2026.

    Hand-computed timeline (policy: first response 4h, next reply 2h, resolution 16h):

    * Fri 06 15:00  ticket created.
      First response: Fri 15-17 (2h) + Tue 09-11 (2h)          -> Tue 10 11:00.
      Resolution:     Fri 2h + Tue 8h + Wed 09-15 (6h)          -> Wed 11 15:00.
    * Tue 10 09:30  agent answers: first response reached, in time.
    * Tue 10 10:00  ticket waits for the customer (SLA paused stage).
    * Wed 11 10:00  back in progress. Paused working time: Tue 10-17 (7h)
      + Wed 09-10 (1h) = 8h, so resolution needs 24 working hours:
      Fri 2h + Tue 8h + Wed 8h + Thu 09-15 (6h)                 -> Thu 12 15:00.
    * Wed 11 11:00  customer writes: next reply due 2h later   -> Wed 11 13:00.
    * Wed 11 14:00  agent answers: next reply reached late, 1h over.
    * Thu 12 16:00  solved: resolution reached late, 1h over.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "date_from": datetime(2026, 3, 9, 0, 0),
                "date_to": datetime(2026, 3, 9, 23, 59, 59),
            }
        )
        cls.policy = cls.env["crm.support.sla"].create(
            {
                "name": "Standard",
                "queue_id": cls.queue.id,
                "first_response_hours": 4,
                "next_reply_hours": 2,
                "resolution_hours": 16,
            }
        )

    def _line(self, ticket, target_type):
        return ticket.sla_status_ids.filtered(lambda line: line.target_type == target_type)

    def _customer_writes(self, ticket):
        ticket.message_post(
            body="Still broken",
            author_id=self.customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _agent_answers(self, ticket):
        ticket.with_user(self.user_support).message_post(
            body="On it", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def test_sla_deadlines_weekend_holiday_pause(self):
        with freeze_time("2026-03-06 15:00:00"):
            ticket = self._create_ticket(user_id=self.user_support.id)
        first, resolution = self._line(ticket, "first_response"), self._line(ticket, "resolution")
        self.assertEqual(first.deadline, datetime(2026, 3, 10, 11, 0))
        self.assertEqual(resolution.deadline, datetime(2026, 3, 11, 15, 0))
        self.assertFalse(
            self._line(ticket, "next_reply"), "Next reply starts on a customer message"
        )

        with freeze_time("2026-03-10 09:30:00"):
            self._agent_answers(ticket)
        self.assertEqual(first.state, "reached")
        self.assertEqual(first.reached_date, datetime(2026, 3, 10, 9, 30))
        self.assertEqual(ticket.first_response_date, datetime(2026, 3, 10, 9, 30))

        with freeze_time("2026-03-10 10:00:00"):
            ticket.stage_id = self.stage_waiting
        self.assertEqual(resolution.paused_since, datetime(2026, 3, 10, 10, 0))
        self.assertFalse(first.paused_since, "A reached target is not paused")

        with freeze_time("2026-03-11 10:00:00"):
            ticket.stage_id = self.stage_progress
        self.assertFalse(resolution.paused_since)
        self.assertAlmostEqual(resolution.paused_hours, 8.0)
        self.assertEqual(resolution.deadline, datetime(2026, 3, 12, 15, 0))
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 12, 15, 0))

        with freeze_time("2026-03-11 11:00:00"):
            self._customer_writes(ticket)
        next_reply = self._line(ticket, "next_reply")
        self.assertEqual(len(next_reply), 1)
        self.assertEqual(next_reply.start_date, datetime(2026, 3, 11, 11, 0))
        self.assertEqual(next_reply.deadline, datetime(2026, 3, 11, 13, 0))

        with freeze_time("2026-03-11 14:00:00"):
            self._agent_answers(ticket)
        self.assertEqual(next_reply.state, "reached_late")
        self.assertAlmostEqual(next_reply.exceeded_hours, 1.0)
        self.assertTrue(ticket.sla_failed)

        with freeze_time("2026-03-12 16:00:00"):
            ticket.stage_id = self.stage_solved
        self.assertEqual(resolution.state, "reached_late")
        self.assertEqual(resolution.reached_date, datetime(2026, 3, 12, 16, 0))
        self.assertAlmostEqual(resolution.exceeded_hours, 1.0)
        self.assertEqual(ticket.close_date, datetime(2026, 3, 12, 16, 0))

    def test_sla_reapplied_when_ticket_changes(self):
        vip = self.env["crm.segment"].create(
            {
                "name": "VIP",
                "segment_type": "static",
                "partner_ids": [(6, 0, self.customer_company.ids)],
            }
        )
        vip_policy = self.env["crm.support.sla"].create(
            {
                "name": "VIP urgent",
                "queue_id": self.queue.id,
                "priority": "3",
                "segment_ids": [(6, 0, vip.ids)],
                "first_response_hours": 1,
            }
        )
        with freeze_time("2026-03-06 10:00:00"):
            ticket = self._create_ticket()
            other = self._create_ticket(partner_id=self.other_customer.id, priority="3")
            self.assertNotIn(vip_policy, ticket.sla_status_ids.sla_id, "Priority too low")
            self.assertNotIn(vip_policy, other.sla_status_ids.sla_id, "Customer not in the segment")
            ticket.priority = "3"
        vip_line = ticket.sla_status_ids.filtered(lambda line: line.sla_id == vip_policy)
        self.assertEqual(len(vip_line), 1)
        self.assertEqual(vip_line.deadline, datetime(2026, 3, 6, 11, 0))
        ticket.priority = "1"
        self.assertFalse(
            vip_line.exists(), "An open target of a policy that stops applying is dropped"
        )
        self.assertIn(self.policy, ticket.sla_status_ids.sla_id)

    def test_reopen_unreaches_resolution(self):
        with freeze_time("2026-03-06 10:00:00"):
            ticket = self._create_ticket()
            ticket.stage_id = self.stage_solved
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.state, "reached")
        with freeze_time("2026-03-06 11:00:00"):
            ticket.stage_id = self.stage_progress
        self.assertEqual(resolution.state, "ongoing")
        self.assertFalse(resolution.reached_date)
        self.assertFalse(ticket.close_date)
