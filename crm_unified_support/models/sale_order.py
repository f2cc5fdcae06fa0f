from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    support_ticket_ids = fields.One2many(
        "crm.support.ticket", "sale_order_id", string="Support Tickets"
    )
    support_ticket_count = fields.Integer(compute="_compute_support_ticket_count")

    def _compute_support_ticket_count(self):
        counts = dict(
            self.env["crm.support.ticket"]._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for order in self:
            order.support_ticket_count = counts.get(order, 0)

    def action_open_support_ticket(self):
        """Open a new ticket about this order, linked both ways."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Ticket"),
            "res_model": "crm.support.ticket",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_sale_order_id": self.id,
                "default_partner_id": self.partner_id.id,
                "default_name": self.env._("About %(order)s", order=self.name),
            },
        }

    def action_view_support_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {
            "default_sale_order_id": self.id,
            "default_partner_id": self.partner_id.id,
        }
        return action
