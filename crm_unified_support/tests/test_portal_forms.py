import re

import lxml.html

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_unified.tests.browser_form import browser_form_values

from .common import SupportCommon

NEW_TICKET = "/my/tickets/new"


@tagged("post_install", "-at_install")
class TestPortalForms(HttpCase, SupportCommon):
    """Portal ticket forms posted as the browser posts them, then tampered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal_carla.password = cls.user_portal_carla.login
        cls.ticket_type = cls.env["crm.support.ticket.type"].create({"name": "Form question"})
        cls.Ticket = cls.env["crm.support.ticket"]

    def _form(self, url, action):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return browser_form_values(response.text, action)

    def _post(self, url, values):
        response = self.url_open(url, data=values)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)
        self.assertNotIn("invalid literal", response.text)
        return response

    def _tickets(self, subject):
        return self.Ticket.search([("name", "=", subject)])

    def _portal_queues(self):
        return self.env["crm.support.queue"].search(
            [
                ("visibility", "=", "portal"),
                ("company_id", "in", self.user_portal_carla.company_ids.ids),
            ]
        )

    def test_new_ticket_as_the_browser_posts_it(self):
        """Several queues: the customer chooses one (none is forced on them), the
        type is "Not sure" and becomes the queue's default type."""
        self.queue.default_type_id = self.ticket_type
        self.assertGreater(len(self._portal_queues()), 1)
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open(NEW_TICKET).text
        # The field is named with the product's term, not "Team".
        self.assertIn('<label class="form-label" for="queue_id">Queue</label>', page)
        self.assertNotIn(">Team<", page)
        self.assertIn("Not sure (the team decides)", page)
        values = browser_form_values(page, NEW_TICKET)
        self.assertEqual((values["queue_id"], values["type_id"], values["subject"]), ("", "", ""))
        values.update(
            queue_id=str(self.queue.id), subject="Scanner jams", description="Page 2\nevery time"
        )
        self._post(NEW_TICKET, values)
        ticket = self._tickets("Scanner jams")
        self.assertEqual(len(ticket), 1)
        self.assertEqual((ticket.queue_id, ticket.type_id), (self.queue, self.ticket_type))
        self.assertEqual(ticket.partner_id, self.customer)
        # Without a default type on the queue, "Not sure" leaves the type empty.
        self.queue.default_type_id = False
        self._post(NEW_TICKET, {**values, "subject": "Scanner jams again"})
        self.assertFalse(self._tickets("Scanner jams again").type_id)

    def test_only_queue_and_its_default_type_are_preselected(self):
        (self._portal_queues() - self.queue).visibility = "internal"
        self.queue.default_type_id = self.ticket_type
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open(NEW_TICKET).text
        self.assertNotIn("Choose…", page, "a single queue offers no empty choice")
        values = browser_form_values(page, NEW_TICKET)
        self.assertEqual(
            (values["queue_id"], values["type_id"]), (str(self.queue.id), str(self.ticket_type.id))
        )
        self._post(NEW_TICKET, {**values, "subject": "Paper tray"})
        ticket = self._tickets("Paper tray")
        self.assertEqual((ticket.queue_id, ticket.type_id), (self.queue, self.ticket_type))
        # The only ticket type is preselected whatever the queue says.
        self.queue.default_type_id = False
        (self.env["crm.support.ticket.type"].search([]) - self.ticket_type).active = False
        values = self._form(NEW_TICKET, NEW_TICKET)
        self.assertEqual(values["type_id"], str(self.ticket_type.id))
        self.assertNotIn("Not sure", self.url_open(NEW_TICKET).text)

    def test_tampered_values_are_named_and_choices_kept(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        values = self._form(NEW_TICKET, NEW_TICKET)
        values.update(
            queue_id=str(self.queue.id),
            subject="Toner leak",
            description="Black dust",
            type_id="abc",
        )
        response = self._post(NEW_TICKET, values)
        self.assertIn("Choose a ticket type from the list.", response.text)
        self.assertFalse(self._tickets("Toner leak"), "nothing is created")
        # The page keeps what the customer wrote and chose.
        again = browser_form_values(response.text, NEW_TICKET)
        self.assertEqual(
            (again["subject"], again["description"], again["queue_id"]),
            ("Toner leak", "Black dust", str(self.queue.id)),
        )
        # Ids that are not offered: another queue, a missing type, a word.
        internal = self.env["crm.support.queue"].create(
            {
                "name": "Internal only",
                "visibility": "internal",
                "stage_ids": self.queue.stage_ids.ids,
            }
        )
        for field, tampered, message in (
            ("type_id", "999999", "Choose a ticket type from the list."),
            ("queue_id", str(internal.id), "Choose a support queue."),
            ("queue_id", "x", "Choose a support queue."),
            ("queue_id", "", "Choose a support queue."),
            ("subject", "   ", "Give your ticket a subject."),
        ):
            response = self._post(NEW_TICKET, {**again, field: tampered})
            self.assertIn(message, response.text, f"{field}={tampered!r}")
        # Several bad fields at once: each is named.
        response = self._post(NEW_TICKET, {"csrf_token": again["csrf_token"], "type_id": "-1"})
        for message in (
            "Choose a support queue.",
            "Give your ticket a subject.",
            "Choose a ticket type from the list.",
        ):
            self.assertIn(message, response.text)
        self.assertFalse(self._tickets("Toner leak"))
        # The customer picks a listed type and posts the page again: created.
        again["type_id"] = str(self.ticket_type.id)
        self._post(NEW_TICKET, again)
        self.assertEqual(self._tickets("Toner leak").type_id, self.ticket_type)

    def test_nul_bytes_and_file_parts_in_text_fields_are_no_server_error(self):
        """NUL bytes (PostgreSQL refuses them in text) and a file sent where the
        form has a text field give the form again or a ticket, never an error."""
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        values = self._form(NEW_TICKET, NEW_TICKET)
        values.update(
            queue_id=str(self.queue.id), subject="Nul\x00 byte", description="Line\x00 one"
        )
        self._post(NEW_TICKET, values)
        ticket = self._tickets("Nul byte")
        self.assertEqual(len(ticket), 1, "NUL bytes are dropped, the rest is kept")
        self.assertIn("Line one", str(ticket.description))
        # A file part posted under a text field's name counts as a missing field.
        response = self.url_open(
            NEW_TICKET,
            data={**values, "subject": None},
            files={"subject": ("subject.txt", b"Hello", "text/plain")},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Give your ticket a subject.", response.text)
        self.assertNotIn("Traceback", response.text)
        # The search box of the list, with a NUL byte.
        response = self.url_open("/my/tickets?search=Nul%00&search_in=name")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)

    def test_messages_are_never_read_from_the_url(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        ticket = self._create_ticket(name="Url message")
        for url in (
            f"{NEW_TICKET}?error=Call+us+at+555-0100",
            f"/my/tickets/{ticket.id}?message=Call+us+at+555-0100",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("Call us at 555-0100", response.text, url)

    def test_close_refused_shows_our_message_and_closing_twice_is_harmless(self):
        ticket = self._create_ticket(name="Close me")
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open(f"/my/tickets/{ticket.id}")
        close_url = f"/my/tickets/{ticket.id}/close"
        values = browser_form_values(page.text, close_url)
        self.queue.allow_portal_close = False  # changed while the page was open
        response = self._post(close_url, values)
        self.assertIn("Tickets of this queue cannot be closed from the portal.", response.text)
        self.assertFalse(ticket.is_closed)
        self.queue.allow_portal_close = True
        self._post(close_url, values)
        self.assertTrue(ticket.is_closed)
        self._post(close_url, values)
        self.assertTrue(ticket.is_closed)
        # A tampered ticket id or token finds nothing.
        other = self._create_ticket(name="Not hers", partner_id=self.other_customer.id)
        with mute_logger("odoo.http", "werkzeug"):
            response = self.url_open(f"/my/tickets/{other.id}/close", data=values)
            self.assertEqual(response.status_code, 404)
            response = self.url_open(
                f"/my/tickets/{other.id}/close", data={**values, "access_token": "forged"}
            )
            self.assertEqual(response.status_code, 404)
        self.assertFalse(other.is_closed)

    def test_tampered_rating_changes_nothing(self):
        ticket = self._create_ticket(name="Rate me")
        ticket.action_close_by_customer()
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open(f"/my/tickets/{ticket.id}")
        token = re.search(r"/rate/([0-9a-f]+)/5", page.text).group(1)
        with mute_logger("odoo.http", "werkzeug"):
            response = self.url_open(f"/rate/{token}/7")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)
        ticket.invalidate_recordset()
        self.assertFalse(ticket.rating_ids.filtered("consumed"))

    def test_new_ticket_breadcrumb_leads_back_to_the_tickets(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = lxml.html.fromstring(self.url_open(NEW_TICKET).text)
        crumbs = page.xpath("//ol[hasclass('o_portal_submenu')]/li")
        self.assertEqual(
            [" ".join(li.text_content().split()) for li in crumbs][-2:], ["Tickets", "New Ticket"]
        )
        self.assertEqual(crumbs[-2].xpath(".//a/@href"), ["/my/tickets"])
