from odoo import fields, models


class CrmInteractionChannel(models.Model):
    _name = "crm.interaction.channel"
    _inherit = ["crm.coded.mixin"]
    _description = "Interaction Channel"
    _order = "sequence, id"
    # Imports and quick search find a channel by its code ("phone") as well as its name.
    _rec_names_search = ["name", "code"]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code used by imports, capture hooks and campaign rules "
        "(e.g. email, phone, sms). Must be unique.",
    )
    sequence = fields.Integer(default=10)
    icon = fields.Char(help="Font Awesome class shown in the timeline, e.g. fa-phone.")
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The channel code must be unique."),
    ]
