from odoo import models


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _prepare_body_values(self, records):
        """Campaign SMS are written in each customer's language (see
        crm.campaign.delivery._get_render_langs): the body is rendered once per
        language, Odoo's link shortening included."""
        if (
            self.template_id
            or not self.mailing_id.crm_campaign_rule_id
            or records._name != "crm.campaign.delivery"
        ):
            return super()._prepare_body_values(records)
        by_lang = {}
        for delivery_id, lang in records._get_render_langs().items():
            by_lang.setdefault(lang, []).append(delivery_id)
        bodies = {}
        for lang, ids in by_lang.items():
            composer = self.with_context(lang=lang)
            bodies.update(
                super(SmsComposer, composer)._prepare_body_values(
                    records.with_context(lang=lang).browse(ids)
                )
            )
        return bodies
