from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_rfm_months = fields.Integer(related="company_id.crm_rfm_months", readonly=False)
    crm_churn_days = fields.Integer(related="company_id.crm_churn_days", readonly=False)
    crm_no_contact_days = fields.Integer(related="company_id.crm_no_contact_days", readonly=False)
    crm_profile_pending_count = fields.Integer(
        string="Profiles Waiting", compute="_compute_crm_profile_status"
    )
    crm_profile_last_full_date = fields.Char(
        string="Last Full Recompute", compute="_compute_crm_profile_status"
    )

    @api.depends("company_id")
    def _compute_crm_profile_status(self):
        pending = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("crm_profile_dirty", "=", True)])
        )
        # sudo: technical bookkeeping parameter, read only
        last_full = (
            self.env["ir.config_parameter"].sudo().get_param("crm_unified.profile_full_date", "")
        )
        for settings in self:
            settings.crm_profile_pending_count = pending
            settings.crm_profile_last_full_date = last_full

    def action_crm_recompute_all_profiles(self):
        return self.env["res.partner"].action_crm_recompute_all_profiles()
