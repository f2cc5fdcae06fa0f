from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.mail.tests.common import MailCommon


@tagged("post_install", "-at_install")
class TestConsent(MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Consent Oksana",
                "email": "Oksana <oksana.consent@example.com>",
                "mobile": "+380501234567",
                "country_id": cls.env.ref("base.ua").id,
            }
        )
        cls.email = cls.env.ref("crm_unified.interaction_channel_email")
        cls.sms = cls.env.ref("crm_unified.interaction_channel_sms")
        cls.crm_user = new_test_user(cls.env, login="consent_user", groups="crm_unified.group_user")
        cls.Blacklist = cls.env["mail.blacklist"].with_context(active_test=False)
        cls.PhoneBlacklist = cls.env["phone.blacklist"].with_context(active_test=False)

    def _consent(self, channel):
        return self.env["crm.contact.consent"].search(
            [("partner_id", "=", self.partner.id), ("channel_id", "=", channel.id)]
        )

    def test_sanitized_phone(self):
        self.assertEqual(self.partner.crm_phone_sanitized, "+380501234567")

    def test_email_opt_out_blacklists_and_opt_in_unblacklists(self):
        consent = self.env["crm.contact.consent"].create(
            {"partner_id": self.partner.id, "channel_id": self.email.id, "state": "opt_out"}
        )
        entry = self.Blacklist.search([("email", "=", "oksana.consent@example.com")])
        self.assertTrue(entry.active)
        consent.state = "opt_in"
        self.assertFalse(entry.active)
        self.assertEqual(consent.state, "opt_in", "the blacklist change must not bounce back")

    def test_blacklist_add_and_remove_mirror_to_consent(self):
        self.env["mail.blacklist"]._add("oksana.consent@example.com")
        consent = self._consent(self.email)
        self.assertEqual(consent.state, "opt_out")
        self.assertEqual(consent.source, "blacklist")
        self.assertEqual(
            self.partner._crm_get_consent(["email"])[self.partner.id]["email"], "opt_out"
        )
        self.env["mail.blacklist"]._remove("oksana.consent@example.com")
        self.assertEqual(consent.state, "opt_in")

    def test_blacklist_removal_does_not_invent_consent(self):
        self.env["mail.blacklist"]._remove("oksana.consent@example.com")
        self.assertFalse(self._consent(self.email))

    def test_sms_opt_out_mirrors_phone_blacklist_both_ways(self):
        consent = self.env["crm.contact.consent"].create(
            {"partner_id": self.partner.id, "channel_id": self.sms.id, "state": "opt_out"}
        )
        entry = self.PhoneBlacklist.search([("number", "=", "+380501234567")])
        self.assertTrue(entry.active)
        consent.state = "opt_in"
        self.assertFalse(entry.active)
        self.env["phone.blacklist"]._add(["+380501234567"])
        self.assertEqual(consent.state, "opt_out")
        self.assertEqual(self.partner._crm_get_consent(["sms"])[self.partner.id]["sms"], "opt_out")
        self.env["phone.blacklist"]._remove(["+380501234567"])
        self.assertEqual(consent.state, "opt_in")

    def test_state_change_is_tracked_with_date_and_user(self):
        consent = self.env["crm.contact.consent"].create(
            {"partner_id": self.partner.id, "channel_id": self.sms.id, "state": "opt_in"}
        )
        consent.with_user(self.crm_user).write({"state": "opt_out", "source": "email"})
        self.assertEqual(consent.user_id, self.crm_user)
        self.flush_tracking()
        tracked = consent.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertEqual(len(tracked), 1)
        self.assertEqual(tracked.old_value_char, "Opted in")
        self.assertEqual(tracked.new_value_char, "Opted out")

    def test_do_not_contact_counts_as_opt_out(self):
        self.partner._crm_set_consent({"email": "opt_in", "sms": "opt_in"})
        self.assertEqual(
            self.partner._crm_get_consent(["email", "sms", "phone"])[self.partner.id],
            {"email": "opt_in", "sms": "opt_in", "phone": "unknown"},
        )
        self.partner.do_not_contact = True
        self.assertEqual(
            self.partner._crm_get_consent(["email", "sms"])[self.partner.id],
            {"email": "opt_out", "sms": "opt_out"},
        )

    def test_unknown_channel_code_is_refused(self):
        with self.assertRaises(ValidationError):
            self.partner._crm_set_consent({"telepathy": "opt_in"})

    def test_quiet_hours_range(self):
        with self.assertRaises(ValidationError):
            self.partner.quiet_hour_start = 25

    def test_deleting_blacklist_entry_reopens_email(self):
        self.partner._crm_set_consent({"email": "opt_out"})
        entry = self.Blacklist.search([("email", "=", "oksana.consent@example.com")])
        self.assertTrue(entry.active)
        entry.unlink()
        self.assertEqual(self._consent(self.email).state, "opt_in")

    def test_blacklist_archive_from_backend_mirrors(self):
        entry = self.env["mail.blacklist"].create({"email": "oksana.consent@example.com"})
        self.assertEqual(self._consent(self.email).state, "opt_out")
        entry.action_archive()
        self.assertEqual(self._consent(self.email).state, "opt_in")
