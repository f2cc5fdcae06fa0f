from odoo.tests import tagged

from odoo.addons.base.tests.common import BaseCommon


@tagged("post_install", "-at_install")
class TestPrivacyErasure(BaseCommon):
    """Issue 14 §4: Odoo's privacy lookup erases what CRM Unified keeps about a person."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = cls.env["res.partner"].create(
            {
                "name": "Privacy Pavlo",
                "email": "pavlo.privacy@example.com",
                "mobile": "+380 50 123 4567",
            }
        )
        cls.person._crm_set_consent({"email": "opt_out", "sms": "opt_out", "phone": "opt_in"})
        cls.consents = cls.person.consent_ids
        # The consent's audit trail: its chatter (tracking, notes).
        cls.consents[:1].message_post(body="Opted out by phone, call of 2 June")
        cls.interaction = cls.env["crm.interaction"].create(
            {
                "partner_id": cls.person.id,
                "channel_id": cls.env.ref("crm_unified.interaction_channel_phone").id,
                "subject": "Call with Pavlo",
            }
        )

    def _lookup(self, email="pavlo.privacy@example.com", name="Privacy Pavlo"):
        wizard = self.env["privacy.lookup.wizard"].create({"name": name, "email": email})
        wizard.action_lookup()
        return wizard

    def test_erasure_deletes_history_and_consent_audit_but_keeps_opt_outs(self):
        consent_ids = self.consents.ids
        self.assertTrue(
            self.env["mail.message"].search_count(
                [("model", "=", "crm.contact.consent"), ("res_id", "in", consent_ids)]
            ),
            "the consent has an audit trail",
        )
        wizard = self._lookup()
        line = wizard.line_ids.filtered(
            lambda line: line.res_model == "res.partner" and line.res_id == self.person.id
        )
        line.action_unlink()
        self.assertFalse(self.person.exists())
        self.assertFalse(self.interaction.exists())
        self.assertFalse(self.env["crm.contact.consent"].browse(consent_ids).exists())
        self.assertFalse(
            self.env["mail.message"].search_count(
                [("model", "=", "crm.contact.consent"), ("res_id", "in", consent_ids)]
            ),
            "the consent audit trail is erased with the person",
        )
        blacklisted = self.env["mail.blacklist"].search(
            [("email", "=", "pavlo.privacy@example.com")]
        )
        self.assertTrue(blacklisted.active, "the email opt-out survives the erasure")
        self.assertTrue(
            self.env["phone.blacklist"].search([("number", "=", "+380501234567")]),
            "the SMS opt-out survives the erasure",
        )

    def test_blacklist_entries_are_not_offered_for_deletion(self):
        self.env["mail.blacklist"]._add("pavlo.privacy@example.com")
        wizard = self._lookup()
        self.assertNotIn("mail.blacklist", wizard.line_ids.mapped("res_model"))
        self.assertIn("res.partner", wizard.line_ids.mapped("res_model"))

    def test_no_opt_out_no_blacklist(self):
        other = self.env["res.partner"].create(
            {"name": "Privacy Olha", "email": "olha.privacy@example.com"}
        )
        other._crm_set_consent({"email": "opt_in"})
        other._crm_privacy_erase("olha.privacy@example.com")
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", "olha.privacy@example.com")])
        )
        self.assertFalse(other.consent_ids)
