from odoo import fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "crm.support.ticket.source.mixin"]
    _support_ticket_field = "sale_order_id"

    support_ticket_ids = fields.One2many(
        "crm.support.ticket", "sale_order_id", string="Support Tickets"
    )

    def _get_new_support_ticket_name(self):
        return self.env._("About %(order)s", order=self.name)
