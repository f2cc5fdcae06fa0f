from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.crm_support_ticket import TICKET_PRIORITIES


class CrmSupportTicketFlowReport(models.Model):
    """Tickets created vs closed: one row per ticket opening and one per
    ticket closing, dated by the event, to chart both per day."""

    _name = "crm.support.ticket.flow.report"
    _description = "Support Tickets Created vs Closed"
    _auto = False
    _order = "date desc"
    _rec_name = "name"

    name = fields.Char(string="Subject", readonly=True)
    ticket_id = fields.Many2one("crm.support.ticket", readonly=True)
    date = fields.Datetime(readonly=True)
    event = fields.Selection([("created", "Created"), ("closed", "Closed")], readonly=True)
    queue_id = fields.Many2one("crm.support.queue", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    type_id = fields.Many2one("crm.support.ticket.type", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Customer Company", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    priority = fields.Selection(TICKET_PRIORITIES, readonly=True)
    nbr = fields.Integer(string="# Events", readonly=True)
    created_count = fields.Integer(string="# Created", readonly=True)
    closed_count = fields.Integer(string="# Closed", readonly=True)
    backlog_change = fields.Integer(readonly=True, help="Created minus closed tickets.")

    def _query(self):
        return SQL(
            """
            SELECT t.id * 2 AS id, t.id AS ticket_id, t.name AS name,
                   t.create_date AS date, 'created' AS event,
                   t.queue_id, t.user_id, t.type_id, t.commercial_partner_id,
                   t.company_id, t.priority,
                   1 AS nbr, 1 AS created_count, 0 AS closed_count, 1 AS backlog_change
              FROM crm_support_ticket t
             WHERE t.active
            UNION ALL
            SELECT t.id * 2 + 1 AS id, t.id AS ticket_id, t.name AS name,
                   t.close_date AS date, 'closed' AS event,
                   t.queue_id, t.user_id, t.type_id, t.commercial_partner_id,
                   t.company_id, t.priority,
                   1 AS nbr, 0 AS created_count, 1 AS closed_count, -1 AS backlog_change
              FROM crm_support_ticket t
             WHERE t.active AND t.close_date IS NOT NULL
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
