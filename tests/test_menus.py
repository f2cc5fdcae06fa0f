"""Every menu of the CRM Unified app opens: the action loads, its views render
and its first page of records can be read (server actions run)."""

from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import datetime, safe_eval


@tagged("post_install", "-at_install", "crm_unified_cross")
class TestMenus(TransactionCase):
    def _open(self, menu):
        action = menu.action
        if action._name == "ir.actions.server":
            result = action.with_context(active_model=action.model_id.model).run()
            # A menu's server action opens records or tells the user it started a job.
            self.assertIn(result["type"], ("ir.actions.act_window", "ir.actions.client"))
            return result
        return action.read()[0]

    def _domain(self, action):
        domain = action.get("domain") or []
        if isinstance(domain, str):
            # What the web client gives a menu's domain to evaluate.
            domain = safe_eval(
                domain,
                {
                    "uid": self.env.uid,
                    "context_today": datetime.date.today,
                    "datetime": datetime,
                    "relativedelta": relativedelta,
                },
            )
        return domain

    def test_every_app_menu_opens(self):
        root = self.env.ref("crm_unified.menu_root")
        menus = self.env["ir.ui.menu"].search(
            [("id", "child_of", root.id), ("action", "!=", False)]
        )
        self.assertGreater(len(menus), 10, "the app has its menus")
        for menu in menus:
            with self.subTest(menu=menu.complete_name):
                action = self._open(menu)
                if action.get("type") != "ir.actions.act_window":
                    continue
                model = self.env[action["res_model"]]
                modes = [mode for mode in action["view_mode"].split(",") if mode != "qweb"]
                model.get_views([*((False, mode) for mode in modes), (False, "search")])
                model.web_search_read(self._domain(action), {"display_name": {}}, limit=10)
