from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalOffersVisibility(HttpCase):
    """/my/offers lists only offers sent to the customer on the portal channel:
    planned, e-mailed or other customers' deliveries (internal-only for this
    customer) never show."""

    def test_only_sent_portal_offers_of_the_customer(self):
        portal_user = new_test_user(
            self.env, login="offers_visibility", groups="base.group_portal", name="Offer Reader"
        )
        partner = portal_user.partner_id
        stranger = self.env["res.partner"].create({"name": "Stranger Offers"})
        Channel = self.env["crm.interaction.channel"]
        portal, email = Channel._get_by_code("portal"), Channel._get_by_code("email")
        sent = {"state": "sent", "sent_date": "2026-12-07 08:00:00"}
        self.env["crm.campaign.delivery"].create(
            [
                {
                    "campaign_id": self.env["crm.campaign"]
                    .create({"name": f"Visibility {vals['subject']}", "date_end": "2099-12-31"})
                    .id,
                    "partner_id": vals["partner_id"],
                    "channel_id": vals["channel_id"],
                    "state": vals.get("state", "planned"),
                    "sent_date": vals.get("sent_date"),
                    "portal_subject": f"Offer {vals['subject']}",
                    "portal_body": f"<p>body {vals['subject']}</p>",
                }
                for vals in (
                    {"partner_id": partner.id, "channel_id": portal.id, **sent, "subject": "SHOWN"},
                    {"partner_id": partner.id, "channel_id": portal.id, "subject": "PLANNED"},
                    {"partner_id": partner.id, "channel_id": email.id, **sent, "subject": "MAILED"},
                    {
                        "partner_id": stranger.id,
                        "channel_id": portal.id,
                        **sent,
                        "subject": "OTHER",
                    },
                )
            ]
        )
        self.authenticate("offers_visibility", "offers_visibility")
        response = self.url_open("/my/offers")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Offer SHOWN", response.text)
        for hidden in ("PLANNED", "MAILED", "OTHER"):
            self.assertNotIn(f"Offer {hidden}", response.text)
            self.assertNotIn(f"body {hidden}", response.text)
