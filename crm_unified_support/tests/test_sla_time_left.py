from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSlaTimeLeft(SupportCommon):
    """SLA countdown figures on the queue calendar: Mon-Fri 09:00-17:00 UTC, with a
    public holiday on Monday 9 March 2026.

    Ticket created Fri 06 March 15:00 with a policy "first response 4h,
    resolution 16h": first response due Tue 10 11:00, resolution Wed 11 15:00.
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
                "resolution_hours": 16,
            }
        )
        with freeze_time("2026-03-06 15:00:00"):
            cls.ticket = cls._create_ticket(user_id=cls.user_support.id)

    def _figures(self, when, ticket=None):
        ticket = ticket or self.ticket
        with freeze_time(when):
            ticket.invalidate_recordset()
            return {
                "left": round(ticket.sla_time_left_hours, 2),
                "used": round(ticket.sla_time_used_ratio, 3),
                "policy": ticket.sla_time_policy,
                "count": ticket.sla_time_policy_count,
                "state": ticket.sla_time_state,
                "running": ticket.sla_clock_running,
            }

    def test_time_left_is_working_time_not_wall_clock(self):
        # Fri 16-17 (1h) + Tue 09-11 (2h); the weekend and the holiday do not count.
        self.assertEqual(
            self._figures("2026-03-06 16:00:00"),
            {
                "left": 3.0,
                "used": 0.25,
                "policy": "Standard · First response",
                "count": 2,
                "state": "on_track",
                "running": True,
            },
        )
        saturday = self._figures("2026-03-07 12:00:00")
        self.assertEqual((saturday["left"], saturday["running"]), (2.0, False))
        holiday = self._figures("2026-03-09 10:00:00")
        self.assertEqual((holiday["left"], holiday["running"]), (2.0, False))

    def test_colour_follows_share_used_then_late(self):
        at_risk = self._figures("2026-03-10 10:30:00")
        self.assertEqual(
            (at_risk["left"], at_risk["used"], at_risk["state"]), (0.5, 0.875, "at_risk")
        )
        late = self._figures("2026-03-10 12:00:00")
        self.assertEqual((late["left"], late["state"]), (-1.0, "late"))
        # Late across the night: only working hours count (Tue 11-17 and Wed 09-10 = 7h).
        self.assertEqual(self._figures("2026-03-11 10:00:00")["left"], -7.0)

    def test_next_target_governs_once_one_is_reached_and_pause_freezes(self):
        with freeze_time("2026-03-10 09:30:00"):
            self.ticket.with_user(self.user_support).message_post(
                body="On it", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        # Resolution now governs: Tue 09:30-17 (7.5h) + Wed 09-15 (6h).
        figures = self._figures("2026-03-10 09:30:00")
        self.assertEqual(figures["policy"], "Standard · Resolution")
        self.assertEqual((figures["left"], figures["count"]), (13.5, 1))
        with freeze_time("2026-03-10 10:00:00"):
            self.ticket.stage_id = self.stage_waiting
        paused = self._figures("2026-03-10 12:00:00")
        # Frozen at the pause: Tue 10-17 (7h) + Wed 09-15 (6h).
        self.assertEqual(
            (paused["left"], paused["state"], paused["running"]), (13.0, "paused", False)
        )

    def test_closed_ticket_has_no_countdown(self):
        with freeze_time("2026-03-10 10:00:00"):
            self.ticket.stage_id = self.stage_solved
        self.assertFalse(self._figures("2026-03-10 10:00:00")["state"])

    def test_list_of_tickets_in_constant_queries(self):
        """One work-interval computation per calendar, whatever the number of tickets."""
        with freeze_time("2026-03-06 15:30:00"):
            more = self.env["crm.support.ticket"]
            for index in range(8):
                more |= self._create_ticket(name=f"Countdown {index}")

        def count(tickets):
            with freeze_time("2026-03-06 16:00:00"):
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                tickets.mapped("sla_time_left_hours")
                return self.cr.sql_log_count - before

        few = count(self.ticket | more[:1])
        self.assertEqual(count(self.ticket | more), few)

    def test_other_company_holiday_does_not_count(self):
        """A company-wide holiday (no calendar) of ANOTHER company is not a holiday
        of this queue: the countdown agrees with the deadline, which ignores it."""
        other = self.env["res.company"].create({"name": "Countdown Other Co"})
        # with_company: a leave's company is computed from its calendar, else env.company.
        leave = (
            self.env["resource.calendar.leaves"]
            .with_company(other)
            .create(
                {
                    "name": "Other company's day off",
                    "company_id": other.id,
                    "calendar_id": False,
                    "date_from": datetime(2026, 3, 10, 0, 0),
                    "date_to": datetime(2026, 3, 10, 23, 59, 59),
                }
            )
        )
        self.assertEqual((leave.company_id, leave.calendar_id), (other, leave.calendar_id.browse()))
        self.ticket.sla_status_ids.invalidate_recordset()
        first = self.ticket.sla_status_ids.filtered(
            lambda line: line.target_type == "first_response"
        )
        self.assertEqual(first.deadline, datetime(2026, 3, 10, 11, 0))
        # Fri 16-17 + Tue 09-11: Tuesday is a working day for this queue.
        figures = self._figures("2026-03-06 16:00:00")
        self.assertEqual((figures["left"], figures["used"]), (3.0, 0.25))
        self.assertEqual(self._figures("2026-03-10 10:00:00")["left"], 1.0)
        # The same holiday in the queue's own company does count, in both.
        self.env["resource.calendar.leaves"].with_company(self.queue.company_id).create(
            {
                "name": "Our day off",
                "company_id": self.queue.company_id.id,
                "calendar_id": False,
                "date_from": datetime(2026, 3, 10, 0, 0),
                "date_to": datetime(2026, 3, 10, 23, 59, 59),
            }
        )
        self.ticket.sla_status_ids.invalidate_recordset()
        self.assertEqual(first.deadline, datetime(2026, 3, 11, 11, 0))
        self.assertEqual(self._figures("2026-03-06 16:00:00")["left"], 3.0)
        self.assertEqual(self._figures("2026-03-10 10:00:00")["left"], 2.0)

    def test_clock_runs_until_the_end_of_the_working_period(self):
        """The widget gets the end of the current working period from the server."""
        with freeze_time("2026-03-06 16:00:00"):
            self.ticket.invalidate_recordset()
            self.assertTrue(self.ticket.sla_clock_running)
            self.assertEqual(self.ticket.sla_clock_running_until, datetime(2026, 3, 6, 17, 0))
        with freeze_time("2026-03-07 12:00:00"):
            self.ticket.invalidate_recordset()
            self.assertFalse(self.ticket.sla_clock_running_until)
