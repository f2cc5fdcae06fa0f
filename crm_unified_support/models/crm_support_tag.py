from random import randint

from odoo import fields, models


class CrmSupportTag(models.Model):
    _name = "crm.support.tag"
    _description = "Support Ticket Tag"
    _order = "name"

    def _default_color(self):
        return randint(1, 11)

    name = fields.Char(required=True, translate=True)
    color = fields.Integer(default=_default_color)
    skill_ids = fields.Many2many(
        "crm.support.skill",
        string="Required Skills",
        help="Skill-based routing gives tickets with this tag only to agents having these skills.",
    )

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A tag with this name already exists."),
    ]
