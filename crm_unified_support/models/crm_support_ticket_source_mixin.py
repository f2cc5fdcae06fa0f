from odoo import fields, models


class CrmSupportTicketSourceMixin(models.AbstractModel):
    """A document support tickets are opened from and linked to (opportunity, order).

    The ticket holds the link (a many2one named by ``_support_ticket_field``);
    the document counts its tickets, opens a new one prefilled, and lists them.
    """

    _name = "crm.support.ticket.source.mixin"
    _description = "Document Linked to Support Tickets"
    _support_ticket_field = None

    support_ticket_count = fields.Integer(compute="_compute_support_ticket_count")

    def _compute_support_ticket_count(self):
        field = self._support_ticket_field
        counts = dict(
            self.env["crm.support.ticket"]._read_group(
                [(field, "in", self.ids)], [field], ["__count"]
            )
        )
        for record in self:
            record.support_ticket_count = counts.get(record, 0)

    def _prepare_support_ticket_defaults(self):
        self.ensure_one()
        return {
            f"default_{self._support_ticket_field}": self.id,
            "default_partner_id": self.partner_id.id,
        }

    def _get_new_support_ticket_name(self):
        self.ensure_one()
        return self.name

    def action_open_support_ticket(self):
        """Open a new ticket for this document's customer, linked both ways."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Ticket"),
            "res_model": "crm.support.ticket",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                **self._prepare_support_ticket_defaults(),
                "default_name": self._get_new_support_ticket_name(),
            },
        }

    def action_view_support_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = [(self._support_ticket_field, "=", self.id)]
        action["context"] = self._prepare_support_ticket_defaults()
        return action
