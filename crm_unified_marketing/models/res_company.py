from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_cap_contacts = fields.Integer(
        string="Marketing Contacts per Period",
        default=3,
        help="At most this many campaign contacts per customer in any rolling period, "
        "counting every channel and every campaign. 0 means no cap.",
    )
    crm_cap_period_days = fields.Integer(
        string="Marketing Cap Period (days)",
        default=7,
    )
    crm_require_opt_in = fields.Boolean(
        string="Require Explicit Opt-in",
        help="When set, campaigns only use channels the customer explicitly opted in to. "
        "Otherwise any channel the customer did not opt out of may be used.",
    )
