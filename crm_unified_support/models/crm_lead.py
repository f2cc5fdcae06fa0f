from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    support_ticket_ids = fields.One2many("crm.support.ticket", "lead_id", string="Support Tickets")
    support_ticket_count = fields.Integer(compute="_compute_support_ticket_count")

    def _compute_support_ticket_count(self):
        counts = dict(
            self.env["crm.support.ticket"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.support_ticket_count = counts.get(lead, 0)

    def action_open_support_ticket(self):
        """Open a new ticket for this opportunity's customer, linked both ways."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Ticket"),
            "res_model": "crm.support.ticket",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_lead_id": self.id,
                "default_partner_id": self.partner_id.id,
                "default_name": self.name,
            },
        }

    def action_view_support_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id, "default_partner_id": self.partner_id.id}
        return action
