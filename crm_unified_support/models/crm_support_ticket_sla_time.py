from pytz import utc

from odoo import api, fields, models

# Share of the SLA target used from which the countdown turns amber (red when late).
SLA_WARNING_RATIO = 0.75


class CrmSupportTicket(models.Model):
    """SLA time left: remaining working time of the governing SLA target."""

    _inherit = "crm.support.ticket"

    sla_time_left_hours = fields.Float(
        string="SLA Time Left",
        compute="_compute_sla_time_left",
        help="Working hours (queue calendar, public holidays excluded) from now to the "
        "deadline of the governing SLA target; negative when it is overdue.",
    )
    sla_time_used_ratio = fields.Float(
        string="SLA Share Used",
        compute="_compute_sla_time_left",
        help="Share of the governing target's working time already used (1.0 = deadline).",
    )
    sla_time_policy = fields.Char(
        string="Governing SLA",
        compute="_compute_sla_time_left",
        help="Policy and target whose deadline comes first among the open targets.",
    )
    sla_time_policy_count = fields.Integer(
        string="Open SLA Targets", compute="_compute_sla_time_left"
    )
    sla_time_state = fields.Selection(
        [
            ("on_track", "On track"),
            ("at_risk", "At risk"),
            ("late", "Late"),
            ("paused", "Paused"),
        ],
        string="SLA Countdown State",
        compute="_compute_sla_time_left",
    )
    sla_clock_running = fields.Boolean(
        compute="_compute_sla_time_left",
        help="Whether the countdown moves right now (inside working hours and not paused).",
    )

    def _compute_sla_time_left(self):
        """Batch: one work-interval computation per calendar for all tickets."""
        now = fields.Datetime.now()
        governing = {}
        for ticket in self:
            lines = ticket.sla_status_ids.filtered(
                lambda line: (
                    line.state in ("ongoing", "failed") and not line.reached_date and line.deadline
                )
            )
            if ticket.is_closed:
                lines = lines.browse()
            governing[ticket.id] = (lines.sorted(lambda line: (line.deadline, line.id))[:1], lines)
        intervals = self._sla_time_work_intervals(
            [
                (ticket.queue_id.resource_calendar_id, governing[ticket.id][0])
                for ticket in self
                if governing[ticket.id][0]
            ],
            now,
        )
        targets = dict(
            self.env["crm.support.ticket.sla"]
            ._fields["target_type"]
            ._description_selection(self.env)
        )
        for ticket in self:
            line, open_lines = governing[ticket.id]
            if not line:
                ticket.sla_time_left_hours = 0.0
                ticket.sla_time_used_ratio = 0.0
                ticket.sla_time_policy = False
                ticket.sla_time_policy_count = 0
                ticket.sla_time_state = False
                ticket.sla_clock_running = False
                continue
            calendar = ticket.queue_id.resource_calendar_id
            work = intervals.get(calendar.id)
            clock = line.paused_since or now
            if line.deadline >= clock:
                left = self._sla_time_hours_between(work, clock, line.deadline)
            else:
                left = -self._sla_time_hours_between(work, line.deadline, clock)
            target = line.target_hours or 0.0
            used = (target - left) / target if target else 1.0
            ticket.sla_time_left_hours = left
            ticket.sla_time_used_ratio = max(0.0, used)
            ticket.sla_time_policy = f"{line.sla_id.name} · {targets.get(line.target_type, '')}"
            ticket.sla_time_policy_count = len(open_lines)
            if line.paused_since:
                state = "paused"
            elif left < 0:
                state = "late"
            elif used >= SLA_WARNING_RATIO:
                state = "at_risk"
            else:
                state = "on_track"
            ticket.sla_time_state = state
            ticket.sla_clock_running = not line.paused_since and (
                work is None or any(start <= now < stop for start, stop in work)
            )

    @api.model
    def _sla_time_work_intervals(self, calendar_lines, now):
        """{calendar id: [(start, stop), ...] naive UTC} covering now and all deadlines.

        :param calendar_lines: [(resource.calendar, crm.support.ticket.sla)]

        One _work_intervals_batch per calendar (with its public holidays);
        calendars missing (wall-clock SLA) are left out.
        """
        by_calendar = {}
        for calendar, line in calendar_lines:
            if not calendar:
                continue
            points = [now, line.deadline]
            if line.paused_since:
                points.append(line.paused_since)
            low, high = by_calendar.get(calendar, (min(points), max(points)))
            by_calendar[calendar] = (min(low, *points), max(high, *points))
        result = {}
        for calendar, (low, high) in by_calendar.items():
            work = calendar._work_intervals_batch(utc.localize(low), utc.localize(high))[False]
            result[calendar.id] = [
                (
                    start.astimezone(utc).replace(tzinfo=None),
                    stop.astimezone(utc).replace(tzinfo=None),
                )
                for start, stop, _records in work
            ]
        return result

    @api.model
    def _sla_time_hours_between(self, work, start, end):
        """Working hours between two naive UTC datetimes; wall-clock hours without calendar."""
        if work is None:
            return (end - start).total_seconds() / 3600.0
        seconds = 0.0
        for low, high in work:
            overlap = (min(high, end) - max(low, start)).total_seconds()
            if overlap > 0:
                seconds += overlap
        return seconds / 3600.0
