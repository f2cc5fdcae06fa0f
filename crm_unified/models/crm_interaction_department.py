from odoo import fields, models


class CrmInteractionDepartment(models.Model):
    _name = "crm.interaction.department"
    _inherit = ["crm.coded.mixin"]
    _description = "Interaction Department"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical code, e.g. sales, marketing, support.")
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The department code must be unique."),
    ]
