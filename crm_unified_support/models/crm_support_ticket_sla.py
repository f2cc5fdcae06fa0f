import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors
from pytz import utc

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TARGET_TYPES = [
    ("first_response", "First response"),
    ("next_reply", "Next reply"),
    ("resolution", "Resolution"),
]


def _naive(dt):
    return dt.astimezone(utc).replace(tzinfo=None) if dt and dt.tzinfo else dt


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
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    queue_id = fields.Many2one(related="ticket_id.queue_id", store=True, index=True)
    user_id = fields.Many2one(related="ticket_id.user_id", string="Assigned to")
    target_type = fields.Selection(TARGET_TYPES, required=True)
    target_hours = fields.Float(required=True, help="Target in working hours.")
    start_date = fields.Datetime(required=True, help="When the clock started.")
    paused_since = fields.Datetime(readonly=True, help="Set while the clock is paused.")
    paused_hours = fields.Float(
        readonly=True, help="Working hours the clock stood still (added to the deadline)."
    )
    deadline = fields.Datetime(compute="_compute_deadline", store=True, index=True)
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
        "start_date", "target_hours", "paused_hours", "ticket_id.queue_id.resource_calendar_id"
    )
    def _compute_deadline(self):
        for line in self:
            calendar = line.ticket_id.queue_id.resource_calendar_id
            if not line.start_date:
                line.deadline = False
            elif not calendar:
                line.deadline = line.start_date + timedelta(
                    hours=line.target_hours + line.paused_hours
                )
            else:
                line.deadline = line._plan_working_hours(line.target_hours + line.paused_hours)

    @api.depends("deadline", "reached_date", "state")
    def _compute_exceeded_hours(self):
        now = fields.Datetime.now()
        for line in self:
            end = line.reached_date or (now if line.state == "failed" else False)
            if not end or not line.deadline or end <= line.deadline:
                line.exceeded_hours = 0.0
            else:
                line.exceeded_hours = line._working_hours_between(line.deadline, end)

    # ---- Working-time helpers ----

    def _plan_working_hours(self, hours, start=None):
        """Datetime (UTC naive) after ``hours`` working hours from ``start``,
        on the queue's calendar with its public holidays."""
        self.ensure_one()
        calendar = self.ticket_id.queue_id.resource_calendar_id
        start = utc.localize(start or self.start_date)
        return _naive(calendar.plan_hours(hours, start, compute_leaves=True))

    def _working_hours_between(self, start, end):
        self.ensure_one()
        calendar = self.ticket_id.queue_id.resource_calendar_id
        if not calendar:
            return (end - start).total_seconds() / 3600
        return calendar.get_work_hours_count(
            utc.localize(start), utc.localize(end), compute_leaves=True
        )

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

        Lines are locked with ``FOR NO KEY UPDATE SKIP LOCKED``: a concurrent run
        skips what this run holds. Each line stores the highest level fired, so
        a second run (or a retried one) sends nothing new.
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM crm_support_ticket_sla "
                        "WHERE reached_date IS NULL AND paused_since IS NULL "
                        "AND ticket_id IN (SELECT id FROM crm_support_ticket WHERE active) "
                        "AND state IN ('ongoing', 'failed') "
                        "ORDER BY deadline LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
                        batch_size,
                    ),
                    log_exceptions=False,
                )
                line_ids = [row[0] for row in self.env.cr.fetchall()]
        except pg_errors.SerializationFailure:
            _logger.info("SLA escalation: lines changed by a concurrent run, retry later")
            return
        lines = self.browse(line_ids)
        done = lines._escalate(now)
        self.env["ir.cron"]._notify_progress(done=len(done), remaining=0)

    def _escalate(self, now):
        """Fire the due levels of these lines.

        :return: the lines for which something fired
        """
        fired_lines = self.browse()
        newly_failed = self.browse()
        for line in self:
            if line.state == "ongoing" and line.deadline and line.deadline <= now:
                line.state = "failed"
                newly_failed |= line
            levels = line.sla_id.escalation_ids.filtered(
                lambda lvl, line=line: lvl.percent > line.escalation_percent
            ).sorted("percent")
            due = levels.filtered(lambda lvl, line=line: line._level_reached_at(lvl) <= now)
            if due:
                line._fire_levels(due)
                line.escalation_percent = max(due.mapped("percent"))
                fired_lines |= line
        newly_failed._log_breach()
        return fired_lines | newly_failed

    def _level_reached_at(self, level):
        self.ensure_one()
        hours = self.target_hours * level.percent / 100.0 + self.paused_hours
        return self._plan_working_hours(hours)

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
