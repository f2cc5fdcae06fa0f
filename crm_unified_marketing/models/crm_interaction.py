from odoo import api, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    @api.model
    def _crm_event_subject_templates(self):
        # Campaign delivery events (capture_event "campaign_<delivery state>").
        return {
            **super()._crm_event_subject_templates(),
            "campaign_sent": _lt("Campaign %(campaign)s: offer sent"),
            "campaign_opened": _lt("Campaign %(campaign)s: offer opened"),
            "campaign_clicked": _lt("Campaign %(campaign)s: offer clicked"),
            "campaign_replied": _lt("Campaign %(campaign)s: customer replied"),
            "campaign_bounced": _lt("Campaign %(campaign)s: message bounced"),
            "campaign_converted": _lt("Campaign %(campaign)s: offer converted"),
        }
