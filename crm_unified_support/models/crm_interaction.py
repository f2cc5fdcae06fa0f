from odoo import api, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    @api.model
    def _crm_event_subject_templates(self):
        # Ticket events (capture_event "support_<event>").
        return {
            **super()._crm_event_subject_templates(),
            "support_created": _lt("Ticket %(ref)s opened: %(name)s"),
            "support_first_answer": _lt("First answer on ticket %(ref)s: %(name)s"),
            "support_agent_message": _lt("Answer on ticket %(ref)s: %(name)s"),
            "support_customer_message": _lt("Customer message on ticket %(ref)s: %(name)s"),
            "support_closed": _lt("Ticket %(ref)s solved: %(name)s"),
            "support_rated": _lt("Ticket %(ref)s rated: %(name)s"),
            "support_sla_breach": _lt("SLA breached on ticket %(ref)s: %(name)s"),
        }
