import re
from html import unescape

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_unified.tests.browser_form import browser_form_values

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
class TestUnsubscribe(HttpCase, CampaignCommon):
    """The unsubscribe link of a campaign email, followed and posted as a browser
    does, records the customer's email opt-out; a tampered link changes nothing."""

    def _send_campaign_email(self):
        with freeze_time(NOW):
            deliveries = self._plan()
            deliveries.scheduled_date = "2026-12-07 04:00:00"
            with self.mock_mail_gateway():
                self.env["crm.campaign.delivery"]._cron_dispatch()
        body = next(m["body"] for m in self._mails if "customer0@" in str(m["email_to"]))
        link = re.search(r'href="([^"]*/confirm_unsubscribe[^"]*)"', body).group(1)
        return unescape(link).split("/", 3)[-1] if link.startswith("http") else unescape(link)

    def test_unsubscribe_link_records_email_opt_out(self):
        partner = self.partners[0]
        url = "/" + self._send_campaign_email().lstrip("/")
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        values = browser_form_values(page.text, "/mailing/confirm_unsubscribe")
        # A tampered token is refused and changes nothing.
        with mute_logger("odoo.http", "werkzeug"):
            refused = self.url_open(
                "/mailing/confirm_unsubscribe", data={**values, "hash_token": "forged"}
            )
        self.assertGreaterEqual(refused.status_code, 400)
        self.assertNotIn("Traceback", refused.text)
        self.assertEqual(partner._crm_get_consent(["email"])[partner.id]["email"], "unknown")
        response = self.url_open("/mailing/confirm_unsubscribe", data=values)
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        consent = partner.consent_ids.filtered(lambda c: c.channel_id.code == "email")
        self.assertEqual((consent.state, consent.source), ("opt_out", "blacklist"))
        others = self.partners[1:]._crm_get_consent(["email"])
        self.assertEqual({states["email"] for states in others.values()}, {"unknown"})
