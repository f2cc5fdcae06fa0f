import lxml.html

from odoo.tests import HttpCase, tagged

from odoo.addons.crm_unified.tests.browser_form import browser_form_values

from .common import SupportCommon

NEW_TICKET = "/my/tickets/new"


@tagged("post_install", "-at_install")
class TestPortalAcknowledgement(HttpCase, SupportCommon):
    """A ticket created on the portal lands on its page with an acknowledgement
    and the first response target, in working hours, of the SLA policy that
    governs it; the acknowledgement shows once and only for that ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal_carla.password = cls.user_portal_carla.login
        cls.type_outage = cls.env["crm.support.ticket.type"].create({"name": "Ack Outage"})
        cls.env["crm.support.sla"].create(
            [
                {"name": "Ack standard", "queue_id": cls.queue.id, "first_response_hours": 8},
                {
                    "name": "Ack outage",
                    "queue_id": cls.queue.id,
                    "type_ids": [(6, 0, cls.type_outage.ids)],
                    "first_response_hours": 1.5,
                },
                # No first response target: never the one announced.
                {"name": "Ack resolution", "queue_id": cls.queue.id, "resolution_hours": 1},
            ]
        )
        cls.queue_no_sla = cls.queue.copy(
            {"name": "Ack Queue Without SLA", "alias_name": "ack.nosla.test"}
        )

    def _create_through_form(self, subject, queue, ticket_type=None):
        page = self.url_open(NEW_TICKET)
        self.assertEqual(page.status_code, 200)
        values = browser_form_values(page.text, NEW_TICKET)
        # Choose among the options the page offers, as the customer does.
        form = lxml.html.fromstring(page.text)
        offered = form.xpath("//select[@name='queue_id']/option/@value")
        self.assertIn(str(queue.id), offered)
        values.update(queue_id=str(queue.id), subject=subject, description="It stopped")
        if ticket_type:
            offered_types = form.xpath("//select[@name='type_id']/option/@value")
            self.assertIn(str(ticket_type.id), offered_types)
            values["type_id"] = str(ticket_type.id)
        response = self.url_open(NEW_TICKET, data=values)
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crm.support.ticket"].search([("name", "=", subject)])
        self.assertEqual(len(ticket), 1)
        self.assertIn(f"/my/tickets/{ticket.id}", response.url)
        return ticket, response

    def _acknowledgement(self, html):
        nodes = lxml.html.fromstring(html).xpath("//*[hasclass('o_support_ticket_created')]")
        return " ".join(nodes[0].text_content().split()) if nodes else None

    def test_new_ticket_shows_acknowledgement_and_policy_first_response(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        ticket, response = self._create_through_form("Ack router down", self.queue)
        self.assertEqual(
            self._acknowledgement(response.text),
            f"Thank you, we have received your request {ticket.reference}. "
            "We will answer within 8 working hours.",
        )
        # Shown once: reloading the page, or another ticket's page, shows none.
        self.assertIsNone(self._acknowledgement(self.url_open(response.url).text))

    def test_the_governing_policy_is_the_one_with_the_earliest_first_response(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        ticket, response = self._create_through_form(
            "Ack site down", self.queue, ticket_type=self.type_outage
        )
        self.assertEqual(ticket.type_id, self.type_outage)
        self.assertIn(
            "We will answer within 1.5 working hours.", self._acknowledgement(response.text)
        )

    def test_no_first_response_target_acknowledges_without_promise(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        ticket, response = self._create_through_form("Ack no policy", self.queue_no_sla)
        self.assertEqual(
            self._acknowledgement(response.text),
            f"Thank you, we have received your request {ticket.reference}.",
        )

    def test_acknowledgement_is_not_shown_on_another_ticket_page(self):
        older = self._create_ticket(name="Ack older ticket")
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        # The session remembers the new ticket; another page must not show it.
        page = self.url_open(NEW_TICKET)
        values = browser_form_values(page.text, NEW_TICKET)
        values.update(queue_id=str(self.queue.id), subject="Ack redirect skipped")
        response = self.url_open(NEW_TICKET, data=values, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        other = self.url_open(f"/my/tickets/{older.id}")
        self.assertEqual(other.status_code, 200)
        self.assertIsNone(self._acknowledgement(other.text))

    def test_tickets_tile_icon_is_a_pictogram_like_odoo_tiles(self):
        """The tickets tile is a document tile of the stock markup with an SVG
        pictogram (as sale's and project's), not the app icon."""
        self._create_ticket(name="Ack tile ticket")
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = lxml.html.fromstring(self.url_open("/my").text)
        tiles = page.xpath("//div[hasclass('o_portal_index_card')][.//a[@href='/my/tickets']]")
        self.assertEqual(len(tiles), 1)
        icons = tiles[0].xpath(".//div[hasclass('o_portal_icon')]/img/@src")
        self.assertEqual(icons, ["/crm_unified_support/static/src/img/tickets.svg"])
        self.assertEqual(self.url_open(icons[0]).status_code, 200)
        self.assertIn("col-md-6", tiles[0].get("class").split())
