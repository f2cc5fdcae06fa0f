from odoo import fields, models


class CrmInteractionChannel(models.Model):
    _inherit = "crm.interaction.channel"

    cap_contacts = fields.Integer(
        string="Marketing Contacts per Period",
        help="Per-channel override of the company's frequency cap: at most this many "
        "campaign contacts on this channel per customer and period. 0 means only the "
        "company cap applies.",
    )
