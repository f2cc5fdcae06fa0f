import logging
from ast import literal_eval
from datetime import datetime, time, timedelta

from psycopg2 import errors as pg_errors
from pytz import timezone, utc

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# A claim that loses a race against another worker fails with one of these;
# the claim is skipped and the batch goes on.
CLAIM_RACE_ERRORS = (pg_errors.SerializationFailure, pg_errors.LockNotAvailable)
# Ticket counts of the support dashboard, see _get_kpi_ticket_domain.
DASHBOARD_KPIS = ("open", "unassigned", "sla_failed", "due_today")
# Default period of the queue satisfaction figures (rating.parent.mixin).
RATING_PERIOD_DAYS = 30
# Candidate tickets read (and locked) at a time while routing one queue.
ROUTING_PAGE = 200


class CrmSupportQueue(models.Model):
    _name = "crm.support.queue"
    _description = "Support Queue"
    _inherit = ["mail.alias.mixin", "mail.thread", "rating.parent.mixin"]
    _order = "sequence, name"
    _check_company_auto = True
    # Ratings of the queue's tickets (rating.parent.mixin, see the ticket's
    # _rating_get_parent_field_name): average, count and satisfaction over the
    # last RATING_PERIOD_DAYS days, or the period in the context.

    @property
    def _rating_satisfaction_days(self):
        """Days of ratings counted by the queue's satisfaction figures: the
        ``rating_period_days`` context key (0 = all ratings), else 30."""
        return self.env.context.get("rating_period_days", RATING_PERIOD_DAYS) or False

    def _default_stage_ids(self):
        """The standard stages, shared by the queues that use them (as Odoo's
        project stages are), plus any stage not used by a queue yet. When all
        standard stages were deleted, a minimal open/closed pair is created so
        that a queue made with only a name works."""
        return [Command.set(self.env["crm.support.stage"]._get_default_queue_stages().ids)]

    def _default_ack_template(self):
        return self.env.ref(
            "crm_unified_support.mail_template_ticket_ack", raise_if_not_found=False
        )

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Html(translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    color = fields.Integer()
    member_ids = fields.Many2many(
        "res.users",
        "crm_support_queue_member_rel",
        "queue_id",
        "user_id",
        string="Members",
        domain=[("share", "=", False)],
        check_company=True,
    )
    manager_id = fields.Many2one(
        "res.users",
        string="Queue Manager",
        domain=[("share", "=", False)],
        check_company=True,
        tracking=True,
        help="Receives SLA breach escalations.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        check_company=True,
        compute="_compute_resource_calendar_id",
        store=True,
        readonly=False,
        precompute=True,
        help="SLA targets count only these working hours; its public holidays are skipped.",
    )
    stage_ids = fields.Many2many(
        "crm.support.stage",
        "crm_support_queue_stage_rel",
        "queue_id",
        "stage_id",
        string="Stages",
        default=_default_stage_ids,
    )
    visibility = fields.Selection(
        [
            ("members", "Queue members only"),
            ("internal", "All internal support users"),
            ("portal", "Internal users and customers (portal)"),
        ],
        required=True,
        default="portal",
        help="Who can see the tickets of this queue.",
    )
    portal_company_visibility = fields.Boolean(
        string="Company-wide Customer Access",
        default=True,
        help="Every portal contact of a customer company sees all tickets of the company, "
        "not only the tickets they opened.",
    )
    allow_portal_close = fields.Boolean(string="Customers Can Close", default=True)
    default_type_id = fields.Many2one(
        "crm.support.ticket.type",
        string="Default Ticket Type",
        help="Preselected on the portal's new-ticket form, and given to a portal ticket "
        "whose customer leaves the type to the team.",
    )
    use_rating = fields.Boolean(
        string="Customer Ratings", default=True, help="Ask the customer to rate closed tickets."
    )
    auto_close_days = fields.Integer(
        string="Auto-close After (days)",
        default=0,
        help="Close tickets waiting for the customer after this many days of silence. 0 = never.",
    )
    reopen_grace_days = fields.Integer(
        string="Reopen Grace Period (days)",
        default=7,
        help="A customer reply to a closed ticket within this period reopens it; "
        "a later reply opens a new, linked ticket.",
    )
    assignment_method = fields.Selection(
        [
            ("manual", "Manual"),
            ("round_robin", "Round robin"),
            ("least_open", "Least open tickets"),
            ("skills", "Skills and capacity"),
        ],
        required=True,
        default="manual",
    )
    follow_salesperson = fields.Boolean(
        string="Salesperson Follows",
        help="The customer's salesperson follows the tickets of their customers.",
    )
    ack_template_id = fields.Many2one(
        "mail.template",
        string="Acknowledgement Email",
        domain=[("model", "=", "crm.support.ticket")],
        default=_default_ack_template,
        help="Sent to the customer when an email creates a ticket. Never sent to "
        "auto-replies, mailing lists or bounces.",
    )
    sender_hourly_limit = fields.Integer(
        string="Tickets per Sender per Hour",
        default=10,
        help="Guard against mail loops: after this many tickets opened by one sender "
        "within an hour, further emails of that sender are added to their latest ticket, "
        "without acknowledgement. 0 = no limit.",
    )
    ticket_ids = fields.One2many("crm.support.ticket", "queue_id", string="Tickets")
    open_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    unassigned_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    sla_failed_ticket_count = fields.Integer(compute="_compute_ticket_counts")
    due_today_ticket_count = fields.Integer(
        compute="_compute_ticket_counts",
        help="Open tickets whose next SLA deadline falls today (your time zone).",
    )
    # rating.parent.mixin figures, per rating period (see _rating_satisfaction_days).
    rating_percentage_satisfaction = fields.Integer(depends_context=("rating_period_days",))
    rating_count = fields.Integer(depends_context=("rating_period_days",))
    rating_avg = fields.Float(depends_context=("rating_period_days",))
    rating_avg_percentage = fields.Float(depends_context=("rating_period_days",))
    sla_ids = fields.One2many("crm.support.sla", "queue_id", string="SLA Policies")

    _sql_constraints = [
        (
            "auto_close_days_positive",
            "CHECK (auto_close_days >= 0)",
            "Auto-close days cannot be negative.",
        ),
        (
            "sender_hourly_limit_positive",
            "CHECK (sender_hourly_limit >= 0)",
            "The hourly limit of tickets per sender cannot be negative.",
        ),
        (
            "reopen_grace_days_positive",
            "CHECK (reopen_grace_days >= 0)",
            "The reopen grace period cannot be negative.",
        ),
    ]

    def _compute_ticket_counts(self):
        """Dashboard KPIs: one grouped count per KPI for all queues at once."""
        Ticket = self.env["crm.support.ticket"]
        counts = {}
        for kpi in DASHBOARD_KPIS:
            domain = [("queue_id", "in", self.ids), *self._get_kpi_ticket_domain(kpi)]
            counts[kpi] = dict(Ticket._read_group(domain, ["queue_id"], ["__count"]))
        for queue in self:
            queue.open_ticket_count = counts["open"].get(queue, 0)
            queue.unassigned_ticket_count = counts["unassigned"].get(queue, 0)
            queue.sla_failed_ticket_count = counts["sla_failed"].get(queue, 0)
            queue.due_today_ticket_count = counts["due_today"].get(queue, 0)

    @api.depends("company_id")
    def _compute_resource_calendar_id(self):
        # A queue works the hours of its own company, not of whoever creates it.
        for queue in self:
            if not queue.resource_calendar_id or queue.resource_calendar_id.company_id not in (
                queue.company_id,
                self.env["res.company"],
            ):
                queue.resource_calendar_id = (
                    queue.company_id.resource_calendar_id or self.env.company.resource_calendar_id
                )

    @api.model
    def _get_kpi_ticket_domain(self, kpi):
        """Domain of the tickets counted by a dashboard KPI (and shown by its button)."""
        open_domain = [("is_closed", "=", False)]
        if kpi == "open":
            return open_domain
        if kpi == "unassigned":
            return [*open_domain, ("user_id", "=", False)]
        if kpi == "sla_failed":
            return [*open_domain, ("sla_failed", "=", True)]
        if kpi == "due_today":
            start, stop = self._get_today_bounds()
            return [*open_domain, ("sla_deadline", ">=", start), ("sla_deadline", "<", stop)]
        raise UserError(self.env._("Unknown dashboard indicator: %(kpi)s", kpi=kpi))

    @api.model
    def _get_today_bounds(self):
        """Start and end of the user's today, as naive UTC datetimes."""
        tz = timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        today = fields.Date.context_today(self)
        start = tz.localize(datetime.combine(today, time.min))
        stop = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        return (
            start.astimezone(utc).replace(tzinfo=None),
            stop.astimezone(utc).replace(tzinfo=None),
        )

    # ---- Constraints ----

    @api.constrains("stage_ids")
    def _check_stage_ids(self):
        self._check_open_and_closing_stages()

    def _check_open_and_closing_stages(self):
        """Every queue keeps at least one open and one closing stage (new
        tickets need the first, closing from the portal or the auto-close
        cron the second).

        :raise ValidationError: naming the queue and what it lacks
        """
        for queue in self.exists():
            stages = queue.stage_ids
            if not stages.filtered(lambda s: not s.is_closed):
                raise ValidationError(
                    self.env._(
                        "The queue %(queue)s needs at least one open stage "
                        "(a stage that is not a closing stage).",
                        queue=queue.name,
                    )
                )
            if not stages.filtered("is_closed"):
                raise ValidationError(
                    self.env._(
                        "The queue %(queue)s needs at least one closing stage.", queue=queue.name
                    )
                )

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        queues = super().create(vals_list)
        queues._sync_agents()
        return queues

    def write(self, vals):
        res = super().write(vals)
        if "member_ids" in vals or "company_id" in vals:
            self._sync_agents()
        return res

    def _sync_agents(self):
        Agent = self.env["crm.support.agent"]
        for company, queues in self.grouped("company_id").items():
            # sudo: agent profiles are technical routing data; members are set by
            # whoever may edit the queue, the profile only mirrors that choice.
            Agent.sudo()._ensure_agents(queues.member_ids, company)

    # ---- Alias ----

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get("crm.support.ticket").id
        if self.id:
            values["alias_defaults"] = defaults = literal_eval(self.alias_defaults or "{}")
            defaults["queue_id"] = self.id
        return values

    # ---- Actions ----

    def action_view_tickets(self):
        """Tickets of the queue; with ``dashboard_kpi`` in the context, only
        the tickets counted by that dashboard KPI."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        kpi = self.env.context.get("dashboard_kpi")
        action["domain"] = [("queue_id", "=", self.id)]
        action["context"] = {"default_queue_id": self.id, "search_default_filter_open": 1}
        action["display_name"] = self.name
        if kpi:
            action["domain"] += self._get_kpi_ticket_domain(kpi)
            action["context"] = {"default_queue_id": self.id}
            action["display_name"] = self.env._(
                "%(queue)s: %(kpi)s", queue=self.name, kpi=self._get_kpi_labels()[kpi]
            )
        return action

    @api.model
    def _get_kpi_labels(self):
        return {
            "open": self.env._("Open"),
            "unassigned": self.env._("Unassigned"),
            # Same words as the agent's own figures: "SLA breached", "SLA due today".
            "sla_failed": self.env._("SLA breached"),
            "due_today": self.env._("SLA due today"),
        }

    def action_view_ticket_flow(self):
        """Tickets created vs closed per day for this queue (managers)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_flow_report_action"
        )
        action["domain"] = [("queue_id", "=", self.id)]
        action["display_name"] = self.env._("%(queue)s: created vs closed", queue=self.name)
        return action

    def action_assign_tickets(self):
        assigned = self._assign_tickets()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if assigned else "warning",
                "message": self.env._("Tickets assigned: %(count)s.", count=len(assigned)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ---- Routing ----

    @api.model
    def _cron_assign_tickets(self, batch_size=200):
        """Route a batch of tickets; the cron runs again at once while
        assignable tickets remain (each run is its own transaction).

        Queues go by their longest-waiting unassigned ticket; inside a queue,
        tickets no agent can take now (skills) are passed over, not retried
        at the head of every run, so they cannot starve the others.

        :param batch_size: tickets assigned at most by this run
        """
        queues = self.search([("assignment_method", "!=", "manual")])
        assigned = queues._assign_tickets(limit=batch_size)
        remaining = 0
        if len(assigned) >= batch_size:
            # The budget ran out: what is left may still be assignable.
            remaining = self.env["crm.support.ticket"].search_count(
                [("queue_id", "in", queues.ids), ("user_id", "=", False), ("is_closed", "=", False)]
            )
        self.env["ir.cron"]._notify_progress(done=len(assigned), remaining=remaining)

    def _assign_tickets(self, tickets=None, limit=None):
        """Give unassigned open tickets to available agents.

        Each ticket is claimed in its own short savepoint: the ticket row is
        locked with ``FOR NO KEY UPDATE SKIP LOCKED`` (a ticket being claimed by
        another worker is skipped), then the chosen agent's row is locked the
        same way and the open tickets of the agent are counted under that lock.
        Under REPEATABLE READ, a worker whose snapshot is older than another
        worker's committed claim on the same ticket or agent gets a
        serialization failure on that lock: the claim is skipped and the batch
        goes on, so no ticket is given twice and no agent goes over capacity.
        The assignment itself is an ORM write (tracking, "you have been
        assigned" notification, followers), as when a manager assigns.

        :param tickets: only these tickets (default: every unassigned one)
        :param limit: assign at most this many tickets over all queues
        :return: the tickets assigned by this call
        """
        Ticket = self.env["crm.support.ticket"]
        assigned = Ticket.browse()
        for queue in self._routing_queue_order():
            budget = None if limit is None else limit - len(assigned)
            if budget is not None and budget <= 0:
                break
            assigned |= queue._assign_queue_backlog(tickets, budget)
        return assigned

    def _routing_queue_order(self):
        """Routed queues having unassigned open tickets, the queue whose
        oldest such ticket waits longest first."""
        queues = self.filtered(lambda q: q.assignment_method != "manual")
        if not queues:
            return queues
        groups = self.env["crm.support.ticket"]._read_group(
            [("queue_id", "in", queues.ids), ("user_id", "=", False), ("is_closed", "=", False)],
            ["queue_id"],
            ["create_date:min"],
        )
        oldest = {queue.id: first for queue, first in groups}
        return queues.filtered(lambda q: q.id in oldest).sorted(lambda q: (oldest[q.id], q.id))

    def _assign_queue_backlog(self, tickets=None, budget=None):
        """Assign this queue's candidates page by page until the budget is
        used, no candidate is left or no agent has room.

        :return: the tickets assigned
        """
        self.ensure_one()
        Ticket = self.env["crm.support.ticket"]
        agents, load_by_agent = self._get_available_agents()
        assigned = Ticket.browse()
        after = None
        while agents and (budget is None or len(assigned) < budget):
            if all(load_by_agent[agent.id] >= agent.capacity for agent in agents):
                break
            page = ROUTING_PAGE if budget is None else min(ROUTING_PAGE, budget - len(assigned))
            rows = self._lock_candidate_tickets(tickets, page, after)
            if not rows:
                break
            after = rows[-1][1], rows[-1][0]
            assigned |= self._assign_queue_tickets(
                Ticket.browse([row[0] for row in rows]), agents, load_by_agent
            )
        return assigned

    def _lock_candidate_tickets(self, tickets=None, limit=None, after=None):
        """Unassigned open tickets of the queue, highest priority then oldest
        first, locked for this transaction; tickets another worker holds are
        skipped, not waited for.

        :param after: ``(priority, id)`` of the last ticket of the previous page
        :return: list of ``(id, priority)``
        """
        self.ensure_one()
        self.env["crm.support.ticket"].flush_model()
        query = SQL(
            "SELECT id, priority FROM crm_support_ticket WHERE queue_id = %s AND user_id IS NULL "
            "AND is_closed IS NOT TRUE AND active %s %s ORDER BY priority DESC, id %s "
            "FOR NO KEY UPDATE SKIP LOCKED",
            self.id,
            SQL("AND id = ANY(%s)", tickets.ids) if tickets is not None else SQL(),
            SQL("AND (priority < %s OR (priority = %s AND id > %s))", after[0], after[0], after[1])
            if after
            else SQL(),
            SQL("LIMIT %s", limit) if limit else SQL(),
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return self.env.cr.fetchall()
        except CLAIM_RACE_ERRORS:
            _logger.info(
                "Queue %s: candidate tickets changed by another worker, retry later", self.id
            )
            return []

    def _get_available_agents(self):
        """Agents of the queue who work now and have room for one more ticket.

        :return: (agents, {agent_id: open ticket count})
        """
        self.ensure_one()
        agents = self.env["crm.support.agent"].search(
            [("user_id", "in", self.member_ids.ids), ("company_id", "=", self.company_id.id)]
        )
        agents = agents._filter_working_at(fields.Datetime.now(), self.resource_calendar_id)
        loads = dict(
            self.env["crm.support.ticket"]._read_group(
                [("user_id", "in", agents.user_id.ids), ("is_closed", "=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        load_by_agent = {agent.id: loads.get(agent.user_id, 0) for agent in agents}
        return agents.filtered(lambda a: load_by_agent[a.id] < a.capacity), load_by_agent

    def _routing_rank_agents(self, ticket, agents, load_by_agent):
        """Agents able to take ``ticket``, best first, for the queue's method."""
        self.ensure_one()
        agents = agents.filtered(lambda a: load_by_agent[a.id] < a.capacity)
        method = getattr(self, f"_routing_rank_{self.assignment_method}")
        return method(ticket, agents, load_by_agent)

    def _routing_rank_round_robin(self, ticket, agents, load_by_agent):
        return agents.sorted(
            lambda a: (a.last_assignment_date or fields.Datetime.to_datetime("1970-01-01"), a.id)
        )

    def _routing_rank_least_open(self, ticket, agents, load_by_agent):
        return agents.sorted(lambda a: (load_by_agent[a.id], a.id))

    def _routing_rank_skills(self, ticket, agents, load_by_agent):
        needed = ticket.type_id.skill_ids | ticket.tag_ids.skill_ids
        skilled = agents.filtered(lambda a: needed <= a.skill_ids)
        return self._routing_rank_least_open(ticket, skilled, load_by_agent)

    def _assign_queue_tickets(self, tickets, agents=None, load_by_agent=None):
        """Give each of ``tickets`` to the best agent with room.

        :param agents: available agents and ``load_by_agent`` their open
            ticket counts (updated in place); read when not given
        :return: the tickets assigned
        """
        self.ensure_one()
        if agents is None:
            agents, load_by_agent = self._get_available_agents()
        if not agents:
            return tickets.browse()
        assigned = tickets.browse()
        for ticket in tickets:
            for agent in self._routing_rank_agents(ticket, agents, load_by_agent):
                result = self._claim_ticket(ticket, agent)
                if result == "claimed":
                    assigned |= ticket
                    load_by_agent[agent.id] += 1
                    ticket._routing_after_assign(agent.user_id)
                    break
                if result == "ticket_gone":
                    break
                if result == "agent_lost":
                    # Another worker gave this agent a ticket after our snapshot:
                    # leave the agent to that worker for the rest of the batch.
                    load_by_agent[agent.id] = agent.capacity
        return assigned

    def _claim_ticket(self, ticket, agent):
        """Claim one ticket for one agent: lock both rows in a savepoint, check
        the agent's room under the lock, then assign through the ORM.

        :return: "claimed", "ticket_gone" (taken, locked or closed by someone
            else), "agent_busy" (agent locked by another worker or full) or
            "agent_lost" (agent changed by a worker that committed after our snapshot)
        """
        cr = self.env.cr
        step = "ticket"
        # Assignments written earlier in this transaction count in the recount.
        self.env["crm.support.ticket"].flush_model(["user_id", "is_closed"])
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        "SELECT id FROM crm_support_ticket WHERE id = %s AND user_id IS NULL "
                        "FOR NO KEY UPDATE SKIP LOCKED",
                        ticket.id,
                    ),
                    log_exceptions=False,
                )
                if not cr.fetchone():
                    return "ticket_gone"
                step = "agent"
                cr.execute(
                    SQL(
                        "SELECT id FROM crm_support_agent WHERE id = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED",
                        agent.id,
                    ),
                    log_exceptions=False,
                )
                if not cr.fetchone():
                    return "agent_busy"
                # Recount under the lock: claims committed by others before our
                # snapshot are visible here, later ones made the lock fail.
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM crm_support_ticket "
                        "WHERE user_id = %s AND is_closed IS NOT TRUE",
                        agent.user_id.id,
                    ),
                    log_exceptions=False,
                )
                if cr.fetchone()[0] >= agent.capacity:
                    return "agent_busy"
        except CLAIM_RACE_ERRORS:
            _logger.info(
                "Ticket %s: lost the claim race on the %s for agent %s, skipped",
                ticket.id,
                step,
                agent.id,
            )
            return "ticket_gone" if step == "ticket" else "agent_lost"
        # Both rows stay locked until the transaction ends (locks outlive the
        # released savepoint): write as a manager would, with tracking,
        # followers and the assignment notification.
        now = fields.Datetime.now()
        agent.write({"last_assignment_date": now})
        ticket.write({"user_id": agent.user_id.id, "date_assign": now})
        return "claimed"
