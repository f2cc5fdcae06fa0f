from lxml import etree

from odoo.tests import TransactionCase, tagged

MODULES = ("crm_unified", "crm_unified_marketing", "crm_unified_support")


@tagged("post_install", "-at_install")
class TestViewsShowAmountsWithCurrency(TransactionCase):
    """Issue 11: every amount in a list or form view of the three addons is a
    Monetary field whose currency field is in the view, so the web client shows
    it with its currency ("0.00" alone before, on the deliveries list)."""

    def test_monetary_fields_have_their_currency_in_every_view(self):
        views = self.env["ir.ui.view"].search(
            [
                ("type", "in", ("list", "form")),
                ("inherit_id", "=", False),
                ("model_data_id.module", "in", MODULES),
            ]
        )
        self.assertTrue(views)
        missing = []
        for view in views:
            if view.model not in self.env:
                continue
            Model = self.env[view.model]
            arch = Model.get_view(view.id, view.type)["arch"]
            root = etree.fromstring(arch)
            for node in root.iter("field"):
                field = Model._fields.get(node.get("name"))
                if not field or field.type != "monetary" or node.get("invisible") == "1":
                    continue
                # Fields of a sub-view (x2many) belong to another model: their own views cover them.
                if any(parent.tag == "field" for parent in node.iterancestors()):
                    continue
                currency = field.get_currency_field(Model)
                if currency and root.xpath(f"//field[@name='{currency}'][not(ancestor::field)]"):
                    continue
                missing.append(f"{view.xml_id or view.name}: {field.name} (needs {currency})")
        self.assertEqual(missing, [], "amounts shown without their currency")

    def test_delivery_cost_is_an_amount_in_the_company_currency(self):
        field = self.env["crm.campaign.delivery"]._fields["cost"]
        self.assertEqual(field.type, "monetary")
