from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_cap_contacts = fields.Integer(related="company_id.crm_cap_contacts", readonly=False)
    crm_cap_period_days = fields.Integer(related="company_id.crm_cap_period_days", readonly=False)
    crm_require_opt_in = fields.Boolean(related="company_id.crm_require_opt_in", readonly=False)
