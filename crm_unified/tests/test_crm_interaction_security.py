from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCrmInteractionSecurity(CrmInteractionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_user = new_test_user(cls.env, login="hist_sales", groups="crm_unified.group_user")
        cls.sales_user.crm_department_ids = [Command.set(cls.department_sales.ids)]
        cls.support_user = new_test_user(
            cls.env, login="hist_support", groups="crm_unified.group_user"
        )
        cls.manager = new_test_user(
            cls.env, login="hist_manager", groups="crm_unified.group_manager"
        )
        cls.confidential = cls.Interaction.create(
            {
                "partner_id": cls.customer.id,
                "channel_id": cls.channel_phone.id,
                "subject": "Price negotiation",
                "department_id": cls.department_sales.id,
                "confidential": True,
            }
        )
        cls.public = cls.Interaction.create(
            {"partner_id": cls.customer.id, "channel_id": cls.channel_phone.id, "subject": "Hello"}
        )

    def test_confidential_visible_to_department_and_managers_only(self):
        domain = [("partner_id", "=", self.customer.id)]
        self.assertEqual(
            self.Interaction.with_user(self.sales_user).search(domain),
            self.confidential | self.public,
        )
        self.assertEqual(self.Interaction.with_user(self.support_user).search(domain), self.public)
        self.assertEqual(
            self.Interaction.with_user(self.manager).search(domain), self.confidential | self.public
        )
        with self.assertRaises(AccessError):
            self.confidential.with_user(self.support_user).read(["subject"])

    def test_joining_a_department_reveals_its_confidential_interactions(self):
        domain = [("partner_id", "=", self.customer.id)]
        Interaction = self.Interaction.with_user(self.support_user)
        self.assertEqual(Interaction.search(domain), self.public)
        self.support_user.crm_department_ids = [Command.link(self.department_sales.id)]
        self.assertEqual(Interaction.search(domain), self.confidential | self.public)

    def test_other_company_interactions_are_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other Bakery Ltd"})
        foreign = self.Interaction.create(
            {
                "partner_id": self.customer.id,
                "channel_id": self.channel_phone.id,
                "subject": "Other company's call",
                "company_id": other_company.id,
            }
        )
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).read(["subject"])

    def test_user_without_crm_rights_cannot_read_history(self):
        employee = new_test_user(self.env, login="hist_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.public.with_user(employee).read(["subject"])

    def test_salesman_confirming_order_logs_without_crm_manager_rights(self):
        salesman = new_test_user(
            self.env, login="hist_salesman", groups="sales_team.group_sale_salesman"
        )
        order = self._create_order(user_id=salesman.id).with_user(salesman)
        order.action_confirm()
        self.assertEqual(len(self._interactions(order)), 1)
