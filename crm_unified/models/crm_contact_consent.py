from odoo import fields, models


class CrmContactConsent(models.Model):
    _name = "crm.contact.consent"
    _description = "Contact Consent"
    _order = "partner_id, channel_id"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    channel_id = fields.Many2one("crm.interaction.channel", required=True, ondelete="restrict")
    channel_code = fields.Char(related="channel_id.code")
    state = fields.Selection(
        [("opt_in", "Opted in"), ("opt_out", "Opted out"), ("unknown", "Unknown")],
        required=True,
        default="unknown",
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    source = fields.Selection(
        [
            ("form", "Web form"),
            ("import", "Import"),
            ("email", "Email reply"),
            ("portal", "Portal"),
            ("manual", "By hand"),
        ],
        required=True,
        default="manual",
    )
    user_id = fields.Many2one("res.users", string="Recorded by", default=lambda self: self.env.user)

    _sql_constraints = [
        (
            "partner_channel_uniq",
            "unique(partner_id, channel_id)",
            "A customer has one consent per channel.",
        ),
    ]
