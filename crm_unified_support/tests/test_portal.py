import re

from requests import HTTPError

from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestPortal(HttpCase, SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for user in (cls.user_portal_carla, cls.user_portal_otto):
            user.password = user.login
        cls.ticket_carla = cls._create_ticket(name="Carla portal ticket")
        cls.ticket_colin = cls._create_ticket(
            name="Colin portal ticket", partner_id=cls.customer_colleague.id
        )
        cls.ticket_otto = cls._create_ticket(
            name="Otto portal ticket", partner_id=cls.other_customer.id
        )
        cls.attachment_otto = cls.env["ir.attachment"].create(
            {
                "name": "otto-secret.txt",
                "raw": b"otto's secret",
                "res_model": "crm.support.ticket",
                "res_id": cls.ticket_otto.id,
            }
        )

    def _csrf(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def test_list_shows_own_and_company_tickets_only(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        page = self.url_open("/my/tickets")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Carla portal ticket", page.text)
        self.assertIn("Colin portal ticket", page.text, "Company-wide visibility")
        self.assertNotIn("Otto portal ticket", page.text)
        page = self.url_open("/my/tickets?filterby=closed")
        self.assertNotIn("Carla portal ticket", page.text)
        page = self.url_open("/my/tickets?search=Colin&search_in=name")
        self.assertIn("Colin portal ticket", page.text)
        self.assertNotIn("Carla portal ticket", page.text)

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.http", "werkzeug")
    def test_detail_isolation_by_url_and_token(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        self.assertEqual(self.url_open(f"/my/tickets/{self.ticket_carla.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/tickets/{self.ticket_otto.id}").status_code, 404)
        self.assertEqual(
            self.url_open(
                f"/my/tickets/{self.ticket_otto.id}?access_token=guessed-token"
            ).status_code,
            404,
        )
        self.assertEqual(self.url_open("/my/tickets/999999").status_code, 404)
        # The real token opens the ticket, even without login (email link).
        self.authenticate(None, None)
        token = self.ticket_otto._portal_ensure_token()
        page = self.url_open(f"/my/tickets/{self.ticket_otto.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Otto portal ticket", page.text)

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.http", "werkzeug")
    def test_rpc_reply_and_attachment_isolation(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        with self.assertRaises(JsonRpcException) as ctx:
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/crm.support.ticket/read",
                {
                    "model": "crm.support.ticket",
                    "method": "read",
                    "args": [[self.ticket_otto.id], ["name"]],
                    "kwargs": {},
                },
            )
        self.assertIn("AccessError", str(ctx.exception))
        messages_before = len(self.ticket_otto.message_ids)
        refused = False
        try:
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "crm.support.ticket",
                    "thread_id": self.ticket_otto.id,
                    "post_data": {"body": "intrusion", "message_type": "comment"},
                },
            )
        except (JsonRpcException, HTTPError):
            refused = True
        self.assertTrue(refused, "A portal customer posted on another customer's ticket")
        self.ticket_otto.invalidate_recordset()
        self.assertEqual(len(self.ticket_otto.message_ids), messages_before)
        response = self.url_open(f"/web/content/{self.attachment_otto.id}?download=true")
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn(b"otto's secret", response.content)
        # Own ticket: the reply goes through.
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crm.support.ticket",
                "thread_id": self.ticket_carla.id,
                "post_data": {
                    "body": "my answer",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        self.assertTrue(any("my answer" in (m.body or "") for m in self.ticket_carla.message_ids))

    @mute_logger("odoo.http", "werkzeug")
    def test_new_ticket_form_with_attachment_and_csrf(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        csrf = self._csrf("/my/tickets/new")
        data = {
            "csrf_token": csrf,
            "queue_id": self.queue.id,
            "subject": "Portal printer issue",
            "description": "It prints <b>blank</b> pages",
        }
        response = self.url_open(
            "/my/tickets/new", data=data, files={"attachment": ("error.txt", b"E42", "text/plain")}
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crm.support.ticket"].search([("name", "=", "Portal printer issue")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.channel_id.code, "portal")
        self.assertIn("&lt;b&gt;blank&lt;/b&gt;", ticket.description, "Customer text is escaped")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(attachment.raw, b"E42")
        # Without CSRF token: refused, nothing created.
        data.pop("csrf_token")
        data["subject"] = "No CSRF"
        response = self.url_open("/my/tickets/new", data=data)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["crm.support.ticket"].search([("name", "=", "No CSRF")]))
        # A queue closed to the portal cannot be chosen.
        internal = self.env["crm.support.queue"].create(
            {
                "name": "Internal only",
                "visibility": "internal",
                "stage_ids": [(6, 0, self.stages.ids)],
            }
        )
        data.update(csrf_token=csrf, subject="Sneaky", queue_id=internal.id)
        response = self.url_open("/my/tickets/new", data=data)
        self.assertIn("Choose a support queue", response.text)
        self.assertFalse(self.env["crm.support.ticket"].search([("name", "=", "Sneaky")]))

    @mute_logger("odoo.http", "werkzeug")
    def test_close_and_rate(self):
        self.authenticate("sup_portal_carla", "sup_portal_carla")
        csrf = self._csrf(f"/my/tickets/{self.ticket_carla.id}")
        response = self.url_open(
            f"/my/tickets/{self.ticket_carla.id}/close", data={"csrf_token": csrf}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.ticket_carla.is_closed)
        page = self.url_open(f"/my/tickets/{self.ticket_carla.id}")
        token = re.search(r"/rate/([0-9a-f]+)/5", page.text).group(1)
        self.assertEqual(self.url_open(f"/rate/{token}/5").status_code, 200)
        self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"rate": 5, "feedback": "quick and kind", "csrf_token": csrf},
        )
        self.ticket_carla.invalidate_recordset()
        self.assertEqual(self.ticket_carla.rating_last_value, 5)
        rated = self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.support.ticket"),
                ("res_id", "=", self.ticket_carla.id),
                ("subject", "ilike", "rated"),
            ]
        )
        self.assertEqual(rated.outcome, "5/5")
        # Someone else's ticket cannot be closed.
        response = self.url_open(
            f"/my/tickets/{self.ticket_otto.id}/close", data={"csrf_token": csrf}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.ticket_otto.is_closed)
