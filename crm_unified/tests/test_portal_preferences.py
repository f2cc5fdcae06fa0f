import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.crm_unified.controllers.portal import format_hour, parse_hour

from .browser_form import browser_form_values


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

    def _browser_form(self):
        """The preferences form as the browser would post it, untouched."""
        response = self.url_open("/my/preferences")
        self.assertEqual(response.status_code, 200)
        return browser_form_values(response.text, "/my/preferences")

    def _post(self, values):
        response = self.url_open("/my/preferences", data=values)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)
        self.assertNotIn("could not convert", response.text)
        self.env.invalidate_all()
        return response

    def test_default_form_saved_with_one_change_keeps_everything(self):
        """Issue example: quiet hours left at 00:00-00:00, one channel changed."""
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        self.assertEqual((values["quiet_hour_start"], values["quiet_hour_end"]), ("0", "0"))
        self.assertNotIn("consent_sms", values, "an unknown consent has no checked radio")
        values["consent_sms"] = "opt_out"  # the customer clicks "No" for SMS
        response = self._post(values)
        self.assertIn("Your preferences have been saved", response.text)
        self.assertEqual(self.partner._crm_get_consent(["sms"])[self.partner.id]["sms"], "opt_out")
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (0, 0))
        self.assertEqual(self.partner.lang, "en_US")
        self.assertFalse(self.partner.preferred_channel_stated_id)
        # The page shows the saved choice, and posting it again changes nothing.
        again = self._browser_form()
        self.assertEqual(again["consent_sms"], "opt_out")
        self._post(again)
        self.assertEqual(len(self.partner.consent_ids), 1)

    def test_untouched_form_keeps_back_office_values(self):
        """Values set in the back office that the lists do not offer survive a save."""
        visit = self.env.ref("crm_unified.interaction_channel_visit")
        self.partner.write(
            {
                "quiet_hour_start": 21.5,
                "quiet_hour_end": 7.25,
                "preferred_channel_stated_id": visit.id,
            }
        )
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        self.assertEqual(values["preferred_channel_id"], str(visit.id))
        response = self._post(values)
        self.assertIn("Your preferences have been saved", response.text)
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (21.5, 7.25))
        self.assertEqual(self.partner.preferred_channel_stated_id, visit)

    def test_untouched_choices_are_not_recorded_as_given_on_the_portal(self):
        """An opt-out shown because of a blacklist or a language no longer
        installed survive a save, and no consent is invented."""
        self.env["mail.blacklist"]._add("prefs@example.com")
        self.partner.consent_ids.unlink()
        # a language no longer installed (the ORM refuses to set one)
        self.env.cr.execute(
            SQL("UPDATE res_partner SET lang = 'fr_BE' WHERE id = %s", self.partner.id)
        )
        self.env.invalidate_all()
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        self.assertEqual((values["consent_email"], values["lang"]), ("opt_out", "fr_BE"))
        response = self._post(values)
        self.assertIn("Your preferences have been saved", response.text)
        self.assertFalse(self.partner.consent_ids, "nothing the customer did not touch")
        self.assertEqual(self.partner.lang, "fr_BE")
        self.assertEqual(
            self.partner._crm_get_consent(["email"])[self.partner.id]["email"], "opt_out"
        )

    def test_option_label_posted_as_value_is_understood(self):
        """A page cached before the fix posts the labels ("22:00") of the options."""
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        values.update(quiet_hour_start="22:00", quiet_hour_end="06:30")
        response = self._post(values)
        self.assertIn("Your preferences have been saved", response.text)
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (22, 6.5))

    def test_tampered_values_are_named_and_valid_ones_kept(self):
        visit = self.env.ref("crm_unified.interaction_channel_visit")
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        values.update(
            {
                "consent_email": "opt_out",  # valid
                "consent_sms": "maybe",
                "quiet_hour_start": "abc",
                "quiet_hour_end": "30",
                "preferred_channel_id": str(visit.id),  # not offered on the portal
                "lang": "xx_XX",
            }
        )
        response = self._post(values)
        for message in (
            "Choose Yes or No for SMS.",
            "The start of your quiet hours must be a time between 00:00 and 24:00.",
            "The end of your quiet hours must be a time between 00:00 and 24:00.",
            "Choose your preferred channel from the list.",
            "This language is not available.",
            "Your other choices have been saved.",
        ):
            self.assertIn(message, response.text)
        self.assertNotIn("Your preferences have been saved", response.text)
        consents = self.partner._crm_get_consent(["email", "sms"])[self.partner.id]
        self.assertEqual(consents, {"email": "opt_out", "sms": "unknown"})
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (0, 0))
        self.assertFalse(self.partner.preferred_channel_stated_id)
        self.assertEqual(self.partner.lang, "en_US")
        # Non-numeric and out-of-range ids of a channel are refused the same way.
        for tampered in ("x", "-1", "999999"):
            response = self._post({**values, "preferred_channel_id": tampered})
            self.assertIn("Choose your preferred channel from the list.", response.text)
        self.assertFalse(self.partner.preferred_channel_stated_id)

    def test_file_parts_and_nul_bytes_are_refused_without_server_error(self):
        """A file sent under a text field's name counts as a missing field (the
        stored value is kept); NUL bytes are dropped: no server error."""
        self.partner.write({"quiet_hour_start": 22, "quiet_hour_end": 7})
        self.authenticate("prefs_portal", "prefs_portal")
        values = self._browser_form()
        response = self.url_open(
            "/my/preferences",
            data={**values, "quiet_hour_start": None, "preferred_channel_id": None},
            files={
                "quiet_hour_start": ("h.txt", b"21", "text/plain"),
                "preferred_channel_id": ("c.txt", b"1", "text/plain"),
                "lang": ("l.txt", b"en_US", "text/plain"),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)
        self.assertIn("Your preferences have been saved", response.text)
        self.env.invalidate_all()
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (22, 7))
        # NUL bytes are dropped (PostgreSQL refuses them), the rest is read.
        response = self._post({**values, "quiet_hour_end": "8\x00", "lang": "en_US\x00"})
        self.assertIn("Your preferences have been saved", response.text)
        self.assertEqual((self.partner.quiet_hour_end, self.partner.lang), (8, "en_US"))

    def test_missing_fields_change_nothing(self):
        self.partner.write({"quiet_hour_start": 22, "quiet_hour_end": 7})
        self.partner._crm_set_consent({"email": "opt_in"})
        self.authenticate("prefs_portal", "prefs_portal")
        token = self._browser_form()["csrf_token"]
        response = self._post({"csrf_token": token})
        self.assertIn("Your preferences have been saved", response.text)
        self.assertEqual((self.partner.quiet_hour_start, self.partner.quiet_hour_end), (22, 7))
        self.assertEqual(
            self.partner._crm_get_consent(["email"])[self.partner.id]["email"], "opt_in"
        )

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(min_value=0, max_value=24 * 60))
    def test_hour_labels_read_back_to_their_value(self, minutes):
        hour = minutes / 60
        self.assertAlmostEqual(parse_hour(format_hour(hour)), round(hour * 60) / 60)
        self.assertEqual(parse_hour(f"{hour:g}"), float(f"{hour:g}"))

    def test_hour_parsing_refuses_what_is_no_hour(self):
        for text in ("", "abc", "25", "24:01", "-1", "12:60", "1e3", "nan", "inf", "12:5"):
            self.assertIsNone(parse_hour(text), text)

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
