import re

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestPortalPreferences(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="prefs_portal", groups="base.group_portal", email="prefs@example.com"
        )
        cls.partner = cls.portal_user.partner_id
        cls.other = cls.env["res.partner"].create(
            {"name": "Someone Else", "email": "someone.else@example.com"}
        )
        cls.email = cls.env.ref("crm_unified.interaction_channel_email")
        cls.sms = cls.env.ref("crm_unified.interaction_channel_sms")
        cls.interaction = cls.env["crm.interaction"].create(
            {"partner_id": cls.partner.id, "channel_id": cls.email.id, "subject": "Hello"}
        )

    def _csrf_token(self):
        response = self.url_open("/my/preferences")
        self.assertEqual(response.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def test_portal_home_links_preferences(self):
        self.authenticate("prefs_portal", "prefs_portal")
        response = self.url_open("/my")
        self.assertIn("/my/preferences", response.text)

    def test_portal_user_changes_own_preferences(self):
        self.authenticate("prefs_portal", "prefs_portal")
        token = self._csrf_token()
        response = self.url_open(
            "/my/preferences",
            data={
                "csrf_token": token,
                "consent_email": "opt_out",
                "consent_sms": "opt_in",
                "preferred_channel_id": str(self.sms.id),
                "quiet_hour_start": "22",
                "quiet_hour_end": "7",
                "lang": "en_US",
                # A crafted field: the page never reads a partner from the request.
                "partner_id": str(self.other.id),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your preferences have been saved", response.text)
        self.env.invalidate_all()
        consents = self.partner._crm_get_consent(["email", "sms"])[self.partner.id]
        self.assertEqual(consents, {"email": "opt_out", "sms": "opt_in"})
        self.assertEqual(self.partner.preferred_channel_id, self.sms)
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (22, 7))
        consent = self.env["crm.contact.consent"].search(
            [("partner_id", "=", self.partner.id), ("channel_id", "=", self.email.id)]
        )
        self.assertEqual(consent.source, "portal")
        self.assertEqual(consent.user_id, self.portal_user)
        self.assertFalse(self.other.consent_ids, "another customer must stay untouched")
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", "prefs@example.com")]),
            "the portal opt-out reaches the mailing blacklist",
        )

    def test_invalid_values_are_refused(self):
        self.authenticate("prefs_portal", "prefs_portal")
        token = self._csrf_token()
        response = self.url_open(
            "/my/preferences",
            data={"csrf_token": token, "quiet_hour_start": "30", "consent_email": "opt_out"},
        )
        self.assertIn("Quiet hours must be between", response.text)
        self.env.invalidate_all()
        self.assertFalse(self.partner.consent_ids, "nothing partial is saved")

    def test_post_without_csrf_token_is_rejected(self):
        self.authenticate("prefs_portal", "prefs_portal")
        with mute_logger("odoo.http"):
            response = self.url_open("/my/preferences", data={"consent_email": "opt_out"})
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.partner.consent_ids)

    def test_anonymous_is_redirected_to_login(self):
        response = self.url_open("/my/preferences", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers.get("Location", ""))

    def test_portal_user_sees_nothing_of_crm_models(self):
        env = self.env(user=self.portal_user)
        for model in ("crm.interaction", "crm.segment", "crm.contact.consent", "crm.rfm.label"):
            with self.assertRaises(AccessError, msg=model):
                env[model].search([])
        with self.assertRaises(AccessError):
            self.interaction.with_user(self.portal_user).read(["subject"])
        with self.assertRaises(AccessError):
            self.partner.with_user(self.portal_user).read(["engagement_score"])
        with self.assertRaises(AccessError):
            self.partner.with_user(self.portal_user).read(["sale_revenue_total", "rfm_segment"])
