"""Access matrix of every model of the three CRM Unified addons.

The expected rights are a table in this file, so that any change of rights shows
as a diff of this table.  Each cell is checked through three doors a client can
use: the ORM (access rights), ``search_read``/``read_group`` as that user, and
JSON-RPC over HTTP (``/web/dataset/call_kw``) with that user's session.

Rows of models whose addon is not installed are passed over (this file runs again
after the marketing and support addons are uninstalled); a model of ours that has
no row fails the test with the row to add.
"""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

OUR_ADDONS = ("crm_unified", "crm_unified_marketing", "crm_unified_support")

# Roles, in the order of the table's columns: (name, groups of a test user).
ROLES = (
    ("public", None),
    ("portal", "base.group_portal"),
    ("internal", "base.group_user"),
    ("crm_user", "crm_unified.group_user"),
    ("salesman", "sales_team.group_sale_salesman"),
    ("crm_manager", "crm_unified.group_manager"),
    ("marketing_user", "crm_unified_marketing.group_marketing_user"),
    ("marketing_manager", "crm_unified_marketing.group_marketing_manager"),
    ("support_agent", "crm_unified_support.group_support_user"),
    ("support_manager", "crm_unified_support.group_support_manager"),
)
OPERATIONS = ("read", "write", "create", "unlink")

