from odoo import fields, models


class CrmSupportTicketType(models.Model):
    _name = "crm.support.ticket.type"
    _description = "Support Ticket Type"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    skill_ids = fields.Many2many(
        "crm.support.skill",
        string="Required Skills",
        help="Skill-based routing gives tickets of this type only to agents having these skills.",
    )

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A ticket type with this name already exists."),
    ]
