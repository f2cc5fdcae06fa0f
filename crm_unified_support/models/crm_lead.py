from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.support.ticket.source.mixin"]
    _support_ticket_field = "lead_id"

    support_ticket_ids = fields.One2many("crm.support.ticket", "lead_id", string="Support Tickets")
