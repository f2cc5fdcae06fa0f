from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import NOW, CampaignCommon

# What every marketing user may write: plain placeholders (rendered without code)
BODY = (
    '<p><t t-out="object.offer_price_display"/> '
    'until <t t-out="object.offer_expiry_date_display"/></p>'
)
SMS = "{{ object.offer_price_display }} until {{ object.offer_expiry_date_display }}"
# What a template editor may write: Odoo's format helpers of mail.render.mixin
EDITOR_BODY = (
    '<p><t t-out="format_amount(object.offer_price, object.offer_currency_id)"/> '
    'until <t t-out="format_date(object.offer_expiry_date)"/></p>'
)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAuthoring(CampaignCommon):
    """Messages are previewed and sent in the customer's language, formats and
    currency, with their A/B variant named; nothing shows a template's source."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("uk_UA")
        uah = cls.env.ref("base.UAH")
        uah.active = True
        cls.pricelist_uah = cls.env["product.pricelist"].create(
            {
                "name": "Hryvnia prices",
                "currency_id": uah.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.product.id,
                            "compute_price": "fixed",
                            "fixed_price": 2000.0,
                        }
                    )
                ],
            }
        )
        cls.customer_uk = cls.partners[0]
        cls.customer_uk.write({"lang": "uk_UA", "property_product_pricelist": cls.pricelist_uah.id})
        cls.customer_en = cls.partners[1]
        cls.customer_en.lang = "en_US"
        # the company's own currency for the English customer, whatever the database's
        cls.company.currency_id = cls.env.ref("base.USD")
        cls.customer_en.property_product_pricelist = cls.env["product.pricelist"].create(
            {"name": "Dollar prices", "currency_id": cls.env.ref("base.USD").id}
        )
        # written by a marketing user who is not a template editor
        cls.rule.with_user(cls.user_marketing).write({"email_body_html": BODY, "sms_body": SMS})
        cls.variants = cls.env["crm.campaign.variant"].create(
            [
                {"rule_id": cls.rule.id, "name": "Short subject", "split_percent": 50.0},
                {"rule_id": cls.rule.id, "name": "Long subject", "split_percent": 50.0},
            ]
        )

    def test_preview_for_a_ukrainian_customer_formats_date_and_amount_in_ukrainian(self):
        self.rule.preview_partner_id = self.customer_uk
        # 2,000 UAH minus the rule's 10%; the offer runs 14 days from 7 December
        self.assertEqual(self.rule.preview_body_html, "<p>1\xa0800,00\xa0₴ until 21.12.2026</p>")
        self.assertEqual(self.rule.preview_sms_body, "1\xa0800,00\xa0₴ until 21.12.2026")
        self.assertEqual(self.rule.preview_lang, "Ukrainian / українська")
        self.rule.preview_partner_id = self.customer_en
        self.assertEqual(self.rule.preview_body_html, "<p>$\xa0180.00 until 12/21/2026</p>")

    def test_template_editors_format_with_odoos_helpers_in_the_customers_language(self):
        self.rule.write({"email_body_html": EDITOR_BODY, "preview_partner_id": self.customer_uk.id})
        self.assertEqual(self.rule.preview_body_html, "<p>1\xa0800,00\xa0₴ until 21.12.2026</p>")
        self.rule.preview_partner_id = self.customer_en
        self.assertEqual(self.rule.preview_body_html, "<p>$\xa0180.00 until 12/21/2026</p>")

    def test_preview_names_the_variant_of_the_customer(self):
        with Form(self.rule) as form:
            for partner in (self.customer_uk, self.customer_en):
                form.preview_partner_id = partner
                variant = self.rule._pick_variant(partner.id)
                self.assertIn(variant, self.variants)
                self.assertEqual(form.preview_variant_id, variant)
            # the variant's own text is the one previewed
            variant.email_subject = "Variant {{ object.partner_id.name }}"
            form.preview_partner_id = self.customer_uk
            form.preview_partner_id = partner
            self.assertEqual(form.preview_subject, f"Variant {partner.name}")
        self.rule.winner_variant_id = self.variants[1]
        self.rule.preview_partner_id = self.customer_uk
        self.assertEqual(self.rule.preview_variant_id.name, "Long subject")

    def test_preview_labels_are_words(self):
        """No field of the marketing addon carries the label Odoo makes up from its
        technical name ("Preview Sms Body", "Email Body Html")."""
        models = [
            name
            for name, model in self.env.registry.items()
            if any(field._module == "crm_unified_marketing" for field in model._fields.values())
        ]
        made_up = []
        for name in models:
            for fname, field in self.env[name]._fields.items():
                if field._module != "crm_unified_marketing" or field.string in (None, ""):
                    continue
                generated = fname.replace("_", " ").title()
                if field.string == generated and any(
                    word in fname for word in ("sms", "html", "preview")
                ):
                    made_up.append(f"{name}.{fname}: {field.string}")
        self.assertEqual(made_up, [])
        labels = {
            fname: self.rule._fields[fname].get_description(self.env)["string"]
            for fname in ("preview_subject", "preview_sms_body", "preview_variant_id")
        }
        self.assertEqual(
            labels,
            {
                "preview_subject": "Subject",
                "preview_sms_body": "SMS Text",
                "preview_variant_id": "A/B Variant",
            },
        )

    def _dispatch(self, deliveries):
        deliveries.filtered(lambda d: d.state == "planned").scheduled_date = "2026-12-07 04:00:00"
        self.env["crm.campaign.delivery"]._cron_dispatch()

    def test_emails_are_written_in_each_customers_language_and_named_cleanly(self):
        self.rule.email_subject = "Offer for {{ object.partner_id.name }}"
        deliveries = self._plan()
        with self.mock_mail_gateway():
            self._dispatch(deliveries)
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        bodies = {mail["email_to"][0]: mail["body"] for mail in self._mails}
        self.assertIn(
            "1\xa0800,00\xa0₴ until 21.12.2026", bodies['"Customer 0" <customer0@example.com>']
        )
        self.assertIn(
            "$\xa0180.00 until 12/21/2026", bodies['"Customer 1" <customer1@example.com>']
        )
        subjects = sorted(mail["subject"] for mail in self._mails)
        self.assertEqual(subjects[0], "Offer for Customer 0")
        mailings = deliveries.mailing_id
        traces = deliveries.mailing_trace_id
        names = (
            mailings.mapped("name")
            + mailings.mapped("subject")
            + mailings.mapped("display_name")
            + traces.mapped("display_name")
            + self._new_mails.mapped("subject")
        )
        self.assertTrue(names)
        self.assertFalse([name for name in names if "{{" in name or "t-out" in name], names)
        self.assertEqual(
            set(mailings.mapped("name")),
            {
                f"Winter sale / Desk offer / {variant.name} / Email / 12/07/2026"
                for variant in deliveries.variant_id
            },
        )
        # a second batch of the same day re-uses the mailing and still renders
        self.rule.email_subject = "Again {{ object.partner_id.name }}"
        late = self.env["crm.campaign.delivery"].create(
            {
                "campaign_id": self.campaign.id,
                "rule_id": self.rule.id,
                "variant_id": deliveries[0].variant_id.id,
                "partner_id": self.env["res.partner"]
                .create({"name": "Late Customer", "email": "late@example.com"})
                .id,
                "channel_id": self.ch_email.id,
                "scheduled_date": "2026-12-07 04:00:00",
            }
        )
        with self.mock_mail_gateway():
            self._dispatch(late)
        self.assertEqual(late.mailing_id, deliveries[0].mailing_id)
        self.assertEqual([mail["subject"] for mail in self._mails], ["Again Late Customer"])
        self.assertNotIn("{{", late.mailing_id.subject)

    def test_sms_are_written_in_each_customers_language_and_named_cleanly(self):
        self.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": self.ch_sms.id}),
        ]
        deliveries = self._plan()
        self._dispatch(deliveries)
        by_partner = {delivery.partner_id: delivery for delivery in deliveries}
        self.assertEqual(
            by_partner[self.customer_uk].sms_id.body, "1\xa0800,00\xa0₴ until 21.12.2026"
        )
        self.assertEqual(by_partner[self.customer_en].sms_id.body, "$\xa0180.00 until 12/21/2026")
        names = deliveries.mailing_id.mapped("name") + deliveries.mailing_id.mapped("subject")
        self.assertFalse([name for name in names if "{{" in name], names)

    def test_portal_notice_and_call_task_are_written_in_the_customers_language(self):
        self.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": self.ch_phone.id}),
        ]
        deliveries = self._plan()
        self._dispatch(deliveries)
        task = deliveries.filtered(lambda d: d.partner_id == self.customer_uk).activity_id
        self.assertEqual(task.note, "<p>1&nbsp;800,00&nbsp;₴ until 21.12.2026</p>")

    def test_a_broken_placeholder_is_reported_in_words_not_python(self):
        """Odoo's rendering error holds the template and a traceback: the preview and
        the delivery's reason say which message failed and what to check instead."""
        self.customer_uk.ref = False
        self.rule.write(
            {
                "email_body_html": '<p><t t-out="object.partner_id.ref.lower()"/></p>',
                "preview_partner_id": self.customer_uk.id,
            }
        )
        expected = (
            "The email body could not be rendered for this customer: a placeholder uses a "
            "field that does not exist or is empty for them. Check it with the preview."
        )
        with mute_logger("odoo.addons.mail.models.mail_render_mixin"):
            self.assertEqual(self.rule.preview_subject, expected)
            self.assertEqual(self.rule.preview_sms_body, expected)
            deliveries = self._plan()
            with self.mock_mail_gateway():
                self._dispatch(deliveries)
        failed = deliveries.filtered(lambda d: d.partner_id == self.customer_uk)
        self.assertEqual(failed.state, "failed")
        self.assertEqual(failed.failure_reason, expected)
        for text in (self.rule.preview_subject, failed.failure_reason):
            self.assertNotIn("Traceback", text)
            self.assertNotIn("AttributeError", text)
