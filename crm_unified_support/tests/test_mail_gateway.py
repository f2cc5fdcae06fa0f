from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import INCOMING_EMAIL, SupportCommon


@tagged("post_install", "-at_install")
class TestMailGateway(SupportCommon):
    def _process(self, email_from, subject, **kwargs):
        return self.format_and_process(
            INCOMING_EMAIL,
            email_from,
            self.queue.alias_email,
            subject=subject,
            target_model="crm.support.ticket",
            **kwargs,
        )

    def _ack_mails(self, ticket):
        return self._new_mails.filtered(
            lambda m: (
                m.model == ticket._name
                and m.res_id == ticket.id
                and ticket.reference in (m.subject or "")
            )
        )

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_new_ticket_known_customer_with_ack_and_cc(self):
        with self.mock_mail_gateway():
            ticket = self._process(
                '"Carla C." <CARLA@Acme.Example.com>',
                "Order 42 missing",
                cc="Colin <colin@acme.example.com>, newbie@acme.example.com",
            )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.queue_id, self.queue)
        self.assertEqual(ticket.partner_id, self.customer, "Matched by normalised email")
        self.assertTrue(ticket.reference.startswith("TCK/"))
        self.assertEqual(ticket.channel_id.code, "email")
        self.assertIn("did not arrive", ticket.description)
        followers = ticket.message_partner_ids
        self.assertIn(self.customer_colleague, followers, "CC becomes follower")
        newbie = self.env["res.partner"].search(
            [("email_normalized", "=", "newbie@acme.example.com")]
        )
        self.assertFalse(newbie, "An unknown CC address does not become a contact")
        self.assertIn("newbie@acme.example.com", ticket.email_cc, "It stays in the ticket's CC")
        acks = self._ack_mails(ticket)
        to_customer = acks.filtered(lambda m: self.customer in m.recipient_ids)
        self.assertEqual(
            len(to_customer),
            1,
            [(m.subject, m.recipient_ids.mapped("email"), m.email_to) for m in self._new_mails],
        )
        self.assertIn(ticket.reference, to_customer.subject)
        self.assertEqual(
            len(acks.mail_message_id), 1, "One acknowledgement message (CC followers are in copy)"
        )

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_new_ticket_unknown_sender_creates_contact(self):
        with self.mock_mail_gateway():
            ticket = self._process("Nina New <nina.new@newco.example.com>", "Hello there")
        self.assertEqual(ticket.partner_id.email, "nina.new@newco.example.com")
        self.assertEqual(ticket.partner_id.name, "Nina New")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_no_ack_to_machines(self):
        for header in (
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "Precedence: list",
            "Precedence: junk",
            "X-Autoreply: yes",
        ):
            with self.subTest(header=header), self.mock_mail_gateway():
                ticket = self._process(
                    "robot@acme.example.com", f"Out of office {header}", extra=header
                )
                self.assertEqual(len(ticket), 1, "The ticket is still created")
                self.assertFalse(self._ack_mails(ticket), f"No acknowledgement for {header}")
        with self.mock_mail_gateway():
            ticket = self._process(
                "human@acme.example.com", "Real person", extra="Auto-Submitted: no"
            )
            self.assertEqual(len(self._ack_mails(ticket)), 1, "Auto-Submitted: no is a human")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_bounce_creates_nothing(self):
        count = self.env["crm.support.ticket"].search_count([])
        with self.mock_mail_gateway():
            self.format_and_process(
                INCOMING_EMAIL,
                "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
                self.queue.alias_email,
                subject="Undelivered Mail Returned to Sender",
                target_model="crm.support.ticket",
            )
        self.assertEqual(self.env["crm.support.ticket"].search_count([]), count)
        self.assertFalse(self._new_mails.filtered(lambda m: m.model == "crm.support.ticket"))

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_reply_threads_and_reopens_within_grace(self):
        with self.mock_mail_gateway():
            ticket = self._process("carla@acme.example.com", "Broken screen")
        ticket.with_user(self.user_support).message_post(
            body="Please restart it", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.is_closed)
        first_msg = ticket.message_ids.filtered(lambda m: m.message_type == "email")[-1]
        with self.mock_mail_gateway():
            self.format_and_process(
                INCOMING_EMAIL,
                "carla@acme.example.com",
                self.queue.alias_email,
                subject="Re: Broken screen again",
                extra=f"In-Reply-To: {first_msg.message_id}",
                target_model="crm.support.ticket",
            )
        self.assertEqual(len(ticket.message_ids.filtered(lambda m: m.message_type == "email")), 2)
        self.assertFalse(ticket.is_closed, "A reply within the grace period reopens the ticket")
        self.assertFalse(ticket.child_ids)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_reply_after_grace_opens_linked_ticket(self):
        with self.mock_mail_gateway():
            ticket = self._process("carla@acme.example.com", "Slow website")
        ticket.stage_id = self.stage_solved
        ticket.close_date = fields.Datetime.now() - timedelta(days=8)
        first_msg = ticket.message_ids.filtered(lambda m: m.message_type == "email")[-1]
        with self.mock_mail_gateway():
            followup = self._process(
                "carla@acme.example.com",
                "Re: Slow website, still",
                extra=f"In-Reply-To: {first_msg.message_id}",
            )
        self.assertTrue(ticket.is_closed, "The old ticket stays closed")
        self.assertEqual(len(followup), 1)
        self.assertNotEqual(followup, ticket)
        self.assertEqual(followup.parent_id, ticket)
        self.assertEqual(followup.partner_id, self.customer)
        self.assertEqual(ticket.child_ids, followup)
        self.assertEqual(len(followup.message_ids.filtered(lambda m: m.message_type == "email")), 1)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_malformed_emails(self):
        # No From header at all.
        no_from = INCOMING_EMAIL.replace("From: {email_from}\n", "")
        with self.mock_mail_gateway():
            ticket = self.format_and_process(
                no_from,
                "",
                self.queue.alias_email,
                subject="Anonymous",
                target_model="crm.support.ticket",
            )
        self.assertEqual(len(ticket), 1, "Nothing lost: the ticket exists")
        self.assertFalse(ticket.partner_id)
        self.assertFalse(self._ack_mails(ticket), "Nobody to acknowledge")
        # Broken encoding: invalid bytes in a declared charset, encoded-word garbage in the subject.
        broken = INCOMING_EMAIL.replace('charset="utf-8"', 'charset="x-unknown-charset"')
        with self.mock_mail_gateway():
            self.format_and_process(
                broken,
                "=?utf-8?b?Q2FybGEg8J+Yg?= <carla@acme.example.com>",
                self.queue.alias_email,
                subject="=?utf-8?q?Caf=C3=A9_=FF=FE_broken?=",
                target_model="crm.support.ticket",
            )
        broken_ticket = self.env["crm.support.ticket"].search(
            [("partner_id", "=", self.customer.id)], order="id desc", limit=1
        )
        self.assertIn("Caf", broken_ticket.name)
        # Huge attachment: stored, not dropped.
        big = "A" * (3 * 1024 * 1024)
        multipart = (
            "Return-Path: {return_path}\nTo: {to}\ncc: {cc}\nFrom: {email_from}\n"
            "Subject: {subject}\nMIME-Version: 1.0\nMessage-ID: {msg_id}\n{extra}"
            'Content-Type: multipart/mixed; boundary="XX"\n\n'
            "--XX\nContent-Type: text/plain\n\nSee log\n"
            '--XX\nContent-Type: text/plain; name="big.log"\n'
            'Content-Disposition: attachment; filename="big.log"\n\n' + big + "\n--XX--\n"
        )
        with self.mock_mail_gateway():
            big_ticket = self.format_and_process(
                multipart,
                "carla@acme.example.com",
                self.queue.alias_email,
                subject="Big log",
                target_model="crm.support.ticket",
            )
        self.assertEqual(len(big_ticket), 1)
        self.assertEqual(big_ticket.message_ids.attachment_ids.mapped("name"), ["big.log"])

    def test_failure_leaves_no_half_created_records(self):
        """The contact is created before the ticket: if the ticket fails, the
        savepoint removes the contact too (the fetcher commits per message)."""
        Ticket = self.registry["crm.support.ticket"]
        original_create = Ticket.create

        def failing_create(model, vals_list):
            raise ValueError("simulated failure after the contact was created")

        partners_before = self.env["res.partner"].search_count([])
        msg_dict = {
            "message_id": "<ghost-1@nowhere.example.com>",
            "email_from": "Ghost <ghost@nowhere.example.com>",
            "subject": "Will fail",
            "body": "<p>Boo</p>",
        }
        Ticket.create = failing_create
        try:
            with self.assertRaises(ValueError):
                self.env["crm.support.ticket"].message_new(msg_dict, {"queue_id": self.queue.id})
        finally:
            Ticket.create = original_create
        self.assertEqual(
            self.env["res.partner"].search_count([]), partners_before, "No orphan contact"
        )
        ticket = self.env["crm.support.ticket"].message_new(msg_dict, {"queue_id": self.queue.id})
        self.assertEqual(ticket.partner_id.email, "ghost@nowhere.example.com", "Retry works")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_history_of_email_ticket(self):
        with freeze_time("2026-03-06 10:00:00"), self.mock_mail_gateway():
            ticket = self._process("carla@acme.example.com", "Need invoice copy")
        logs = self.env["crm.interaction"].search(
            [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
        )
        self.assertTrue(logs)
        self.assertEqual(
            logs.department_id, self.env.ref("crm_unified.interaction_department_support")
        )
        self.assertEqual(set(logs.mapped("direction")), {"inbound"})
