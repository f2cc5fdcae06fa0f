from datetime import timedelta
from email import message_from_string, policy

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import INCOMING_EMAIL, SupportCommon

# Each header alone marks a message as sent by a machine.
MACHINE_HEADERS = (
    "Auto-Submitted: auto-replied",
    "Auto-Submitted: auto-generated",
    "Auto-Submitted: auto-notified; owner-email=x@example.com",
    "Precedence: bulk",
    "Precedence: junk",
    "Precedence: list",
    "Precedence: auto_reply",
    "X-Auto-Response-Suppress: All",
    "X-Auto-Response-Suppress: OOF",
    "X-Autoreply: yes",
    "X-Autorespond: Out of office",
    "X-Loop: helpdesk@other.example.com",
    "List-Id: <customers.lists.example.com>",
    "List-Unsubscribe: <mailto:leave@lists.example.com>",
)
# Each sender alone marks a message as sent by a machine.
MACHINE_SENDERS = (
    "MAILER-DAEMON@mx.example.com",
    "postmaster@acme.example.com",
    "bounce+12ab@mailer.example.com",
    "bounces-123@lists.example.com",
    "no-reply@shop.example.com",
    "noreply@shop.example.com",
    "do-not-reply@shop.example.com",
    "donotreply@shop.example.com",
)
# Mail of a person: none of these may be taken for a machine.
HUMAN_HEADERS = ("Auto-Submitted: no", "Precedence: first-class", "X-Auto-Response-Suppress: None")


