from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestTicketPrivacy(SupportCommon):
    """Issue 14 §4: tickets' copies of the person's email and phone are found and erased."""

    def _lookup(self, email, name):
        wizard = self.env["privacy.lookup.wizard"].create({"name": name, "email": email})
        wizard.action_lookup()
        return wizard

    def test_lookup_deleting_the_customer_erases_ticket_copies(self):
        dana = self.env["res.partner"].create(
            {"name": "Dana Privacy", "email": "dana@acme.example.com", "phone": "+32 470 12 34 56"}
        )
        ticket = self._create_ticket(partner_id=dana.id)
        self.assertEqual(
            (ticket.partner_email, ticket.partner_phone),
            ("dana@acme.example.com", "+32 470 12 34 56"),
        )
        # A ticket that only copied the address (sent from it, customer changed since).
        orphan = self._create_ticket(partner_id=self.other_customer.id)
        orphan.partner_email = "Dana <dana@acme.example.com>"
        wizard = self._lookup("dana@acme.example.com", "Dana Privacy")
        found = wizard.line_ids.filtered(lambda line: line.res_model == "crm.support.ticket")
        self.assertEqual(set(found.mapped("res_id")), {ticket.id, orphan.id})
        wizard.line_ids.filtered(
            lambda line: line.res_model == "res.partner" and line.res_id == dana.id
        ).action_unlink()
        self.assertFalse(dana.exists())
        self.assertTrue(ticket.exists(), "the ticket stays for the statistics")
        self.assertFalse(ticket.partner_id)
        self.assertFalse(ticket.partner_email)
        self.assertFalse(ticket.partner_phone)
        self.assertFalse(orphan.partner_email)
        again = self._lookup("dana@acme.example.com", "Dana Privacy")
        self.assertNotIn("crm.support.ticket", again.line_ids.mapped("res_model"))

    def test_lookup_finds_a_ticket_by_the_phone_of_the_person(self):
        self.customer.mobile = "+32 470 99 88 77"
        ticket = self._create_ticket(partner_id=self.other_customer.id)
        ticket.partner_phone = "+32 470 99 88 77"
        wizard = self._lookup("carla@acme.example.com", "Carla Customer")
        self.assertIn(
            ticket.id,
            wizard.line_ids.filtered(lambda line: line.res_model == "crm.support.ticket").mapped(
                "res_id"
            ),
        )
