from odoo import Command

from odoo.addons.base.tests.common import BaseCommon


class CrmInteractionCommon(BaseCommon):
    """Customers, a colleague and a product shared by the history tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Interaction = cls.env["crm.interaction"]
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Kvitka Bakery",
                "is_company": True,
                "email": "orders@kvitka.example.com",
                "phone": "+380 44 123 4567",
                "vat": "UA 1234-567890",
                "ref": "CUST-042",
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Oksana Melnyk",
                "parent_id": cls.customer.id,
                "email": "oksana@kvitka.example.com",
            }
        )
        cls.colleague = cls.env["res.users"].create(
            {
                "name": "Petro Salesman",
                "login": "petro_history",
                "email": "petro@company.example.com",
                "groups_id": [Command.set([cls.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Rye Flour 25kg", "list_price": 30.0, "type": "consu"}
        )
        cls.channel_phone = cls.env.ref("crm_unified.interaction_channel_phone")
        cls.channel_email = cls.env.ref("crm_unified.interaction_channel_email")
        cls.department_sales = cls.env.ref("crm_unified.interaction_department_sales")
        cls.department_accounting = cls.env.ref("crm_unified.interaction_department_accounting")

    def _interactions(self, record, event=None):
        domain = [("res_model", "=", record._name), ("res_id", "in", record.ids)]
        if event:
            domain.append(("capture_event", "=", event))
        return self.Interaction.search(domain)

    def _create_order(self, partner=None, **values):
        return self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 2})
                ],
                **values,
            }
        )