@tagged("post_install", "-at_install")
class TestMachineMail(SupportCommon):
    """One check for "sent by a machine", used by every reaction to a customer message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sla_next_reply = cls.env["crm.support.sla"].create(
            {"name": "Next reply 4h", "queue_id": cls.queue.id, "next_reply_hours": 4}
        )

    def _process(self, email_from, subject, extra="", **kwargs):
        return self.format_and_process(
            INCOMING_EMAIL,
            email_from,
            self.queue.alias_email,
            subject=subject,
            extra=extra,
            target_model="crm.support.ticket",
            **kwargs,
        )

    def _reply(self, ticket, email_from, subject, extra=""):
        """An email answering the ticket's first message (In-Reply-To)."""
        first = ticket.message_ids.filtered(lambda m: m.message_type == "email")[-1:]
        first = first or ticket.message_ids[-1]
        refs = f"In-Reply-To: {first.message_id}"
        with self.mock_mail_gateway():
            self.format_and_process(
                INCOMING_EMAIL,
                email_from,
                self.queue.alias_email,
                subject=subject,
                extra=f"{refs}\n{extra}" if extra else refs,
                target_model="crm.support.ticket",
            )
        ticket.invalidate_recordset()

    def _acks(self):
        return self._new_mails.filtered(lambda m: m.model == "crm.support.ticket")

    def _is_machine(self, email_from, extra=""):
        raw = INCOMING_EMAIL.format(
            return_path="<bounce-1@x.example.com>",
            to=self.queue.alias_email,
            cc="",
            email_from=email_from,
            subject="Hello",
            msg_id="<m1@x.example.com>",
            extra=extra,
        )
        message = message_from_string(raw, policy=policy.SMTP)
        Thread = self.env["mail.thread"]
        return Thread._detect_is_machine_sent(message, Thread.message_parse(message))

    # ---- The check ----

    def test_detects_each_machine_header_and_sender(self):
        for header in MACHINE_HEADERS:
            with self.subTest(header=header):
                self.assertTrue(self._is_machine("carla@acme.example.com", header))
        for sender in MACHINE_SENDERS:
            with self.subTest(sender=sender):
                self.assertTrue(self._is_machine(sender))
        for header in HUMAN_HEADERS:
            with self.subTest(header=header):
                self.assertFalse(self._is_machine("carla@acme.example.com", header))
        self.assertFalse(self._is_machine('"Carla" <carla@acme.example.com>'))
        self.assertFalse(self._is_machine("bouncer.joe@acme.example.com"), "Only whole local parts")

    def test_detects_null_return_path_and_reports(self):
        raw = INCOMING_EMAIL.format(
            return_path="<>",
            to=self.queue.alias_email,
            cc="",
            email_from="carla@acme.example.com",
            subject="x",
            msg_id="<m2@x.example.com>",
            extra="",
        )
        message = message_from_string(raw, policy=policy.SMTP)
        Thread = self.env["mail.thread"]
        self.assertTrue(Thread._detect_is_machine_sent(message, Thread.message_parse(message)))
        mdn = raw.replace("<>", "<carla@acme.example.com>").replace(
            'Content-Type: text/plain; charset="utf-8"',
            'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"',
        )
        mdn = mdn.replace(
            "Hello,", "--B\nContent-Type: message/disposition-notification\n\nx\n--B--"
        )
        message = message_from_string(mdn, policy=policy.SMTP)
        self.assertTrue(Thread._detect_is_machine_sent(message, Thread.message_parse(message)))

    # ---- Reactions ----

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_no_acknowledgement_and_no_contact_for_machines(self):
        """Issue example: Precedence: auto_reply (or only X-Auto-Response-Suppress:
        All) got an acknowledgement."""
        partners = self.env["res.partner"].search_count([])
        for index, header in enumerate(MACHINE_HEADERS):
            with self.subTest(header=header), self.mock_mail_gateway():
                ticket = self._process(
                    f"Robot {index} <robot{index}@robots.example.com>", f"Auto {index}", header
                )
                self.assertEqual(len(ticket), 1, "The mail is kept as a ticket")
                self.assertFalse(self._acks(), f"No acknowledgement for {header}")
                self.assertFalse(ticket.partner_id, "A robot does not become a contact")
                self.assertIn(f"robot{index}@robots.example.com", ticket.partner_email)
                self.assertFalse(
                    self.env["crm.interaction"].search_count(
                        [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
                    ),
                    "No customer activity logged",
                )
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        with self.mock_mail_gateway():
            self._process("carla@acme.example.com", "A person", "Precedence: first-class")
        self.assertEqual(len(self._acks()), 1, "A person still gets the acknowledgement")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_machine_reply_does_not_reopen_or_open_followup(self):
        with self.mock_mail_gateway():
            ticket = self._process("carla@acme.example.com", "Broken screen")
        ticket.stage_id = self.stage_solved
        for header in ("Precedence: auto_reply", "X-Auto-Response-Suppress: All"):
            self._reply(ticket, "carla@acme.example.com", f"Re: Broken screen {header}", header)
            self.assertTrue(ticket.is_closed, f"{header}: an out-of-office does not reopen")
        # After the grace period, the out-of-office stays on the closed ticket.
        ticket.close_date = fields.Datetime.now() - timedelta(days=30)
        self._reply(
            ticket, "carla@acme.example.com", "Re: late OOF", "Auto-Submitted: auto-replied"
        )
        self.assertTrue(ticket.is_closed)
        self.assertFalse(ticket.child_ids, "No follow-up ticket for a machine")
        self.assertEqual(len(ticket.message_ids.filtered(lambda m: m.message_type == "email")), 4)
        # The same reply from the person reopens (within grace).
        ticket.close_date = fields.Datetime.now()
        self._reply(ticket, "carla@acme.example.com", "Re: still broken")
        self.assertFalse(ticket.is_closed)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_machine_reply_starts_no_clock_resets_no_notice_logs_nothing(self):
        with self.mock_mail_gateway():
            ticket = self._process("carla@acme.example.com", "Invoice wrong")
        ticket.with_user(self.user_support).message_post(
            body="Which invoice?", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        notice = fields.Datetime.now() - timedelta(hours=3)
        ticket.write({"stage_id": self.stage_waiting.id})
        ticket.write({"auto_close_notice_date": notice})
        last_date = ticket.last_customer_message_date
        Interaction = self.env["crm.interaction"]
        domain = [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
        logged = Interaction.search_count(domain)
        for header in ("Precedence: auto_reply", "X-Auto-Response-Suppress: All", "X-Loop: a@b.c"):
            self._reply(ticket, "carla@acme.example.com", f"Re: Invoice {header}", header)
            self.assertFalse(
                ticket.sla_status_ids.filtered(lambda line: line.target_type == "next_reply"),
                f"{header}: no next-reply clock",
            )
            self.assertEqual(ticket.auto_close_notice_date, notice, "Auto-close notice stands")
            self.assertEqual(ticket.last_customer_message_date, last_date)
            self.assertEqual(Interaction.search_count(domain), logged, "Nothing in the history")
        self.assertFalse(ticket.env["crm.support.ticket"]._is_machine_message())
        # The customer's own answer does all of it.
        self._reply(ticket, "carla@acme.example.com", "Re: Invoice 2026/0042")
        self.assertEqual(
            len(ticket.sla_status_ids.filtered(lambda line: line.target_type == "next_reply")), 1
        )
        self.assertFalse(ticket.auto_close_notice_date)
        self.assertGreater(Interaction.search_count(domain), logged)

    @mute_logger("odoo.addons.mail.models.mail_thread", "odoo.addons.crm_unified_support")
    def test_sender_hourly_limit_25_mails_in_two_hours(self):
        """A sender without any machine header (a robot that replies to each
        acknowledgement with a fresh mail) mails every 5 minutes for two hours:
        with a limit of 5 per hour, 10 tickets and 10 acknowledgements, the 15
        other mails are added to the sender's latest ticket."""
        self.queue.sender_hourly_limit = 5
        Ticket = self.env["crm.support.ticket"].with_context(active_test=False)
        sent_at = {}
        acks = 0
        for index in range(25):
            minute = 5 * index
            # Age the sender's tickets as if each mail arrived at its minute.
            for ticket_id, at in sent_at.items():
                self.env.cr.execute(
                    SQL(
                        "UPDATE crm_support_ticket SET create_date = %s WHERE id = %s",
                        self.env.cr.now() - timedelta(minutes=minute - at),
                        ticket_id,
                    )
                )
            Ticket.invalidate_model(["create_date"])
            with self.mock_mail_gateway():
                self._process("Loopy <loopy@robots.example.com>", f"Loop {index}")
            acks += len(self._acks())
            new = Ticket.search(
                [("partner_email", "ilike", "loopy@"), ("id", "not in", list(sent_at))]
            )
            for ticket in new:
                sent_at[ticket.id] = minute
        tickets = Ticket.search([("partner_email", "ilike", "loopy@")])
        self.assertEqual(len(tickets), 10)
        self.assertEqual(sorted(sent_at.values()), [0, 5, 10, 15, 20, 65, 70, 75, 80, 85])
        self.assertEqual(acks, 10)
        emails = tickets.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(emails), 25, "Nothing lost")
        self.assertEqual(len(tickets.partner_id), 1, "One contact")
        self.queue.sender_hourly_limit = 0
        with self.mock_mail_gateway():
            self._process("loopy@robots.example.com", "No limit now")
        self.assertEqual(len(self._acks()), 1)

    # ---- Customers and CC through the gateway helpers ----

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_unknown_cc_is_no_new_contact(self):
        partners = self.env["res.partner"].search_count([])
        with self.mock_mail_gateway():
            ticket = self._process(
                "carla@acme.example.com",
                "With CC",
                cc=f"Colin <COLIN@acme.example.com>, stranger@else.example.com, "
                f"{self.queue.alias_email}",
            )
        self.assertIn(self.customer_colleague, ticket.message_partner_ids)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertIn("stranger@else.example.com", ticket.email_cc)
        suggested = " ".join(
            r.get("email") or "" for r in ticket._message_get_suggested_recipients()
        )
        self.assertIn("stranger@else.example.com", suggested, "Offered to the agent, not created")
        self.assertFalse(
            ticket.message_partner_ids.filtered(
                lambda p: p.email_normalized == self.queue.alias_email
            )
        )
