from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPartnerMergeConsent(TransactionCase):
    """Odoo's merge wizard against rows unique per partner: consents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.kept = Partner.create(
            {"name": "Olena Kept", "email": "olena@example.com", "mobile": "+380 50 111 2233"}
        )
        cls.dup1 = Partner.create(
            {
                "name": "Olena (shop)",
                "email": "olena.shop@example.com",
                "mobile": "+380 67 444 5566",
            }
        )
        cls.dup2 = Partner.create({"name": "O. Kept", "email": "o.kept@example.com"})
        cls.Consent = cls.env["crm.contact.consent"]
        cls.wizard = cls.env["base.partner.merge.automatic.wizard"]

    def _merge(self, *duplicates):
        self.wizard._merge((self.kept | self.env["res.partner"].union(*duplicates)).ids, self.kept)
        self.env.invalidate_all()
        self.assertFalse(self.env["res.partner"].browse([d.id for d in duplicates]).exists())

    def _consents(self):
        return {
            c.channel_id.code: c for c in self.Consent.search([("partner_id", "=", self.kept.id)])
        }

    def test_duplicates_opted_out_of_sms_leave_kept_contact_opted_out(self):
        """Issue example: the wizard deleted both opt-outs, the kept one had none."""
        self.dup1._crm_set_consent({"sms": "opt_out"}, source="portal")
        self.dup2._crm_set_consent({"sms": "opt_out"}, source="import")
        merged_ids = (self.dup1 | self.dup2).consent_ids.ids
        self._merge(self.dup1, self.dup2)
        consent = self._consents()["sms"]
        self.assertEqual(consent.state, "opt_out")
        self.assertEqual(self.kept._crm_get_consent(["sms"])[self.kept.id]["sms"], "opt_out")
        # Audit trail: the merged rows' chatter is on the kept row, with a note.
        # One of the merged rows moved to the kept contact, the other was folded in.
        self.assertIn(consent.id, merged_ids)
        self.assertEqual(self.Consent.browse(merged_ids).exists(), consent)
        other_id = next(cid for cid in merged_ids if cid != consent.id)
        self.assertFalse(
            self.env["mail.message"].search_count(
                [("model", "=", self.Consent._name), ("res_id", "=", other_id)]
            ),
            "no message is left on the folded row",
        )
        note = consent.message_ids.filtered(lambda m: "strictest one is kept" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Olena (shop)", note.body)
        self.assertIn("O. Kept", note.body)
        # The kept contact's own number is blacklisted now.
        self.assertTrue(
            self.env["phone.blacklist"].search([("number", "=", "+380501112233")]),
            "the kept contact's number is blacklisted for SMS marketing",
        )

    def test_strictest_state_wins_and_other_channels_survive(self):
        self.kept._crm_set_consent({"email": "opt_in", "letter": "opt_out"})
        self.dup1._crm_set_consent({"email": "opt_out", "letter": "opt_in", "phone": "opt_in"})
        self.dup2._crm_set_consent({"phone": "opt_out", "sms": "opt_in"})
        dup1_email = self.dup1.consent_ids.filtered(lambda c: c.channel_id.code == "email")
        dup1_email.date = "2026-01-15 08:00:00"
        dup1_messages = dup1_email.message_ids
        self._merge(self.dup1, self.dup2)
        consents = self._consents()
        self.assertEqual(
            {code: c.state for code, c in consents.items()},
            {"email": "opt_out", "letter": "opt_out", "phone": "opt_out", "sms": "opt_in"},
        )
        # The kept row takes the winning record's date and source.
        self.assertEqual(str(consents["email"].date), "2026-01-15 08:00:00")
        self.assertLessEqual(dup1_messages, consents["email"].message_ids, "audit trail kept")
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", "olena@example.com")]),
            "the kept contact's address is blacklisted after the email opt-out",
        )

    def test_blacklisted_number_of_merged_contact_opts_kept_contact_out(self):
        """The kept contact takes a merged contact's blacklisted number."""
        self.kept.mobile = False
        self.env["phone.blacklist"]._add(["+380674445566"])
        self.assertEqual(self.dup1._crm_get_consent(["sms"])[self.dup1.id]["sms"], "opt_out")
        self.kept._crm_set_consent({"sms": "opt_in"})
        self._merge(self.dup1)
        self.assertEqual(self.kept.crm_phone_sanitized, "+380674445566")
        self.assertEqual(self._consents()["sms"].state, "opt_out")

    def test_unknown_kept_and_opted_in_duplicate_keeps_the_opt_in_row(self):
        self.dup1._crm_set_consent({"email": "opt_in"}, source="form")
        row = self.dup1.consent_ids
        self._merge(self.dup1)
        self.assertEqual(self._consents()["email"], row, "the row itself moved")
        self.assertEqual((row.state, row.source), ("opt_in", "form"))

    def test_static_segment_membership_follows_the_merge(self):
        Segment = self.env["crm.segment"]
        both = Segment.create(
            {
                "name": "Both",
                "segment_type": "static",
                "partner_ids": [Command.set((self.kept | self.dup1).ids)],
            }
        )
        dup_only = Segment.create(
            {
                "name": "Dup only",
                "segment_type": "static",
                "partner_ids": [Command.set(self.dup1.ids)],
            }
        )
        self.dup1._crm_set_consent({"email": "opt_out"})
        self._merge(self.dup1)
        self.assertEqual(both.partner_ids, self.kept)
        self.assertEqual(dup_only.partner_ids, self.kept)
        self.assertEqual(self._consents()["email"].state, "opt_out")
