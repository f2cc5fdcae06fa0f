from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_department_ids = fields.Many2many(
        "crm.interaction.department",
        "crm_interaction_department_users_rel",
        "user_id",
        "department_id",
        string="CRM Departments",
        help="Departments whose confidential customer interactions this user may see.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "crm_department_ids" in vals:
            # Record rules read this field and are cached: recompute them.
            self.env.registry.clear_cache()
        return res
