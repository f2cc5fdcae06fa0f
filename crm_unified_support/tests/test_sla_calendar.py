from datetime import datetime

from freezegun import freeze_time
from pytz import utc

from odoo.tests import tagged
from odoo.tools import SQL

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSlaFollowsCalendar(SupportCommon):
    """Open SLA clocks follow every change of their calendar; finished ones
    keep their deadline and outcome.

    Calendar Europe/Brussels (UTC+1 in March until the 29th), Mon-Fri 08-12
    and 13-17. Ticket created Friday 13 March 2026 15:00 local (14:00 UTC)
    with a 4-hour first-response target: Fri 15-17 (2 h) + Mon 08-10 (2 h)
    -> Monday 16 March 10:00 local = 09:00 UTC. With Monday a holiday:
    Tuesday 17 March 10:00 local = 09:00 UTC.
    """

    MONDAY_10 = datetime(2026, 3, 16, 9, 0)  # UTC
    TUESDAY_10 = datetime(2026, 3, 17, 9, 0)  # UTC

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.brussels = cls.env["resource.calendar"].create(
            {
                "name": "Brussels office",
                "tz": "Europe/Brussels",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        },
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in ((8, 12, "morning"), (13, 17, "afternoon"))
                ],
            }
        )
        cls.queue.resource_calendar_id = cls.brussels
        cls.policy = cls.env["crm.support.sla"].create(
            {
                "name": "4h answer",
                "queue_id": cls.queue.id,
                "first_response_hours": 4,
                "escalation_ids": [(0, 0, {"percent": 50, "notify": "assignee"})],
            }
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other Co (SLA)"})

    def _new_ticket(self, when="2026-03-13 14:00:00"):
        with freeze_time(when):
            ticket = self._create_ticket(user_id=self.user_support.id)
        return ticket, ticket.sla_status_ids

    def _monday_holiday(self, **values):
        vals = {
            "name": "Public holiday",
            "calendar_id": self.brussels.id,
            # Monday 16 March 00:00-23:59:59 Brussels time, in UTC.
            "date_from": datetime(2026, 3, 15, 23, 0),
            "date_to": datetime(2026, 3, 16, 22, 59, 59),
        }
        vals.update(values)
        return self.env["resource.calendar.leaves"].create(vals)

    def _deadline(self, line):
        self.env.flush_all()
        return line.deadline

    def test_calendar_holiday_moves_open_deadline_and_back(self):
        ticket, line = self._new_ticket()
        self.assertEqual(line.deadline, self.MONDAY_10)
        # 50 % (2 h) is used at Friday 17:00 local = 16:00 UTC.
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 13, 16, 0))
        holiday = self._monday_holiday()
        self.assertEqual(self._deadline(line), self.TUESDAY_10)
        self.assertEqual(ticket.sla_deadline, self.TUESDAY_10, "The ticket summary follows")
        holiday.unlink()
        self.assertEqual(self._deadline(line), self.MONDAY_10, "Removing it moves it back")
        self.assertEqual(ticket.sla_deadline, self.MONDAY_10)

    def test_holiday_moved_or_turned_into_other_time(self):
        _ticket, line = self._new_ticket()
        holiday = self._monday_holiday()
        self.assertEqual(self._deadline(line), self.TUESDAY_10)
        # Moved to Wednesday: Monday works again.
        holiday.write(
            {"date_from": datetime(2026, 3, 17, 23, 0), "date_to": datetime(2026, 3, 18, 22, 0)}
        )
        self.assertEqual(self._deadline(line), self.MONDAY_10)
        # Back on Monday, then turned into "other" time (training): not a holiday.
        holiday.write(
            {"date_from": datetime(2026, 3, 15, 23, 0), "date_to": datetime(2026, 3, 16, 22, 0)}
        )
        self.assertEqual(self._deadline(line), self.TUESDAY_10)
        holiday.time_type = "other"
        self.assertEqual(self._deadline(line), self.MONDAY_10)

    def test_company_wide_holiday_counts_only_for_its_company(self):
        _ticket, line = self._new_ticket()
        other = self._monday_holiday(calendar_id=False, company_id=self.other_company.id)
        other.company_id = self.other_company  # computed field: force the other company
        self.assertEqual(other.company_id, self.other_company)
        self.assertEqual(self._deadline(line), self.MONDAY_10, "Another company's holiday")
        ours = self._monday_holiday(calendar_id=False)
        self.assertEqual(ours.company_id, self.queue.company_id)
        self.assertEqual(self._deadline(line), self.TUESDAY_10)
        ours.unlink()
        self.assertEqual(self._deadline(line), self.MONDAY_10)

    def test_employee_time_off_does_not_move_deadlines(self):
        _ticket, line = self._new_ticket()
        resource = self.env["resource.resource"].create(
            {"name": "Someone", "calendar_id": self.brussels.id}
        )
        self._monday_holiday(resource_id=resource.id)
        self.assertEqual(self._deadline(line), self.MONDAY_10)

    def test_working_hours_change_moves_open_deadline(self):
        _ticket, line = self._new_ticket()
        monday_morning = self.brussels.attendance_ids.filtered(
            lambda a: a.dayofweek == "0" and a.day_period == "morning"
        )
        monday_morning.hour_from = 9
        # Fri 2 h + Mon 09-11 local.
        self.assertEqual(self._deadline(line), datetime(2026, 3, 16, 10, 0))
        monday_morning.unlink()
        # Fri 2 h + Mon 13-15 local.
        self.assertEqual(self._deadline(line), datetime(2026, 3, 16, 14, 0))
        self.brussels.write(
            {
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Saturday",
                            "dayofweek": "5",
                            "hour_from": 8,
                            "hour_to": 10,
                            "day_period": "morning",
                        },
                    )
                ]
            }
        )
        # Fri 2 h + Sat 08-10 local.
        self.assertEqual(self._deadline(line), datetime(2026, 3, 14, 9, 0))

    def test_calendar_time_zone_change_moves_open_deadline(self):
        _ticket, line = self._new_ticket()
        self.brussels.tz = "Asia/Tokyo"
        # Created Fri 23:00 Tokyo: Mon 08-12 Tokyo = 4 h -> Mon 12:00 Tokyo = 03:00 UTC.
        self.assertEqual(self._deadline(line), datetime(2026, 3, 16, 3, 0))

    def test_queue_calendar_change_moves_open_deadline(self):
        _ticket, line = self._new_ticket()
        self.queue.resource_calendar_id = self.calendar  # Mon-Fri 09-17 UTC
        # Fri 14-17 UTC (3 h) + Mon 09-10 UTC.
        self.assertEqual(self._deadline(line), datetime(2026, 3, 16, 10, 0))

    def test_reached_and_failed_lines_keep_deadline_and_outcome(self):
        reached_ticket, reached = self._new_ticket()
        _failed_ticket, failed = self._new_ticket()
        _open_ticket, still_open = self._new_ticket()
        with freeze_time("2026-03-16 08:30:00"):
            reached_ticket.with_user(self.user_support).message_post(
                body="Answer", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(reached.state, "reached")
        # Only the failed line's ticket is overdue at this point: the other
        # open ticket is kept paused so the cron leaves it open.
        _open_ticket.stage_id = self.stage_waiting
        with freeze_time("2026-03-16 09:30:00"):
            self.env["crm.support.ticket.sla"]._cron_escalate_sla()
        self.assertEqual(failed.state, "failed")
        self.assertEqual(still_open.state, "ongoing")

        holiday = self._monday_holiday()
        self.assertEqual(self._deadline(reached), self.MONDAY_10)
        self.assertEqual(reached.state, "reached")
        self.assertEqual(self._deadline(failed), self.MONDAY_10)
        self.assertEqual(failed.state, "failed")
        self.assertEqual(self._deadline(still_open).date(), datetime(2026, 3, 17).date())

        holiday.unlink()
        self.brussels.tz = "Asia/Tokyo"
        self.queue.resource_calendar_id = self.calendar
        self.env.flush_all()
        self.assertEqual((reached.deadline, reached.state), (self.MONDAY_10, "reached"))
        self.assertEqual((failed.deadline, failed.state), (self.MONDAY_10, "failed"))
        self.assertFalse(reached.escalation_due_date)

    def test_batch_planning_matches_stock_plan_hours(self):
        """The batch planner gives what resource.calendar.plan_hours gives,
        across a holiday, a weekend and the change to summer time (29 March)."""
        self._monday_holiday()
        Calendar = self.env["resource.calendar"]
        cases = [
            (datetime(2026, 3, 13, 14, 0), 4.0),
            (datetime(2026, 3, 13, 14, 0), 0.0),
            (datetime(2026, 3, 27, 15, 30), 3.5),
            (datetime(2026, 3, 27, 6, 0), 40.0),
            (datetime(2026, 3, 14, 10, 0), 8.0),
            (datetime(2026, 3, 2, 7, 0), 200.0),
        ]
        planned = Calendar._support_plan(
            [(self.brussels, self.queue.company_id, start, hours) for start, hours in cases]
        )
        for (start, hours), ours in zip(cases, planned, strict=True):
            stock = self.brussels.plan_hours(
                hours,
                utc.localize(start),
                compute_leaves=True,
                domain=self.brussels._support_leave_domain(self.queue.company_id),
            )
            stock = stock.astimezone(utc).replace(tzinfo=None)
            self.assertEqual(ours, stock, f"{hours} h from {start}")

    def test_working_hours_durations_follow_the_calendar(self):
        """Time to first response (working hours) is a stored compute: it
        follows a holiday added or removed inside the measured period and a
        change of the queue's calendar.

        Created Fri 15:00 local, answered Mon 16 March 10:30 local (09:30 UTC):
        Fri 15-17 (2 h) + Mon 08-10:30 (2.5 h) = 4.5 h; with Monday a holiday:
        2 h; on the 09-17 UTC calendar: Fri 14-17 (3 h) + Mon 09-09:30 = 3.5 h.
        """
        ticket, _line = self._new_ticket()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_support_ticket SET create_date = %s WHERE id = %s",
                datetime(2026, 3, 13, 14, 0),
                ticket.id,
            )
        )
        ticket.invalidate_recordset(["create_date"])
        with freeze_time("2026-03-16 09:30:00"):
            ticket.with_user(self.user_support).message_post(
                body="Answer", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertAlmostEqual(ticket.first_response_working_hours, 4.5)
        holiday = self._monday_holiday()
        self.env.flush_all()
        self.assertAlmostEqual(ticket.first_response_working_hours, 2.0)
        holiday.unlink()
        self.env.flush_all()
        self.assertAlmostEqual(ticket.first_response_working_hours, 4.5)
        self.queue.resource_calendar_id = self.calendar
        self.env.flush_all()
        self.assertAlmostEqual(ticket.first_response_working_hours, 3.5)
