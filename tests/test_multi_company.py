"""Two companies share one database: no read, write or link across them.

The structural test looks at every model of the three addons, so a new model or
field that forgets the company checks fails here; the data tests then prove the
checks on the records sales, marketing and support users work with.
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

OUR_ADDONS = ("crm_unified", "crm_unified_marketing", "crm_unified_support")


@tagged("post_install", "-at_install", "crm_unified_cross")
class TestMultiCompanyStructure(TransactionCase):
    def _company_models(self):
        for name, model in sorted(self.env.registry.items()):
            ours = model._original_module in OUR_ADDONS and not model._abstract
            if ours and "company_id" in model._fields and not model._transient:
                yield name, model

    def test_every_company_model_has_a_multi_company_rule(self):
        for name, _model in self._company_models():
            with self.subTest(model=name):
                rules = self.env["ir.rule"].search([("model_id.model", "=", name)])
                self.assertTrue(
                    any("company_ids" in (rule.domain_force or "") for rule in rules),
                    f"{name} has a company but no multi-company record rule",
                )

    def test_every_company_model_checks_the_company_of_its_links(self):
        """Links defined by our addons to records that belong to a company are checked
        (``check_company``), except links to users (their company is a preference, not
        an owner) and the field a related company comes from."""
        for name, model in self._company_models():
            if not model._auto:
                continue  # SQL-view reports: nothing is written through them
            company_field = model._fields["company_id"]
            company_source = company_field.related.split(".")[0] if company_field.related else None
            with self.subTest(model=name):
                self.assertTrue(model._check_company_auto, f"{name}: _check_company_auto")
            for field in model._fields.values():
                if (
                    field.type != "many2one"
                    or not field.store
                    or field.related
                    or field._module not in OUR_ADDONS
                    or field.comodel_name == "res.users"
                    or field.name in ("company_id", company_source)
                    or "company_id" not in self.env[field.comodel_name]._fields
                ):
                    continue
                with self.subTest(model=name, field=field.name):
                    self.assertTrue(
                        field.check_company, f"{name}.{field.name} has no check_company"
                    )


@tagged("post_install", "-at_install", "crm_unified_cross")
class TestMultiCompanyIsolation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Isolation B"})
        groups = ",".join(
            [
                "crm_unified.group_manager",
                "sales_team.group_sale_salesman",
                "crm_unified_marketing.group_marketing_manager",
                "crm_unified_support.group_support_manager",
            ]
        )
        cls.user_a = new_test_user(
            cls.env,
            login="iso_a",
            groups=groups,
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )
        cls.partner_b = cls.env["res.partner"].create(
            {"name": "Customer of B only", "company_id": cls.company_b.id, "email": "b@example.com"}
        )
        cls.shared = cls.env["res.partner"].create(
            {"name": "Shared customer", "email": "s@example.com"}
        )
        B = {"company_id": cls.company_b.id}
        email = cls.env.ref("crm_unified.interaction_channel_email")
        cls.records_b = {
            "crm.interaction": cls.env["crm.interaction"].create(
                {"partner_id": cls.shared.id, "channel_id": email.id, "subject": "B call", **B}
            ),
            "crm.segment": cls.env["crm.segment"].create({"name": "B segment", **B}),
            "crm.campaign": cls.env["crm.campaign"].create(
                {"name": "B campaign", "date_end": "2099-12-31", **B}
            ),
            "crm.support.queue": cls.env["crm.support.queue"].create({"name": "B queue", **B}),
        }
        queue_b = cls.records_b["crm.support.queue"]
        cls.records_b["crm.support.sla"] = cls.env["crm.support.sla"].create(
            {"name": "B policy", "queue_id": queue_b.id}
        )
        cls.records_b["crm.support.ticket"] = cls.env["crm.support.ticket"].create(
            {"name": "B ticket", "queue_id": queue_b.id, "partner_id": cls.shared.id}
        )
        cls.records_b["crm.campaign.rule"] = cls.env["crm.campaign.rule"].create(
            {"name": "B rule", "campaign_id": cls.records_b["crm.campaign"].id}
        )
        cls.records_b["crm.campaign.delivery"] = cls.env["crm.campaign.delivery"].create(
            {"campaign_id": cls.records_b["crm.campaign"].id, "partner_id": cls.shared.id, **B}
        )

    def test_user_of_a_sees_nothing_of_b(self):
        for model, record in self.records_b.items():
            with self.subTest(model=model):
                self.assertEqual(record.company_id, self.company_b)
                as_a = self.env[model].with_user(self.user_a)
                self.assertFalse(as_a.search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    record.with_user(self.user_a).read(["display_name"])
                with self.assertRaises(AccessError):
                    record.with_user(self.user_a).check_access("write")

    def test_records_of_a_cannot_link_to_records_of_b(self):
        env = self.env
        queue_a = env["crm.support.queue"].create({"name": "A queue"})
        campaign_a = env["crm.campaign"].create({"name": "A campaign", "date_end": "2099-12-31"})
        email = env.ref("crm_unified.interaction_channel_email")
        rule_b = self.records_b["crm.campaign.rule"]
        other = env["res.partner"].create({"name": "Another shared customer"})
        # (model, values in company A that point at a record of company B)
        cases = [
            ("crm.support.ticket", {"name": "A", "queue_id": queue_a.id, "partner_id": self.partner_b.id}),
            ("crm.interaction", {"partner_id": self.partner_b.id, "subject": "x", "channel_id": email.id}),
            ("crm.campaign.rule", {"name": "A", "campaign_id": campaign_a.id, "preview_partner_id": self.partner_b.id}),
            ("crm.campaign.delivery", {"campaign_id": campaign_a.id, "partner_id": self.partner_b.id}),
            ("crm.campaign.delivery", {"campaign_id": campaign_a.id, "partner_id": other.id, "rule_id": rule_b.id}),
            ("crm.campaign.delivery", {"campaign_id": rule_b.campaign_id.id, "partner_id": other.id}),
        ]  # fmt: skip
        ticket_a = env["crm.support.ticket"].create({"name": "A ticket", "queue_id": queue_a.id})
        for model, values in cases:
            with (
                self.subTest(model=model, values=values),
                self.assertRaises(UserError),
            ):
                env[model].with_user(self.user_a).create(values)
        with (
            self.subTest("follow-up ticket of another company's ticket"),
            self.assertRaises(UserError),
        ):
            ticket_a.write({"parent_id": self.records_b["crm.support.ticket"].id})
        with self.subTest("SLA line under another company's policy"), self.assertRaises(UserError):
            env["crm.support.ticket.sla"].create(
                {
                    "ticket_id": ticket_a.id,
                    "sla_id": self.records_b["crm.support.sla"].id,
                    "target_type": "first_response",
                    "target_hours": 4,
                    "start_date": "2026-03-13 14:00:00",
                }
            )
