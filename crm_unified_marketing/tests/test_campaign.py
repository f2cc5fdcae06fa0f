from datetime import date

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CampaignCommon


@tagged("post_install", "-at_install")
class TestCampaign(CampaignCommon):
    def test_campaign_creates_its_utm_campaign(self):
        self.assertTrue(self.campaign.utm_campaign_id)
        self.assertEqual(self.campaign.utm_campaign_id.name, "Winter sale")

    def test_window_ending_before_start_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            self.campaign.date_end = date(2026, 12, 1)

    def test_rule_with_empty_audience_cannot_be_activated(self):
        empty = self.env["crm.segment"].create({"name": "Nobody", "segment_type": "static"})
        self._create_rule(self.campaign, "Empty", empty)
        with self.assertRaisesRegex(UserError, "reaches no customer"):
            self.campaign.action_activate()
        self.assertEqual(self.campaign.state, "draft")

    def test_exclusions_and_filter_can_empty_the_audience(self):
        self.rule.excluded_segment_ids = self.segment
        with self.assertRaisesRegex(UserError, "reaches no customer"):
            self.campaign.action_activate()
        self.rule.excluded_segment_ids = False
        self.rule.partner_domain = "[('name', '=', 'Customer 2')]"
        self.assertEqual(list(self.rule._get_audience_ids()[self.rule.id]), self.partners[2].ids)

    def test_invalid_filter_is_refused(self):
        with self.assertRaises(ValidationError):
            self.rule.partner_domain = "[('no_such_field', '=', 1)]"

    def test_variant_splits_must_sum_to_100(self):
        with self.assertRaisesRegex(ValidationError, "add up to 100"), self.env.cr.savepoint():
            self.rule.variant_ids = [
                Command.create({"name": "A", "split_percent": 50}),
                Command.create({"name": "B", "split_percent": 30}),
            ]
        self.env.invalidate_all()
        self.rule.variant_ids = [
            Command.create({"name": "A", "split_percent": 60}),
            Command.create({"name": "B", "split_percent": 40}),
        ]
        self.assertEqual(len(self.rule.variant_ids), 2)

    def test_variant_assignment_is_stable_and_follows_split(self):
        self.rule.variant_ids = [
            Command.create({"name": "A", "split_percent": 50}),
            Command.create({"name": "B", "split_percent": 50}),
        ]
        picks = [self.rule._pick_variant(pid) for pid in range(1, 201)]
        share_a = sum(1 for pick in picks if pick.name == "A") / len(picks)
        self.assertAlmostEqual(share_a, 0.5, delta=0.1)
        self.assertEqual(self.rule._pick_variant(42), self.rule._pick_variant(42))

    def test_only_marketing_channels_are_allowed(self):
        meeting = self.env["crm.interaction.channel"]._get_by_code("meeting")
        with self.assertRaisesRegex(ValidationError, "cannot be used by a campaign"):
            self.rule.channel_line_ids = [Command.create({"channel_id": meeting.id})]

    def test_hours_must_be_a_valid_window(self):
        with self.assertRaises(ValidationError):
            self.rule.write({"hour_from": 18, "hour_to": 9})

    def test_one_live_delivery_per_campaign_and_customer(self):
        values = {
            "campaign_id": self.campaign.id,
            "rule_id": self.rule.id,
            "partner_id": self.partners[0].id,
            "channel_id": self.ch_email.id,
        }
        Delivery = self.env["crm.campaign.delivery"]
        Delivery.create(values)
        Delivery.create({**values, "state": "cancelled"})  # a dead one may repeat
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            Delivery.create(values)

    def test_cap_settings_are_stored_on_the_company(self):
        settings = self.env["res.config.settings"].create(
            {"crm_cap_contacts": 5, "crm_cap_period_days": 14, "crm_require_opt_in": True}
        )
        settings.execute()
        self.assertEqual(
            (
                self.company.crm_cap_contacts,
                self.company.crm_cap_period_days,
                self.company.crm_require_opt_in,
            ),
            (5, 14, True),
        )

    def test_template_syntax_errors_are_refused_at_save(self):
        bad_values = [
            {"email_subject": "Hi {{ object.partner_id. }}"},
            {"email_body_html": '<p><t t-out="object.partner_id.name +"/></p>'},
            {"sms_body": "Hi {{ object.partner_id.name"},
            {
                "variant_ids": [
                    Command.create(
                        {"name": "A", "split_percent": 100, "email_subject": "{{ 1 + }}"}
                    )
                ]
            },
        ]
        for values in bad_values:
            with (
                self.assertRaisesRegex(ValidationError, "invalid placeholders"),
                self.env.cr.savepoint(),
            ):
                self.rule.write(values)
            self.env.invalidate_all()  # the rolled-back values stay in the cache
        self.rule.email_subject = "Hi {{ object.partner_id.name }}"
        self.assertEqual(self.rule.email_subject, "Hi {{ object.partner_id.name }}")

    def test_preview_renders_for_a_customer(self):
        self.rule.write(
            {
                "email_subject": "Hi {{ object.partner_id.name }}",
                "email_body_html": '<p><t t-out="object.offer_description"/></p>',
                "preview_partner_id": self.partners[1].id,
            }
        )
        self.assertEqual(self.rule.preview_subject, "Hi Customer 1")
        self.assertIn("10% off Oak Desk", self.rule.preview_body_html)
        self.assertIn("Customer 1", self.rule.preview_sms_body)

    def test_preview_shows_unsaved_edits_and_render_errors(self):
        with Form(self.rule) as form:
            form.preview_partner_id = self.partners[0]
            form.email_subject = "New {{ object.partner_id.name }}"
            self.assertEqual(form.preview_subject, "New Customer 0")
            form.email_subject = "Broken {{ object.no_such_field }}"
            self.assertIn("could not be rendered", form.preview_subject)
            form.email_subject = "Fixed"
