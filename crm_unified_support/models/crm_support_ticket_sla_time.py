from odoo import api, fields, models

from .working_time import WorkTimeline

# Share of the SLA target used from which the countdown turns amber (red when late).
SLA_WARNING_RATIO = 0.75


class CrmSupportTicket(models.Model):
    """SLA time left: remaining working time of the governing SLA target."""

    _inherit = "crm.support.ticket"

    sla_time_left_hours = fields.Float(
        string="SLA Time Left",
        compute="_compute_sla_time_left",
        help="Working hours (queue calendar, holidays of the queue's company excluded) "
        "from now to the deadline of the governing SLA target; negative when it is overdue.",
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
    sla_clock_running_until = fields.Datetime(
        compute="_compute_sla_time_left",
        help="End of the working period the countdown is in now (UTC): the countdown "
        "widget stops there instead of doing its own calendar arithmetic.",
    )

    def _compute_sla_time_left(self):
        """Batch: one work-interval computation per (calendar, company) for all tickets.

        The work intervals come from ``resource.calendar._support_intervals``,
        the function the SLA deadlines are planned with: the queue calendar's
        own leaves and the company-wide holidays of the queue's company only
        (``_support_leave_domain``), never another company's.
        """
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
        timelines = self._sla_time_work_intervals(
            [
                (
                    ticket.queue_id.resource_calendar_id,
                    ticket.queue_id.company_id,
                    governing[ticket.id][0],
                )
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
                ticket.sla_clock_running_until = False
                continue
            calendar = ticket.queue_id.resource_calendar_id
            timeline = timelines.get((calendar.id, ticket.queue_id.company_id.id))
            clock = line.paused_since or now
            if line.deadline >= clock:
                left = self._sla_time_hours_between(timeline, clock, line.deadline)
            else:
                left = -self._sla_time_hours_between(timeline, line.deadline, clock)
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
            current = None
            if timeline is not None:
                current = next(
                    (stop for start, stop in timeline.intervals if start <= now < stop), None
                )
            ticket.sla_clock_running = not line.paused_since and (timeline is None or bool(current))
            ticket.sla_clock_running_until = (
                current if ticket.sla_clock_running and timeline is not None else False
            )

    @api.model
    def _sla_time_work_intervals(self, calendar_company_lines, now):
        """Work timelines covering now and all deadlines, one per (calendar, company).

        :param calendar_company_lines: [(resource.calendar, res.company,
            crm.support.ticket.sla)]
        :param now: naive UTC datetime
        :return: {(calendar id, company id): WorkTimeline of naive UTC
            intervals}, holidays of ``_support_leave_domain`` removed;
            calendars missing (wall-clock SLA) are left out
        """
        bounds = {}
        for calendar, company, line in calendar_company_lines:
            if not calendar:
                continue
            points = [now, line.deadline]
            if line.paused_since:
                points.append(line.paused_since)
            key = (calendar, company)
            low, high = bounds.get(key, (min(points), max(points)))
            bounds[key] = (min(low, *points), max(high, *points))
        return {
            (calendar.id, company.id): WorkTimeline(calendar._support_intervals(company, low, high))
            for (calendar, company), (low, high) in bounds.items()
        }

    @api.model
    def _sla_time_hours_between(self, timeline, start, end):
        """Working hours between two naive UTC datetimes on a WorkTimeline;
        wall-clock hours when there is no calendar (``timeline`` None)."""
        if timeline is None:
            return (end - start).total_seconds() / 3600.0
        return timeline.hours_between(start, end)
