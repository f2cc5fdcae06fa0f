from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    support_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Default Support Hours",
        related="company_id.resource_calendar_id",
        readonly=False,
        help="Working hours new queues start with; SLA deadlines count only these hours.",
    )
    support_queue_count = fields.Integer(string="Queues", compute="_compute_support_counts")
    support_sla_count = fields.Integer(string="SLA Policies", compute="_compute_support_counts")
    support_agent_count = fields.Integer(string="Agents", compute="_compute_support_counts")

    @api.depends("company_id")
    def _compute_support_counts(self):
        queues = self.env["crm.support.queue"].search_count([])
        slas = self.env["crm.support.sla"].search_count([])
        agents = self.env["crm.support.agent"].search_count([])
        for settings in self:
            settings.support_queue_count = queues
            settings.support_sla_count = slas
            settings.support_agent_count = agents
