from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.crm_support_ticket import TICKET_PRIORITIES


class CrmSupportTicketReport(models.Model):
    """Ticket analysis: one row per ticket with its SLA and rating outcome."""

    _name = "crm.support.ticket.report"
    _description = "Support Ticket Analysis"
    _auto = False
    _order = "create_date desc"
    _rec_name = "name"

    name = fields.Char(string="Subject", readonly=True)
    reference = fields.Char(readonly=True)
    create_date = fields.Datetime(string="Created on", readonly=True)
    close_date = fields.Datetime(string="Closed on", readonly=True)
    queue_id = fields.Many2one("crm.support.queue", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    stage_id = fields.Many2one("crm.support.stage", readonly=True)
    type_id = fields.Many2one("crm.support.ticket.type", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Customer Company", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    priority = fields.Selection(TICKET_PRIORITIES, readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    sla_failed = fields.Boolean(string="SLA Failed", readonly=True)
    nbr = fields.Integer(string="# Tickets", readonly=True)
    open_count = fields.Integer(string="# Open", readonly=True)
    sla_failed_count = fields.Integer(string="# SLA Failed", readonly=True)
    hours_to_first_response = fields.Float(
        string="Working Hours to First Response",
        readonly=True,
        aggregator="avg",
        help="Working hours of the queue's calendar, stored when the first answer was sent.",
    )
    hours_to_close = fields.Float(
        string="Working Hours to Close",
        readonly=True,
        aggregator="avg",
        help="Working hours of the queue's calendar, stored when the ticket was closed.",
    )
    rating_avg = fields.Float(string="Rating (avg)", readonly=True, aggregator="avg")
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Share of tickets with SLA targets that met all of them.",
    )

    def _query(self):
        return SQL(
            """
            SELECT t.id AS id,
                   t.name AS name,
                   t.reference AS reference,
                   t.create_date AS create_date,
                   t.close_date AS close_date,
                   t.queue_id AS queue_id,
                   t.user_id AS user_id,
                   t.stage_id AS stage_id,
                   t.type_id AS type_id,
                   t.partner_id AS partner_id,
                   t.commercial_partner_id AS commercial_partner_id,
                   t.company_id AS company_id,
                   t.priority AS priority,
                   COALESCE(t.is_closed, FALSE) AS is_closed,
                   COALESCE(t.sla_failed, FALSE) AS sla_failed,
                   1 AS nbr,
                   CASE WHEN COALESCE(t.is_closed, FALSE) THEN 0 ELSE 1 END AS open_count,
                   CASE WHEN COALESCE(t.sla_failed, FALSE) THEN 1 ELSE 0 END AS sla_failed_count,
                   CASE WHEN t.first_response_date IS NOT NULL
                        THEN t.first_response_working_hours END AS hours_to_first_response,
                   CASE WHEN t.close_date IS NOT NULL
                        THEN t.close_working_hours END AS hours_to_close,
                   r.rating_avg AS rating_avg,
                   CASE WHEN NOT EXISTS (
                            SELECT 1 FROM crm_support_ticket_sla l WHERE l.ticket_id = t.id
                        ) THEN NULL
                        WHEN COALESCE(t.sla_failed, FALSE) THEN 0.0
                        ELSE 100.0 END AS sla_compliance
              FROM crm_support_ticket t
         LEFT JOIN (
                    SELECT res_id, AVG(rating) AS rating_avg
                      FROM rating_rating
                     WHERE res_model = 'crm.support.ticket' AND consumed AND rating > 0
                  GROUP BY res_id
                   ) r ON r.res_id = t.id
             WHERE t.active
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
