import base64

from lxml import html

from odoo.tests import HttpCase, tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestPortalVisibility(HttpCase, SupportCommon):
    """The ticket page shows the customer exactly the files the portal chatter
    shows them; files of internal notes are neither listed nor downloadable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal_carla.password = cls.user_portal_carla.login
        cls.ticket = cls._create_ticket(name="Files ticket")
        Attachment = cls.env["ir.attachment"]

        def attach(name):
            return Attachment.create(
                {
                    "name": name,
                    "raw": f"content of {name}".encode(),
                    "res_model": cls.ticket._name,
                    "res_id": cls.ticket.id,
                }
            )

        cls.file_ticket = attach("ticket-file.txt")
        cls.file_note = attach("internal-note.txt")
        cls.file_internal_comment = attach("internal-comment.txt")
        cls.file_public = attach("public-answer.txt")
        cls.file_tracking = attach("notification.txt")
        agent_ticket = cls.ticket.with_user(cls.user_support)
        agent_ticket.message_post(
            body="Internal: customer is difficult",
            subtype_xmlid="mail.mt_note",
            message_type="comment",
            attachment_ids=cls.file_note.ids,
        )
        message = agent_ticket.message_post(
            body="Marked internal",
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            attachment_ids=cls.file_internal_comment.ids,
        )
        message.sudo().is_internal = True
        agent_ticket.message_post(
            body="Here is the fix",
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            attachment_ids=cls.file_public.ids,
        )
        cls.ticket.sudo().message_post(
            body="System notice",
            message_type="notification",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=cls.file_tracking.ids,
        )
        cls.hidden = cls.file_note | cls.file_internal_comment | cls.file_tracking
        cls.shown = cls.file_ticket | cls.file_public

    def _page_files(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        tree = html.fromstring(response.content)
        links = tree.xpath("//a[contains(@href, '/web/content/')]")
        return {link.text_content().strip(): link.get("href") for link in links}, response.text

    def _assert_page(self, url):
        files, text = self._page_files(url)
        for attachment in self.shown:
            self.assertIn(attachment.name, files)
            self.assertEqual(self.url_open(files[attachment.name]).status_code, 200)
        for attachment in self.hidden:
            self.assertNotIn(attachment.name, text, "An internal file is listed")
            self.assertFalse(attachment.sudo().access_token, "No token handed out for it")
            for download in (
                f"/web/content/{attachment.id}?download=true",
                f"/web/content/{attachment.id}?access_token={self.ticket.sudo().access_token}",
            ):
                response = self.url_open(download)
                self.assertIn(response.status_code, (403, 404), download)
                self.assertNotIn(base64.b64decode(attachment.datas), response.content)

    def test_logged_in_customer_sees_only_chatter_files(self):
        """Issue example: an internal note's file was listed and downloaded (200)."""
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        self._assert_page(f"/my/tickets/{self.ticket.id}")

    def test_token_visitor_sees_only_chatter_files(self):
        self._assert_page(self.ticket.sudo().get_portal_url())

    def test_employee_sees_internal_files(self):
        self.user_support.password = "sup_agent_pw"
        self.authenticate("sup_agent", "sup_agent_pw")
        files, _text = self._page_files(f"/my/tickets/{self.ticket.id}")
        self.assertIn(self.file_note.name, files, "Employees see what their chatter shows")
        self.assertNotIn(self.file_tracking.name, files)


@tagged("post_install", "-at_install")
class TestPortalListings(HttpCase, SupportCommon):
    """Every list behind the support portal pages, tried with an internal-only
    record of the same customer: never listed, never opened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal_carla.password = cls.user_portal_carla.login
        Queue = cls.env["crm.support.queue"]
        cls.queue_internal = Queue.create({"name": "Internal desk", "visibility": "internal"})
        cls.queue_members = Queue.create({"name": "Members desk", "visibility": "members"})
        cls.queue_archived = Queue.create({"name": "Archived desk", "active": False})
        cls.type_archived = cls.env["crm.support.ticket.type"].create(
            {"name": "Archived type", "active": False}
        )
        cls.ticket_internal = cls._create_ticket(
            name="Internal-only ticket", queue_id=cls.queue_internal.id
        )

    def test_internal_only_records_never_listed(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        listing = self.url_open("/my/tickets")
        self.assertEqual(listing.status_code, 200)
        self.assertNotIn("Internal-only ticket", listing.text)
        page = self.url_open(f"/my/tickets/{self.ticket_internal.id}")
        self.assertEqual(page.status_code, 404)
        self.assertNotIn("Internal-only ticket", page.text)
        form = html.fromstring(self.url_open("/my/tickets/new").content)
        queues = form.xpath("//select[@name='queue_id']/option/text()")
        self.assertIn(self.queue.name, queues)
        for hidden in ("Internal desk", "Members desk", "Archived desk"):
            self.assertNotIn(hidden, queues)
        types = form.xpath("//select[@name='type_id']/option/text()")
        self.assertNotIn("Archived type", types)

    def test_queue_with_only_a_name_closes_from_the_portal(self):
        """Issue example: closing failed with "The queue ... has no closing stage"."""
        queue = self.env["crm.support.queue"].create({"name": "Name-only desk"})
        ticket = self.env["crm.support.ticket"].create(
            {"name": "Close me", "queue_id": queue.id, "partner_id": self.customer.id}
        )
        self.assertTrue(ticket.stage_id)
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open(f"/my/tickets/{ticket.id}")
        token = html.fromstring(page.content).xpath(
            "//form[contains(@action, '/close')]//input[@name='csrf_token']/@value"
        )
        self.assertTrue(token, "The page offers the close button")
        response = self.url_open(f"/my/tickets/{ticket.id}/close", data={"csrf_token": token[0]})
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("has no closing stage", response.text)
        self.assertTrue(ticket.is_closed)
