import re

from lxml import html

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalListingVisibility(HttpCase):
    """/my/preferences lists channels with sudo(): an archived channel (an
    internal-only record) is neither listed nor accepted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="listing_portal", groups="base.group_portal", email="l@example.com"
        )
        cls.letter = cls.env.ref("crm_unified.interaction_channel_letter")
        cls.letter.name = "Archived letter channel"
        cls.letter.action_archive()

    def test_archived_channel_is_not_listed_nor_accepted(self):
        self.authenticate("listing_portal", "listing_portal")
        response = self.url_open("/my/preferences")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Archived letter channel", response.text)
        tree = html.fromstring(response.content)
        offered = tree.xpath("//select[@name='preferred_channel_id']/option/@value")
        self.assertTrue(offered, "The form lists the active channels")
        self.assertNotIn(str(self.letter.id), offered)
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        response = self.url_open(
            "/my/preferences",
            data={"csrf_token": token, "preferred_channel_id": str(self.letter.id)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.portal_user.partner_id.sudo().preferred_channel_stated_id)
