import json

import lxml.html

from odoo.tests import HttpCase, new_test_user, tagged

TILE = "//div[hasclass('o_portal_index_card')][.//a[@href='{url}']]"


@tagged("post_install", "-at_install")
class TestPortalHomeOffers(HttpCase):
    """/my shows an "Offers for you" tile built like Odoo's own tiles, whose
    counter counts the customer's sent portal offers; /my/offers has its
    breadcrumb back to /my."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="offers_home", groups="base.group_portal", name="Home Reader"
        )
        partner = cls.portal_user.partner_id
        stranger = cls.env["res.partner"].create({"name": "Stranger Home"})
        Channel = cls.env["crm.interaction.channel"]
        portal, email = Channel._get_by_code("portal"), Channel._get_by_code("email")
        sent = {"state": "sent", "sent_date": "2026-12-07 08:00:00"}
        cls.env["crm.campaign.delivery"].create(
            [
                {
                    # One campaign each: a customer has one live offer per campaign.
                    "campaign_id": cls.env["crm.campaign"]
                    .create({"name": f"Home tile {index}", "date_end": "2099-12-31"})
                    .id,
                    "partner_id": partner_id,
                    "channel_id": channel.id,
                    "portal_subject": f"Home offer {index}",
                    "portal_body": "<p>body</p>",
                    **state,
                }
                for index, (partner_id, channel, state) in enumerate(
                    [
                        (partner.id, portal, sent),
                        (partner.id, portal, sent),
                        (partner.id, portal, {"state": "planned"}),  # not sent: not counted
                        (partner.id, email, sent),  # e-mailed: not a portal offer
                        (stranger.id, portal, sent),  # another customer's
                    ]
                )
            ]
        )

    def _counters(self, *names):
        response = self.url_open(
            "/my/counters",
            data=json.dumps({"params": {"counters": list(names)}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()["result"]

    def test_home_tile_links_offers_with_their_count(self):
        self.authenticate("offers_home", "offers_home")
        response = self.url_open("/my")
        self.assertEqual(response.status_code, 200)
        page = lxml.html.fromstring(response.text)
        tiles = page.xpath(TILE.format(url="/my/offers"))
        self.assertEqual(len(tiles), 1, "one offers tile on /my")
        tile = tiles[0]
        self.assertEqual(
            tile.xpath(".//@data-placeholder_count"), ["crm_offer_count"], "the tile asks its count"
        )
        self.assertIn("Offers for you", tile.text_content())
        self.assertEqual(self._counters("crm_offer_count"), {"crm_offer_count": 2})

    def test_tile_icons_are_pictograms_like_odoo_tiles(self):
        """Our tiles use the stock markup (portal_docs_entry) with an SVG
        pictogram, as sale's and project's do, not the app icon."""
        self.authenticate("offers_home", "offers_home")
        page = lxml.html.fromstring(self.url_open("/my").text)
        tile = page.xpath(TILE.format(url="/my/offers"))[0]
        icons = tile.xpath(".//div[hasclass('o_portal_icon')]/img/@src")
        self.assertEqual(icons, ["/crm_unified_marketing/static/src/img/offers.svg"])
        self.assertEqual(self.url_open(icons[0]).status_code, 200)
        # Same card classes as sale's "Your Orders" (not the wide "to review" card).
        self.assertIn("col-md-6", tile.get("class").split())

    def test_offers_page_has_breadcrumb_back_home(self):
        self.authenticate("offers_home", "offers_home")
        response = self.url_open("/my/offers")
        self.assertEqual(response.status_code, 200)
        crumbs = lxml.html.fromstring(response.text).xpath("//ol[hasclass('o_portal_submenu')]/li")
        self.assertEqual(
            [" ".join(li.text_content().split()) for li in crumbs][-1:], ["Offers for you"]
        )
        self.assertTrue(
            crumbs[0].xpath(".//a[@href='/my/home' or @href='/my']"), "first crumb leads home"
        )
