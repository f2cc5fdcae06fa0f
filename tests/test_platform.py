"""The three addons are installed together and share one customer picture."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "crm_unified_cross")
class TestPlatform(TransactionCase):
    def test_core_addon_installed_with_its_app_menu(self):
        module = self.env["ir.module.module"].search([("name", "=", "crm_unified")])
        self.assertEqual(module.state, "installed")
        menu = self.env.ref("crm_unified.menu_root")
        self.assertEqual(menu.with_context(lang="en_US").name, "CRM Unified")
        self.assertIn(self.env.ref("crm_unified.group_user"), menu.groups_id)
