from datetime import timedelta

from pytz import utc

from odoo import api, fields, models


class CrmSupportAgent(models.Model):
    """Routing profile of a support agent: capacity, skills and working time.

    One row per user and company. Routing locks this row while it gives the
    agent a ticket, which is what keeps two concurrent workers from pushing the
    agent over capacity.
    """

    _name = "crm.support.agent"
    _description = "Support Agent"
    _order = "user_id"
    _rec_name = "user_id"
    _check_company_auto = True

    user_id = fields.Many2one(
        "res.users",
        string="Agent",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("share", "=", False)],
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    capacity = fields.Integer(
        default=10, help="Maximum number of open tickets routing gives this agent."
    )
    skill_ids = fields.Many2many("crm.support.skill", string="Skills")
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Working time of the agent; the queue's calendar is used when empty.",
    )
    last_assignment_date = fields.Datetime(readonly=True, copy=False)
    open_ticket_count = fields.Integer(compute="_compute_open_ticket_count")

    _sql_constraints = [
        (
            "user_company_uniq",
            "unique (user_id, company_id)",
            "This user already has an agent profile in this company.",
        ),
        (
            "capacity_positive",
            "CHECK (capacity >= 0)",
            "The capacity of an agent cannot be negative.",
        ),
    ]

    def _compute_open_ticket_count(self):
        counts = dict(
            self.env["crm.support.ticket"]._read_group(
                [("user_id", "in", self.user_id.ids), ("is_closed", "=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        for agent in self:
            agent.open_ticket_count = counts.get(agent.user_id, 0)

    @api.model
    def _ensure_agents(self, users, company):
        """Create the missing agent profiles of ``users`` in ``company``."""
        existing = self.with_context(active_test=False).search(
            [("user_id", "in", users.ids), ("company_id", "=", company.id)]
        )
        missing = users - existing.user_id
        if missing:
            existing |= self.create(
                [{"user_id": user.id, "company_id": company.id} for user in missing]
            )
        return existing

    def _filter_working_at(self, when, default_calendar):
        """Agents working at ``when`` (UTC naive) by calendar, holidays and time off."""
        start = utc.localize(when)
        stop = start + timedelta(minutes=1)
        resources = self.env["resource.resource"].search([("user_id", "in", self.user_id.ids)])
        resource_by_user = {resource.user_id.id: resource for resource in resources}
        working = self.browse()
        for agent in self:
            calendar = agent.resource_calendar_id or default_calendar
            if not calendar:
                working |= agent
                continue
            resource = resource_by_user.get(agent.user_id.id, self.env["resource.resource"])
            intervals = calendar._work_intervals_batch(start, stop, resources=resource)
            if intervals[resource.id or False]:
                working |= agent
        return working
