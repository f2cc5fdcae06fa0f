from odoo import models

# Headers marking a message as sent by a machine (RFC 3834, RFC 2076 and
# common vacation responders); such messages never get an acknowledgement.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
BULK_PRECEDENCES = {"bulk", "junk", "list"}


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
        precedence = (message.get("Precedence") or "").strip().lower()
        is_auto = (
            auto_submitted != "no"
            or precedence in BULK_PRECEDENCES
            or any(message.get(header) for header in AUTO_REPLY_HEADERS)
        )
        if is_auto:
            self = self.with_context(crm_support_auto_submitted=True)
        routes = [self.env["crm.support.ticket"]._route_followup_ticket(route) for route in routes or ()]
        return super()._message_route_process(message, message_dict, routes)
