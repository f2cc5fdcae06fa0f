from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import NOW, CampaignCommon

# Code beyond plain placeholders, per template field and engine.
UNSAFE = {
    "email_subject": "Hi {{ object.env['res.users'].search([]).mapped('login') }}",
    "email_body_html": "<p><t t-out=\"object.env['res.users'].search([]).mapped('login')\"/></p>",
    "sms_body": "{{ object.partner_id.sudo().user_ids.password }}",
}
# Plain placeholders every marketing user may write.
PLAIN = {
    "email_subject": "An offer for you, {{ object.partner_id.name }}",
    "email_body_html": '<p><t t-out="object.offer_description"/> until '
    '<t t-out="object.offer_expiry_date"/></p>',
    "sms_body": "{{ object.partner_id.name }}: {{ object.offer_description }}",
}


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestTemplateGuard(CampaignCommon):
    """With "Restrict Template Rendering" on, rules and variants are guarded as
    mail.template is, at save time and at render time, field by field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("mail.restrict.template.rendering", True)
        cls.editor_group = cls.env.ref("mail.group_mail_template_editor")
        cls.user_marketing.groups_id -= cls.editor_group
        cls.user_editor = new_test_user(
            cls.env,
            login="mkt_template_editor",
            name="Edna Editor",
            groups="crm_unified_marketing.group_marketing_user,mail.group_mail_template_editor",
        )
        # call tasks: rendered by this module, nothing else in the way
        cls.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": cls.ch_phone.id}),
        ]
        cls.variant = cls.env["crm.campaign.variant"].create(
            {"rule_id": cls.rule.id, "name": "B", "split_percent": 100.0}
        )

    def _records(self):
        return {"rule": self.rule, "variant": self.variant}

    def test_same_verdict_as_stock_mail_render_mixin(self):
        """Each value is judged by Odoo's own check, as for mail.template."""
        Mixin = self.env["mail.render.mixin"]
        model = "crm.campaign.delivery"
        for values, expected in ((UNSAFE, True), (PLAIN, False)):
            for fname, value in values.items():
                with self.subTest(field=fname, unsafe=expected):
                    if fname == "email_body_html":
                        stock = Mixin._has_unsafe_expression_template_qweb(value, model)
                    else:
                        stock = Mixin._has_unsafe_expression_template_inline_template(value, model)
                    self.assertEqual(stock, expected)
                    rule = self.env["crm.campaign.rule"].new({fname: value})
                    self.assertEqual(rule._has_unsafe_expression(), expected)

    def test_non_editor_cannot_save_code_in_any_template_field(self):
        for label, record in self._records().items():
            for fname, value in UNSAFE.items():
                with self.subTest(model=label, field=fname):
                    with self.assertRaises(AccessError) as caught:
                        record.with_user(self.user_marketing).write({fname: value})
                    self.assertIn(self.editor_group.name, str(caught.exception))
                    self.assertNotEqual(record[fname], value, "nothing saved")

    def test_non_editor_cannot_create_a_rule_or_variant_with_code(self):
        Rule = self.env["crm.campaign.rule"].with_user(self.user_marketing)
        other_rule = self._create_rule(self.campaign, "Other", self.segment)
        for fname, value in UNSAFE.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                Rule.create({"campaign_id": self.campaign.id, "name": "Sneaky", fname: value})
            with self.subTest(field=fname, model="variant"), self.assertRaises(AccessError):
                self.env["crm.campaign.variant"].with_user(self.user_marketing).create(
                    {"rule_id": other_rule.id, "name": "C", "split_percent": 100.0, fname: value}
                )

    def test_plain_placeholders_are_allowed_to_everyone(self):
        for label, record in self._records().items():
            with self.subTest(model=label):
                record.with_user(self.user_marketing).write(PLAIN)
                self.assertEqual(record.email_subject, PLAIN["email_subject"])

    def test_editor_may_save_code_and_others_may_not_touch_it(self):
        self.rule.with_user(self.user_editor).write({"email_subject": UNSAFE["email_subject"]})
        with self.assertRaises(AccessError):
            self.rule.with_user(self.user_marketing).write({"discount": 20.0})

    def _dispatch_one(self):
        deliveries = self._plan().filtered(lambda d: d.state == "planned")
        deliveries.scheduled_date = "2026-12-07 04:00:00"
        self.env["crm.campaign.delivery"]._cron_dispatch()
        return deliveries

    def test_code_slipped_past_the_save_check_is_not_rendered_at_dispatch(self):
        """Written with sudo (no save check) by a non-editor: the dispatch refuses it."""
        for label, record in self._records().items():
            for fname, value in UNSAFE.items():
                with self.subTest(model=label, field=fname), self.env.cr.savepoint() as sp:
                    record.with_user(self.user_marketing).sudo().write({fname: value})
                    self.assertEqual(record.write_uid, self.user_marketing)
                    deliveries = self._dispatch_one()
                    self.assertEqual(set(deliveries.mapped("state")), {"failed"})
                    self.assertIn("not in the", deliveries[0].failure_reason)
                    self.assertFalse(deliveries.activity_id, "nothing created")
                    sp.rollback()

    def test_code_written_by_an_editor_is_rendered_at_dispatch(self):
        self.variant.unlink()
        self.rule.with_user(self.user_editor).write({"email_subject": "{{ 6 * 7 }} for you"})
        deliveries = self._dispatch_one()
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertEqual(deliveries[0].activity_id.summary, "42 for you")
