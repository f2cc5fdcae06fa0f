from odoo import api, models


class PhoneBlacklist(models.Model):
    """Mirror phone blacklist changes to the customers' SMS consent."""

    _inherit = "phone.blacklist"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for active in (True, False):
            numbers = records.filtered(lambda r, active=active: r.active == active).mapped("number")
            self.env["crm.contact.consent"]._mirror_from_blacklist("sms", numbers, active)
        return records

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            self.env["crm.contact.consent"]._mirror_from_blacklist(
                "sms", self.mapped("number"), bool(vals["active"])
            )
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mirror_consent(self):
        numbers = self.filtered("active").mapped("number")
        self.env["crm.contact.consent"]._mirror_from_blacklist("sms", numbers, False)
