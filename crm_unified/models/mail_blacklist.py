from odoo import api, models


class MailBlacklist(models.Model):
    """Mirror email blacklist changes to the customers' email consent."""

    _inherit = "mail.blacklist"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for active in (True, False):
            emails = records.filtered(lambda r, active=active: r.active == active).mapped("email")
            self.env["crm.contact.consent"]._mirror_from_blacklist("email", emails, active)
        return records

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            self.env["crm.contact.consent"]._mirror_from_blacklist(
                "email", self.mapped("email"), bool(vals["active"])
            )
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mirror_consent(self):
        emails = self.filtered("active").mapped("email")
        self.env["crm.contact.consent"]._mirror_from_blacklist("email", emails, False)
