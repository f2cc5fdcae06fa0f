from odoo import api, models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    @api.depends("mass_mailing_id")
    def _compute_lang(self):
        """Campaign emails are written in each customer's language, as a
        mail.template with ``lang = {{ object.partner_id.lang }}`` would be:
        mass_mailing renders subject and body with ``compute_lang``, so Odoo's
        format_date / format_amount give the customer's formats."""
        result = super()._compute_lang()
        for composer in self:
            if (
                not composer.template_id
                and not composer.lang
                and composer.mass_mailing_id.crm_campaign_rule_id
            ):
                composer.lang = "{{ object.partner_id.lang }}"
        return result
