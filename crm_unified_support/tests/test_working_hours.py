from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestWorkingHours(SupportCommon):
    """Time to first response and to close, stored in working hours of the
    queue's calendar (Mon-Fri 09:00-17:00 UTC, see SupportCommon).

    Hand-computed case across the weekend of 7-8 March 2026:

    * ticket A opened Friday 6 March 15:00;
    * ticket B opened Friday 6 March 16:30;
    * an agent answers A on Monday 9 March 11:00:
      Fri 15:00-17:00 (2 h) + Mon 09:00-11:00 (2 h) = 4 h
      (68 calendar hours);
    * A and B are closed together on Tuesday 10 March 10:00:
      A: Fri 2 h + Mon 8 h + Tue 09:00-10:00 1 h = 11 h (91 calendar hours);
      B: Fri 16:30-17:00 0.5 h + Mon 8 h + Tue 1 h = 9.5 h.
    """

    def _agent_answers(self, ticket):
        ticket.with_user(self.user_support).message_post(
            body="On it", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def test_first_response_and_close_in_working_hours_across_weekend(self):
        ticket_a = self._create_ticket_at(datetime(2026, 3, 6, 15, 0), name="A")
        ticket_b = self._create_ticket_at(datetime(2026, 3, 6, 16, 30), name="B")
        with freeze_time("2026-03-09 11:00:00"):
            self._agent_answers(ticket_a)
        self.assertEqual(ticket_a.first_response_date, datetime(2026, 3, 9, 11, 0))
        self.assertAlmostEqual(ticket_a.first_response_working_hours, 4.0)
        with freeze_time("2026-03-09 12:00:00"):
            self._agent_answers(ticket_a)
        self.assertAlmostEqual(
            ticket_a.first_response_working_hours, 4.0, msg="Only the first answer counts"
        )

        with freeze_time("2026-03-10 10:00:00"):
            (ticket_a | ticket_b).write({"stage_id": self.stage_solved.id})
        self.assertAlmostEqual(ticket_a.close_working_hours, 11.0)
        self.assertAlmostEqual(ticket_b.close_working_hours, 9.5)

        self.env.flush_all()
        Report = self.env["crm.support.ticket.report"]
        rows = {row.name: row for row in Report.search([("id", "in", (ticket_a | ticket_b).ids)])}
        self.assertAlmostEqual(rows["A"].hours_to_first_response, 4.0)
        self.assertAlmostEqual(rows["A"].hours_to_close, 11.0)
        self.assertFalse(rows["B"].hours_to_first_response, "B was never answered")
        self.assertAlmostEqual(rows["B"].hours_to_close, 9.5)
        [(avg_close,)] = Report._read_group(
            [("id", "in", (ticket_a | ticket_b).ids)], [], ["hours_to_close:avg"]
        )
        self.assertAlmostEqual(avg_close, 10.25)

        with freeze_time("2026-03-10 11:00:00"):
            ticket_a.stage_id = self.stage_progress
        self.assertFalse(ticket_a.close_date)
        self.assertFalse(ticket_a.close_working_hours, "Reopening clears the time to close")
        self.env.flush_all()
        Report.invalidate_model()
        self.assertFalse(Report.browse(ticket_a.id).hours_to_close)
        self.assertAlmostEqual(Report.browse(ticket_a.id).hours_to_first_response, 4.0)

    def test_weekend_only_ticket_counts_no_working_time(self):
        ticket = self._create_ticket_at(datetime(2026, 3, 7, 10, 0))
        with freeze_time("2026-03-08 18:00:00"):
            self._agent_answers(ticket)
            ticket.stage_id = self.stage_solved
        self.assertEqual(ticket.first_response_working_hours, 0.0)
        self.assertEqual(ticket.close_working_hours, 0.0)
        self.assertEqual(ticket.close_date, datetime(2026, 3, 8, 18, 0))

    def test_public_holiday_is_not_working_time(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.calendar.id,
                "date_from": datetime(2026, 3, 9, 0, 0),
                "date_to": datetime(2026, 3, 9, 23, 59, 59),
            }
        )
        ticket = self._create_ticket_at(datetime(2026, 3, 6, 15, 0))
        with freeze_time("2026-03-10 11:00:00"):
            self._agent_answers(ticket)
        # Fri 15:00-17:00 (2 h), Monday is a holiday, Tue 09:00-11:00 (2 h).
        self.assertAlmostEqual(ticket.first_response_working_hours, 4.0)