# model: one "rwcu" cell per role above ('-' where the role is refused).
# fmt: off
MATRIX = {
    #                                  public  portal  internal crm_user salesman crm_mgr mkt_user mkt_mgr  agent   sup_mgr
    "crm.campaign":                   ("----", "----", "----", "----", "r---", "----", "rwc-", "rwcu", "----", "----"),
    "crm.campaign.delivery":          ("----", "r---", "----", "----", "r---", "----", "rwc-", "rwcu", "----", "----"),
    "crm.campaign.report":            ("----", "----", "----", "----", "----", "----", "r---", "r---", "----", "----"),
    "crm.campaign.rule":              ("----", "----", "----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "crm.campaign.rule.channel":      ("----", "----", "----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "crm.campaign.rule.dry.run":      ("----", "----", "----", "----", "----", "----", "rwcu", "rwcu", "----", "----"),
    "crm.campaign.rule.dry.run.line": ("----", "----", "----", "----", "----", "----", "rwcu", "rwcu", "----", "----"),
    "crm.campaign.variant":           ("----", "----", "----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "crm.contact.consent":            ("----", "----", "----", "rwc-", "rwc-", "rwcu", "rwc-", "rwc-", "rwc-", "rwc-"),
    "crm.interaction":                ("----", "----", "----", "rwc-", "rwc-", "rwcu", "rwc-", "rwc-", "rwc-", "rwc-"),
    "crm.interaction.channel":        ("----", "----", "r---", "r---", "r---", "rwcu", "r---", "r---", "r---", "r---"),
    "crm.interaction.department":     ("----", "----", "r---", "r---", "r---", "rwcu", "r---", "r---", "r---", "r---"),
    "crm.interaction.log":            ("----", "----", "----", "rwcu", "rwcu", "rwcu", "rwcu", "rwcu", "rwcu", "rwcu"),
    "crm.partner.duplicate":          ("----", "----", "----", "r---", "r---", "r---", "r---", "r---", "r---", "r---"),
    "crm.partner.profile":            ("----", "----", "----", "r---", "r---", "r---", "r---", "r---", "r---", "r---"),
    "crm.rfm.label":                  ("----", "----", "----", "r---", "r---", "rwcu", "r---", "r---", "r---", "r---"),
    "crm.segment":                    ("----", "----", "----", "r---", "r---", "rwcu", "r---", "r---", "r---", "r---"),
    "crm.support.agent":              ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.queue":              ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.skill":              ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.sla":                ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.sla.escalation":     ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.stage":              ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.tag":                ("----", "----", "----", "----", "----", "----", "----", "----", "rwc-", "rwcu"),
    "crm.support.ticket":             ("----", "r---", "----", "----", "----", "----", "----", "----", "rwc-", "rwcu"),
    "crm.support.ticket.flow.report": ("----", "----", "----", "----", "----", "----", "----", "----", "----", "r---"),
    "crm.support.ticket.merge":       ("----", "----", "----", "----", "----", "----", "----", "----", "rwcu", "rwcu"),
    "crm.support.ticket.report":      ("----", "----", "----", "----", "----", "----", "----", "----", "----", "r---"),
    "crm.support.ticket.sla":         ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
    "crm.support.ticket.type":        ("----", "----", "----", "----", "----", "----", "----", "----", "r---", "rwcu"),
}
# fmt: on


@tagged("post_install", "-at_install", "crm_unified_access")
class TestAccessMatrix(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {}
        for role, groups in ROLES:
            if groups is None:
                cls.users[role] = cls.env.ref("base.public_user")
                continue
            if not cls.env.ref(groups.split(",")[0], raise_if_not_found=False):
                continue  # that addon is not installed
            login = f"matrix_{role}"
            cls.users[role] = new_test_user(cls.env, login=login, password=login, groups=groups)

    def _our_models(self):
        return sorted(
            name
            for name, model in self.env.registry.items()
            if model._original_module in OUR_ADDONS and not model._abstract
        )

    def _cells(self):
        """Yield (model, role, user, expected "rwcu" string) for every installed cell."""
        for model in self._our_models():
            for (role, _groups), expected in zip(ROLES, MATRIX.get(model, ()), strict=False):
                if role in self.users:
                    yield model, role, self.users[role], expected

    def _actual_cell(self, model, user):
        access = self.env["ir.model.access"].with_user(user)
        return "".join(
            op[0] if access.check(model, op, raise_exception=False) else "-" for op in OPERATIONS
        )

    def test_every_model_has_a_row(self):
        missing = [model for model in self._our_models() if model not in MATRIX]
        rows = "\n".join(
            f'"{model}": {tuple(self._actual_cell(model, user) for user in self.users.values())},'
            for model in missing
        )
        self.assertFalse(
            missing, f"Models without a row in the access matrix; today's rights:\n{rows}"
        )

    def test_orm_access_rights_match_matrix(self):
        for model, role, user, expected in self._cells():
            with self.subTest(model=model, role=role):
                self.assertEqual(self._actual_cell(model, user), expected)

    @mute_logger(
        "odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule"
    )
    def test_search_read_and_read_group_follow_matrix(self):
        for model, role, user, expected in self._cells():
            records = self.env[model].with_user(user)
            with self.subTest(model=model, role=role):
                if expected[0] == "r":
                    rows = records.search_read([], ["display_name"], limit=5)
                    self.assertIsInstance(rows, list)
                    groups = records.read_group([], ["__count"], [])
                    self.assertEqual(len(groups), 1)
                else:
                    with self.assertRaises(AccessError):
                        records.search_read([], ["display_name"], limit=5)
                    with self.assertRaises(AccessError):
                        records.read_group([], ["__count"], [])

    def _rpc_raw(self, model, method, args):
        """JSON-RPC call that returns (result, error name) instead of raising."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        error = body.get("error")
        return body.get("result"), error and error["data"]["name"]

    @mute_logger("odoo.http", "odoo.models", "odoo.addons.base.models.ir_model")
    def test_json_rpc_follows_matrix(self):
        for role, _groups in ROLES:
            if role not in self.users:
                continue
            if role == "public":
                self.authenticate(None, None)
            else:
                self.authenticate(f"matrix_{role}", f"matrix_{role}")
            user = self.users[role]
            for model in self._our_models():
                expected = dict(zip((r for r, _g in ROLES), MATRIX.get(model, ()), strict=False))[
                    role
                ]
                with self.subTest(model=model, role=role):
                    result, error = self._rpc_raw(model, "search_read", [[], ["id"]])
                    if role == "public":
                        # No session: every data route refuses the public user.
                        self.assertEqual(error, "odoo.http.SessionExpiredException")
                        continue
                    if expected[0] == "r":
                        self.assertFalse(error, f"{role} should read {model}")
                        # JSON-RPC shows exactly what the ORM shows that user.
                        visible = self.env[model].with_user(user).search([]).ids
                        self.assertEqual(sorted(row["id"] for row in result), sorted(visible))
                    else:
                        self.assertEqual(error, "odoo.exceptions.AccessError")
                        self.assertIsNone(result)
                    result, error = self._rpc_raw(model, "has_access", [[], "write"])
                    self.assertFalse(error)
                    self.assertEqual(result, expected[1] == "w")

    def test_portal_reads_only_its_own_customer_rows(self):
        """Wherever the portal user may read a model of ours, every row it sees belongs to
        its own commercial entity."""
        portal = self.users["portal"]
        commercial = portal.partner_id.commercial_partner_id
        for model in self._our_models():
            expected = MATRIX.get(model, ("", "----"))[1]
            if expected[0] != "r":
                continue
            records = self.env[model].with_user(portal).search([])
            field = "partner_id" if "partner_id" in records._fields else None
            with self.subTest(model=model):
                self.assertTrue(field, f"{model} is readable by portal users but has no partner_id")
                # Rows of other customers exist (demo data), so the check below can fail.
                others = (
                    self.env[model].sudo().search_count(["!", (field, "child_of", commercial.id)])
                )
                self.assertGreater(others, 0)
                owners = records.sudo().mapped(field).commercial_partner_id
                self.assertLessEqual(owners, commercial)
