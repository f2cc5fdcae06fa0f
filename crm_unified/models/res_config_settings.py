from odoo import api, fields, models
from odoo.exceptions import AccessError


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

    crm_backfill_date_from = fields.Date(
        string="History From", help="First day of the history to back-fill (empty: no limit)."
    )
    crm_backfill_date_to = fields.Date(
        string="History To", help="Last day of the history to back-fill (empty: today)."
    )
    crm_backfill_remaining = fields.Integer(
        string="Documents Left to Scan", compute="_compute_crm_backfill_remaining"
    )

    def _compute_crm_backfill_remaining(self):
        # sudo: only the size of the queued back-fill is shown to managers.
        remaining = self.env["crm.interaction"].sudo()._crm_backfill_remaining()
        for settings in self:
            settings.crm_backfill_remaining = remaining

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

    def action_crm_backfill_history(self):
        """Queue the back-fill of the history of the chosen period (scheduled action)."""
        self.ensure_one()
        if not self.env.user.has_group("crm_unified.group_manager"):
            raise AccessError(self.env._("Only CRM Unified managers can back-fill the history."))
        # sudo: the back-fill writes interactions for every company's documents as the
        # capture hooks would; the access is checked just above.
        self.env["crm.interaction"].sudo()._crm_backfill_enqueue(
            self.crm_backfill_date_from, self.crm_backfill_date_to
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Customer history"),
                "message": self.env._(
                    "The history of existing documents is being recorded in the background; "
                    "customer profiles are recomputed afterwards."
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
