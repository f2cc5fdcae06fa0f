import logging
from collections import defaultdict

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TARGET_TYPES = [
    ("first_response", "First response"),
    ("next_reply", "Next reply"),
    ("resolution", "Resolution"),
]

# Lines whose deadline or next escalation still depends on the calendar.
OPEN_CLOCK_DOMAIN = [
    ("reached_date", "=", False),
    "|",
    ("state", "=", "ongoing"),
    ("escalation_due_date", "!=", False),
]


class CrmSupportTicketSla(models.Model):
    """SLA status of one ticket for one target of one policy."""

    _name = "crm.support.ticket.sla"
    _description = "Ticket SLA Status"
    _order = "deadline, id"
    _check_company_auto = True

    ticket_id = fields.Many2one("crm.support.ticket", required=True, index=True, ondelete="cascade")
    sla_id = fields.Many2one(
        "crm.support.sla",
        string="SLA Policy",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="ticket_id.company_id", store=True, index=True, precompute=True
    )
    queue_id = fields.Many2one(
        related="ticket_id.queue_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(related="ticket_id.user_id", string="Assigned to")
    target_type = fields.Selection(TARGET_TYPES, required=True)
    target_hours = fields.Float(required=True, help="Target in working hours.")
    start_date = fields.Datetime(required=True, help="When the clock started.")
    paused_since = fields.Datetime(readonly=True, help="Set while the clock is paused.")
    paused_hours = fields.Float(
        readonly=True, help="Working hours the clock stood still (added to the deadline)."
    )
    deadline = fields.Datetime(
        compute="_compute_clock",
        store=True,
        precompute=True,
        index=True,
        help="UTC. Follows the queue calendar (working hours, holidays) while the "
        "target is open; kept as it was once the target is reached or failed.",
    )
    escalation_due_date = fields.Datetime(
        string="Next Escalation At",
        compute="_compute_clock",
        store=True,
        precompute=True,
        index=True,
        help="UTC moment when the next escalation level (or the breach) is due; "
        "empty when nothing more can fire (reached, paused, every level fired).",
    )
    reached_date = fields.Datetime(string="Reached on", readonly=True)
    state = fields.Selection(
        [
            ("ongoing", "Ongoing"),
            ("reached", "Reached"),
            ("reached_late", "Reached late"),
            ("failed", "Failed"),
        ],
        required=True,
        default="ongoing",
        index=True,
    )
    exceeded_hours = fields.Float(
        compute="_compute_exceeded_hours", help="Working hours past the deadline."
    )
    escalation_percent = fields.Integer(
        string="Escalated at (%)",
        readonly=True,
        default=0,
        help="Highest escalation level already fired for this status; levels fire once.",
    )

    @api.depends(
        "start_date",
        "target_hours",
        "paused_hours",
        "paused_since",
        "state",
        "reached_date",
        "escalation_percent",
        "queue_id.resource_calendar_id",
        "queue_id.company_id",
        "sla_id.escalation_ids.percent",
    )
    def _compute_clock(self):
        """Deadline and next escalation time of a batch of lines, planned on the
        queue calendar in one pass per calendar (see ``_support_plan``).

        Open lines (ongoing, not reached) follow their calendar; reached and
        failed lines keep the deadline they had."""
        requests, targets = [], []
        for line in self:
            calendar = line.queue_id.resource_calendar_id
            company = line.queue_id.company_id
            if line._clock_is_open():
                requests.append(
                    (calendar, company, line.start_date, line.target_hours + line.paused_hours)
                )
                targets.append((line, "deadline"))
            level = line._next_escalation_level()
            if level and not line.paused_since and not line.reached_date:
                requests.append((calendar, company, line.start_date, line._level_hours(level)))
                targets.append((line, "level"))
        planned = defaultdict(dict)
        results = self.env["resource.calendar"]._support_plan(requests)
        for (line, kind), moment in zip(targets, results, strict=True):
            planned[line][kind] = moment
        for line in self:
            values = planned.get(line, {})
            if "deadline" in values:
                line.deadline = values["deadline"]
            else:
                # Frozen: reached and failed targets keep their deadline.
                line.deadline = line.deadline
            due = [values.get("level")]
            if line._clock_is_open() and not line.paused_since:
                due.append(line.deadline)
            due = [moment for moment in due if moment]
            line.escalation_due_date = min(due) if due else False

    @api.depends("deadline", "reached_date", "state")
    def _compute_exceeded_hours(self):
        """Working hours past the deadline, for the whole batch at once."""
        now = fields.Datetime.now()
        requests = [
            (
                line.queue_id.resource_calendar_id,
                line.queue_id.company_id,
                line.deadline,
                line.reached_date or (now if line.state == "failed" else False),
            )
            for line in self
        ]
        hours = self.env["resource.calendar"]._support_hours_between(requests)
        for line, exceeded in zip(self, hours, strict=True):
            line.exceeded_hours = exceeded

    # ---- Working-time helpers ----

    def _clock_is_open(self):
        """True while the target runs: its deadline follows the calendar."""
        self.ensure_one()
        return self.state == "ongoing" and not self.reached_date and bool(self.start_date)

    def _next_escalation_level(self):
        """Lowest escalation level of the policy not fired yet (may be empty)."""
        self.ensure_one()
        return self.sla_id.escalation_ids.filtered(
            lambda level: level.percent > self.escalation_percent
        ).sorted("percent")[:1]

    def _level_hours(self, level):
        """Working hours from the start of the clock to ``level`` (pauses added)."""
        self.ensure_one()
        return self.target_hours * level.percent / 100.0 + self.paused_hours

    def _working_hours_between(self, start, end):
        """Working hours of the queue calendar between two naive UTC datetimes."""
        self.ensure_one()
        return self.env["resource.calendar"]._support_hours_between(
            [(self.queue_id.resource_calendar_id, self.queue_id.company_id, start, end)]
        )[0]

    @api.model
    def _sla_follow_calendars(self, calendars):
        """Open clocks and working-hours durations of the queues using these
        calendars are planned again (working hours or time zone changed)."""
        if not calendars:
            return
        # sudo: whoever may edit a calendar changes the deadlines derived from
        # it; the lines are system records support users cannot write.
        lines = self.sudo().search(
            [("queue_id.resource_calendar_id", "in", calendars.ids), *OPEN_CLOCK_DOMAIN]
        )
        lines._sla_recompute_clock()
        tickets = (
            self.env["crm.support.ticket"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("queue_id.resource_calendar_id", "in", calendars.ids),
                    "|",
                    ("first_response_date", "!=", False),
                    ("close_date", "!=", False),
                ]
            )
        )
        tickets._recompute_working_durations()

    @api.model
    def _sla_follow_leaves(self, scopes):
        """Open clocks and durations that a holiday added, moved or removed can
        change: same calendar (or, for a company-wide holiday, same company)
        and a clock running across the holiday.

        :param scopes: list of ``(calendar, company, date_from, date_to)``; an
            empty calendar means a company-wide holiday
        """
        line_domains, ticket_domains = [], []
        for calendar, company, date_from, date_to in scopes:
            where = (
                [("queue_id.resource_calendar_id", "=", calendar.id)]
                if calendar
                else [("queue_id.company_id", "=", company.id)]
            )
            line_domains.append(
                [
                    *where,
                    ("start_date", "<", date_to),
                    "|",
                    ("deadline", ">", date_from),
                    ("escalation_due_date", ">", date_from),
                ]
            )
            ticket_domains.append(
                [
                    *where,
                    ("create_date", "<", date_to),
                    "|",
                    ("first_response_date", ">", date_from),
                    ("close_date", ">", date_from),
                ]
            )
        if not scopes:
            return
        # sudo: see _sla_follow_calendars.
        lines = self.sudo().search(expression.AND([OPEN_CLOCK_DOMAIN, expression.OR(line_domains)]))
        lines._sla_recompute_clock()
        tickets = (
            self.env["crm.support.ticket"]
            .sudo()
            .with_context(active_test=False)
            .search(expression.OR(ticket_domains))
        )
        tickets._recompute_working_durations()

    def _sla_recompute_clock(self):
        """Plan these lines' deadline and next escalation again (on the next
        flush), and the ticket summaries that show them."""
        if not self:
            return
        for fname in ("deadline", "escalation_due_date"):
            self.env.add_to_compute(self._fields[fname], self)
        tickets = self.ticket_id
        for fname in ("sla_deadline", "sla_failed"):
            self.env.add_to_compute(tickets._fields[fname], tickets)

    # ---- Clock events ----

    def _reach(self, target_types, when):
        lines = self.filtered(
            lambda line: line.target_type in target_types and not line.reached_date
        )
        for line in lines:
            paused = (
                line.paused_since and line._working_hours_between(line.paused_since, when)
            ) or 0.0
            if paused:
                line.write({"paused_hours": line.paused_hours + paused, "paused_since": False})
            late = line.deadline and when > line.deadline
            line.write({"reached_date": when, "state": "reached_late" if late else "reached"})
        late = lines.filtered(
            lambda line: line.state == "reached_late" and line.escalation_percent < 100
        )
        late._log_breach()

    def _unreach(self):
        now = fields.Datetime.now()
        for line in self:
            failed = line.deadline and line.deadline < now
            line.write({"reached_date": False, "state": "failed" if failed else "ongoing"})

    def _pause(self, when):
        self.filtered(lambda line: not line.reached_date and not line.paused_since).write(
            {"paused_since": when}
        )

    def _resume(self, when):
        for line in self.filtered(lambda line: not line.reached_date and line.paused_since):
            paused = line._working_hours_between(line.paused_since, when)
            line.write({"paused_hours": line.paused_hours + paused, "paused_since": False})

    def _log_breach(self):
        vals_list = []
        for line in self:
            vals = line.ticket_id._prepare_support_interaction_values(
                "sla_breach", extra={"outcome": dict(TARGET_TYPES)[line.target_type]}
            )
            if vals:
                vals_list.append(vals)
        if vals_list:
            self.env["crm.interaction"]._log_interactions(vals_list)

    # ---- Escalation ----

    @api.model
    def _cron_escalate_sla(self, batch_size=500):
        """Fire due escalation levels and mark breached targets as failed.

        Only lines with something due are read: ``escalation_due_date`` (UTC,
        stored when the clock changes) is at or before now. Oldest due first;
        a processed line's next due time moves past now (or is cleared), so
        the next batch starts with other lines and none can starve.

        Lines are locked with ``FOR NO KEY UPDATE SKIP LOCKED``: a concurrent
        run skips what this run holds (and stops on a serialization failure).
        Each line stores the highest level fired, so a second or retried run
        sends nothing new.

        :param batch_size: lines handled by this run; the real number of due
            lines left is reported to ``ir.cron`` so it runs again at once
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        line_ids = self._lock_due_lines(now, batch_size)
        if line_ids is None:
            return
        # Emails of the escalation notices go through the mail queue (its own
        # batched cron) instead of being sent one by one by this run.
        self.browse(line_ids).with_context(mail_notify_force_send=False)._escalate(now)
        self.env.flush_all()
        self.env["ir.cron"]._notify_progress(
            done=len(line_ids), remaining=self._count_due_lines(now)
        )

    @api.model
    def _due_lines_where(self, now):
        return SQL(
            "line.escalation_due_date <= %s AND line.reached_date IS NULL "
            "AND line.paused_since IS NULL AND ticket.active",
            now,
        )

    @api.model
    def _lock_due_lines(self, now, limit):
        """Ids of due lines, oldest due first, locked for this transaction;
        None when a concurrent run changed them after our snapshot."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT line.id FROM crm_support_ticket_sla line "
                        "JOIN crm_support_ticket ticket ON ticket.id = line.ticket_id "
                        "WHERE %s ORDER BY line.escalation_due_date, line.id LIMIT %s "
                        "FOR NO KEY UPDATE OF line SKIP LOCKED",
                        self._due_lines_where(now),
                        limit,
                    ),
                    log_exceptions=False,
                )
                return [row[0] for row in self.env.cr.fetchall()]
        except pg_errors.SerializationFailure:
            _logger.info("SLA escalation: lines changed by a concurrent run, retry later")
            return None

    @api.model
    def _count_due_lines(self, now):
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM crm_support_ticket_sla line "
                "JOIN crm_support_ticket ticket ON ticket.id = line.ticket_id WHERE %s",
                self._due_lines_where(now),
            )
        )
        return self.env.cr.fetchone()[0]

    def _escalate(self, now):
        """Fire the due levels of these lines and fail the breached ones.

        Level times of the whole batch are planned in one pass per calendar.

        :param now: naive UTC datetime
        :return: the lines for which something fired or that failed
        """
        newly_failed = self.filtered(
            lambda line: line.state == "ongoing" and line.deadline and line.deadline <= now
        )
        requests, pairs = [], []
        for line in self.filtered(lambda line: not line.reached_date and not line.paused_since):
            for level in line.sla_id.escalation_ids:
                if level.percent > line.escalation_percent:
                    requests.append(
                        (
                            line.queue_id.resource_calendar_id,
                            line.queue_id.company_id,
                            line.start_date,
                            line._level_hours(level),
                        )
                    )
                    pairs.append((line, level))
        moments = self.env["resource.calendar"]._support_plan(requests)
        due_levels = defaultdict(lambda: self.env["crm.support.sla.escalation"])
        for (line, level), moment in zip(pairs, moments, strict=True):
            if moment and moment <= now:
                due_levels[line] |= level
        newly_failed.write({"state": "failed"})
        by_percent = defaultdict(list)
        for line, levels in due_levels.items():
            line._fire_levels(levels.sorted("percent"))
            by_percent[max(levels.mapped("percent"))].append(line.id)
        for percent, ids in by_percent.items():
            self.browse(ids).write({"escalation_percent": percent})
        newly_failed._log_breach()
        return self.browse([line.id for line in due_levels]) | newly_failed

    def _fire_levels(self, levels):
        self.ensure_one()
        ticket = self.ticket_id
        for level in levels:
            partners = self.env["res.partner"]
            if level.notify in ("assignee", "both"):
                partners |= ticket.user_id.partner_id
            if level.notify in ("manager", "both"):
                partners |= ticket.queue_id.manager_id.partner_id
            values = {}
            if level.raise_priority and ticket.priority < "3":
                values["priority"] = str(int(ticket.priority) + 1)
            if level.reassign_user_id:
                values["user_id"] = level.reassign_user_id.id
            if values:
                ticket.write(values)
            ticket.message_post(
                body=self._escalation_message(level),
                subtype_xmlid="crm_unified_support.mt_ticket_sla_escalation",
                message_type="notification",
                partner_ids=partners.ids,
            )

    def _escalation_message(self, level):
        self.ensure_one()
        target = dict(TARGET_TYPES)[self.target_type]
        if level.percent >= 100:
            return self.env._(
                "SLA %(policy)s breached: %(target)s was due on %(deadline)s (UTC).",
                policy=self.sla_id.name,
                target=target,
                deadline=self.deadline,
            )
        return self.env._(
            "SLA %(policy)s: %(percent)s%% of the %(target)s time is used; "
            "due on %(deadline)s (UTC).",
            policy=self.sla_id.name,
            percent=level.percent,
            target=target,
            deadline=self.deadline,
        )
