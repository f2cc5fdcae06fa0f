import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        if not self.env.context.get("crm_interaction_skip_message"):
            try:
                with self.env.cr.savepoint():
                    # sudo: the author may be a portal customer; only the messages just
                    # created and their documents' customers are read to build the history.
                    messages.sudo()._crm_capture_customer_emails()
            except Exception:
                # Never break the chatter because the history could not be written.
                _logger.exception("Could not capture customer emails as interactions")
        return messages

    def _crm_capture_customer_emails(self):
        """Log the emails and chatter messages exchanged with a customer on captured documents.

        Internal notes, notifications and messages posted by other capture hooks
        (e.g. the quotation email, logged as "quotation sent") are skipped.
        """
        candidates = self.filtered(
            lambda msg: (
                msg.message_type in ("email", "comment")
                and msg.model
                and msg.res_id
                and msg.model in self.env
                and getattr(self.env[msg.model], "_crm_capture_messages", False)
                and hasattr(self.env[msg.model], "_prepare_message_interaction_values")
                and not (msg.subtype_id and msg.subtype_id.internal)
            )
        )
        if not candidates:
            return self.env["crm.interaction"]
        customers = (candidates.author_id | candidates.partner_ids)._crm_filter_customers()
        vals_list = []
        for model, messages in candidates.grouped("model").items():
            documents = self.env[model].browse(messages.mapped("res_id")).exists()
            documents_by_id = {document.id: document for document in documents}
            for message in messages:
                document = documents_by_id.get(message.res_id)
                if not document:
                    continue
                if message.author_id & customers:
                    partner, direction = message.author_id, "inbound"
                else:
                    recipients = message.partner_ids & customers
                    if not recipients:
                        continue
                    doc_partner = document._crm_interaction_partner()
                    partner = (recipients & doc_partner) or recipients[:1]
                    direction = "outbound"
                vals_list.append(
                    document._prepare_message_interaction_values(message, partner, direction)
                )
        return self.env["crm.interaction"]._log_interactions(vals_list)
