from collections import defaultdict
from datetime import timedelta

from pytz import utc

from odoo import api, models

from .working_time import WorkTimeline

# Calendar fields that change its working time (attendances have their own hook).
WORK_TIME_FIELDS = {"tz", "two_weeks_calendar", "flexible_hours", "attendance_ids"}
PLAN_WINDOW = timedelta(days=14)
PLAN_ROUNDS = 10  # windows double: 14 days * (2**10 - 1), about 39 years


def _naive_utc(moment):
    return moment.astimezone(utc).replace(tzinfo=None)


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def write(self, vals):
        res = super().write(vals)
        if WORK_TIME_FIELDS & set(vals):
            self.env["crm.support.ticket.sla"]._sla_follow_calendars(self)
        return res

    # ---- Support working time ----

    def _support_leave_domain(self, company):
        """Holidays that count on this calendar for a queue of ``company``:
        the calendar's own leaves and the company-wide ones (no calendar) of
        that company only, never another company's."""
        self.ensure_one()
        return [
            ("time_type", "=", "leave"),
            "|",
            ("calendar_id", "=", self.id),
            ("company_id", "=", company.id),
        ]

    def _support_intervals(self, company, start, stop):
        """Work intervals of this calendar between two naive UTC datetimes,
        holidays removed, as naive UTC ``(begin, end)`` pairs."""
        self.ensure_one()
        intervals = self._work_intervals_batch(
            utc.localize(start), utc.localize(stop), domain=self._support_leave_domain(company)
        )[False]
        return [(_naive_utc(begin), _naive_utc(end)) for begin, end, _meta in intervals]

    @api.model
    def _support_plan(self, requests):
        """Deadlines after working hours, for a whole batch.

        :param requests: list of ``(calendar, company, start, hours)``; start is
            a naive UTC datetime, hours are working hours of the calendar
        :return: list of naive UTC datetimes (False when no start, or when the
            calendar has no working time within the horizon), in request order
        """
        results = [False] * len(requests)
        groups = defaultdict(list)
        for index, (calendar, company, start, hours) in enumerate(requests):
            if not start:
                continue
            if not calendar:
                results[index] = start + timedelta(hours=hours)
                continue
            groups[calendar, company].append(index)
        for (calendar, company), pending in groups.items():
            window_stop = min(requests[i][2] for i in pending)
            span = PLAN_WINDOW
            intervals = []
            for _round in range(PLAN_ROUNDS):
                intervals += calendar._support_intervals(company, window_stop, window_stop + span)
                window_stop += span
                span *= 2
                timeline = WorkTimeline(intervals)
                unplanned = []
                for index in pending:
                    _cal, _company, start, hours = requests[index]
                    deadline = timeline.plan(start, hours)
                    if deadline is None:
                        unplanned.append(index)
                    else:
                        results[index] = deadline
                pending = unplanned
                if not pending:
                    break
        return results

    @api.model
    def _support_hours_between(self, requests):
        """Working hours between two moments, for a whole batch.

        :param requests: list of ``(calendar, company, start, stop)``, naive UTC
        :return: list of floats (working hours, holidays excluded), in request
            order; 0.0 when a bound is missing or stop is before start
        """
        results = [0.0] * len(requests)
        groups = defaultdict(list)
        for index, (calendar, company, start, stop) in enumerate(requests):
            if not start or not stop or stop <= start:
                continue
            if not calendar:
                results[index] = (stop - start).total_seconds() / 3600
                continue
            groups[calendar, company].append(index)
        for (calendar, company), indexes in groups.items():
            start = min(requests[i][2] for i in indexes)
            stop = max(requests[i][3] for i in indexes)
            timeline = WorkTimeline(calendar._support_intervals(company, start, stop))
            for index in indexes:
                _cal, _company, begin, end = requests[index]
                results[index] = round(timeline.hours_between(begin, end), 4)
        return results
