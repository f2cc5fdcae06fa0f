import codecs

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
        routes = [
            self.env["crm.support.ticket"]._route_followup_ticket(route) for route in routes or ()
        ]
        return super()._message_route_process(message, message_dict, routes)

    def _message_parse_extract_payload(self, message, message_dict, save_original=False):
        """Mail with a charset Python does not know (broken or exotic mailers)
        is read as UTF-8 with replacement characters instead of failing."""
        try:
            return super()._message_parse_extract_payload(
                message, message_dict, save_original=save_original
            )
        except LookupError:
            for part in message.walk():
                charset = part.get_param("charset")
                if charset and not _known_charset(str(charset)):
                    part.set_param("charset", "utf-8")
            return super()._message_parse_extract_payload(
                message, message_dict, save_original=save_original
            )


def _known_charset(charset):
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True
