import re

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestTicketMerge(HttpCase, SupportCommon):
    """The merge dialog keeps the chosen ticket; the merged one stays on the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal_colin.password = cls.user_portal_colin.login
        cls.older = cls._create_ticket(name="Older duplicate", partner_id=cls.customer_colleague.id)
        cls.newer = cls._create_ticket(name="Newer, detailed report")

    def _wizard(self, tickets, user=None):
        action = tickets.with_user(user or self.user_support).action_merge()
        return (
            self.env["crm.support.ticket.merge"]
            .with_user(user or self.user_support)
            .with_context(**action["context"])
            .create({})
        )

    def test_agent_keeps_the_ticket_they_choose(self):
        wizard = self._wizard(self.older | self.newer)
        self.assertEqual(wizard.target_id, self.older)
        self.assertEqual(wizard.merged_ticket_ids, self.newer)
        wizard.target_id = self.newer
        self.assertEqual(wizard.merged_ticket_ids, self.older)
        action = wizard.action_merge()
        self.assertEqual(action["res_id"], self.newer.id)
        self.assertTrue(self.newer.active)
        self.assertFalse(self.older.active)
        self.assertEqual(self.older.merged_into_id, self.newer)
        self.assertIn(self.customer_colleague, self.newer.message_partner_ids)

    def test_nothing_merges_before_confirmation_and_bad_targets_are_refused(self):
        action = (self.older | self.newer).action_merge()
        self.assertEqual(action["target"], "new")
        self.assertTrue(self.older.active and self.newer.active)
        other = self._create_ticket(partner_id=self.other_customer.id)
        with self.assertRaises(UserError):
            (self.older | self.newer)._merge_into(other)
        with self.assertRaises(UserError):
            self._wizard(self.older | other)
        self.assertTrue(self.older.active and self.newer.active and other.active)

    def test_merged_ticket_cannot_be_merged_again(self):
        (self.older | self.newer)._merge_into(self.newer)
        third = self._create_ticket(name="Third")
        with self.assertRaises(UserError):
            (self.older.with_context(active_test=False) | third)._merge_into(third)

    def test_customer_still_sees_merged_ticket_pointing_to_the_kept_one(self):
        (self.older | self.newer)._merge_into(self.newer)
        self.authenticate(self.user_portal_colin.login, self.user_portal_colin.login)
        listing = self.url_open("/my/tickets")
        self.assertEqual(listing.status_code, 200)
        self.assertIn("Older duplicate", listing.text)
        self.assertIn(f"Merged into {self.newer.reference}", listing.text)
        page = self.url_open(f"/my/tickets/{self.older.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_support_merged_into", page.text)
        link = re.search(r'o_support_merged_into">.*?href="([^"]+)"', page.text, re.S).group(1)
        # Colin's company does not share tickets: the link's token opens the kept ticket.
        kept = self.url_open(link.replace("&amp;", "&"))
        self.assertEqual(kept.status_code, 200)
        self.assertIn("Newer, detailed report", kept.text)
        home = self.url_open("/my/home")
        self.assertEqual(home.status_code, 200)
        # Other archived tickets stay hidden.
        self.older.merged_into_id = False
        self.assertNotIn("Older duplicate", self.url_open("/my/tickets").text)

    def test_open_ticket_merged_into_a_closed_one_reopens_it(self):
        self.older.stage_id = self.stage_solved
        self.assertTrue(self.older.is_closed and self.older.close_date)
        wizard = self._wizard(self.older | self.newer)
        self.assertEqual(wizard.target_id, self.older)
        # The dialog says the kept ticket will reopen, before anything changes.
        self.assertTrue(wizard.reopen_target)
        self.assertTrue(self.older.is_closed)
        wizard.action_merge()
        self.assertFalse(self.older.is_closed)
        self.assertEqual(self.older.stage_id, self.stage_new)
        self.assertFalse(self.older.close_date)
        resolution = self.older.sla_status_ids.filtered(lambda s: s.target_type == "resolution")
        self.assertFalse(resolution.filtered("reached_date"))
        self.assertFalse(self.newer.active)
        self.assertEqual(self.newer.merged_into_id, self.older)

    def test_closed_tickets_merged_into_a_closed_one_stay_closed(self):
        (self.older | self.newer).write({"stage_id": self.stage_solved.id})
        wizard = self._wizard(self.older | self.newer)
        self.assertFalse(wizard.reopen_target)
        wizard.action_merge()
        self.assertTrue(self.older.is_closed)
        # A closed ticket merged into an open one leaves the kept one open.
        third = self._create_ticket(name="Third")
        fourth = self._create_ticket(name="Fourth", stage_id=self.stage_solved.id)
        wizard = self._wizard(third | fourth)
        wizard.target_id = third
        self.assertFalse(wizard.reopen_target)
        wizard.action_merge()
        self.assertFalse(third.is_closed)

    def test_kept_ticket_outside_the_selection_gets_the_right_message(self):
        wizard = (
            self.env["crm.support.ticket.merge"]
            .with_user(self.user_support)
            .create({"ticket_ids": [(6, 0, self.newer.ids)], "target_id": self.older.id})
        )
        with self.assertRaisesRegex(UserError, "Keep one of the tickets being merged"):
            wizard.action_merge()
        self.assertTrue(self.older.active and self.newer.active)
