"""Every portal and public route of the three addons, tried by the wrong people.

The routes are read from the server's routing map (every endpoint defined in a
CRM Unified controller), so a new route is swept without editing this file. Each
one is requested by a visitor with no session, by another customer, with a
guessed or tampered access token, and (for POST routes) without a CSRF token: it
is refused, shows nothing of the customer it belongs to, and never shows a
Python error.
"""

import re

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

OUR_PACKAGES = tuple(
    f"odoo.addons.{addon}."
    for addon in ("crm_unified", "crm_unified_marketing", "crm_unified_support")
)
SECRET = "ROUTE-SWEEP-SECRET-OF-A"
REFUSED = (302, 303, 400, 403, 404)


@tagged("post_install", "-at_install", "crm_unified_access")
class TestPortalRoutes(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_a = new_test_user(
            cls.env, login="sweep_a", groups="base.group_portal", email="sweep.a@example.com"
        )
        cls.user_b = new_test_user(
            cls.env, login="sweep_b", groups="base.group_portal", email="sweep.b@example.com"
        )
        cls.user_a.partner_id.name = f"Customer {SECRET}"
        # One record of customer A per portal model the addons expose, found by
        # the name of the URL argument that carries its id.
        cls.ids_of_a = {"page": 1}
        if "crm.support.ticket" in cls.env:
            queue = cls.env["crm.support.queue"].search([("visibility", "=", "portal")], limit=1)
            cls.ticket_a = cls.env["crm.support.ticket"].create(
                {
                    "name": SECRET,
                    "description": f"<p>{SECRET}</p>",
                    "partner_id": cls.user_a.partner_id.id,
                    "queue_id": queue.id,
                }
            )
            cls.ids_of_a["ticket_id"] = cls.ticket_a.id

    def _our_routes(self):
        """(url template, routing) for every route a CRM Unified controller defines."""
        routes = []
        for rule in self.env["ir.http"].routing_map().iter_rules():
            method = getattr(rule.endpoint, "func", None)
            module = getattr(getattr(method, "__func__", method), "__module__", "") or ""
            if module.startswith(OUR_PACKAGES) and rule.endpoint.routing.get("type") == "http":
                routes.append((rule.rule, rule.endpoint.routing))
        return routes

    def _url(self, template):
        def value(match):
            name = match.group(2)
            self.assertIn(
                name, self.ids_of_a, f"no record of customer A for <{name}> in {template}"
            )
            return str(self.ids_of_a[name])

        return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, template)

    def _assert_safe(self, response, who):
        body = response.text
        self.assertNotIn("Traceback", body, who)
        self.assertNotIn('File "/', body, who)
        return body

    def test_routes_are_found(self):
        urls = {url for url, _routing in self._our_routes()}
        self.assertIn("/my/preferences", urls)
        if "crm.support.ticket" in self.env:
            self.assertIn("/my/tickets/<int:ticket_id>", urls)

    @mute_logger("odoo.http", "odoo.addons.http_routing.models.ir_http")
    def test_visitor_and_other_customer_see_nothing_of_a(self):
        for template, routing in self._our_routes():
            url = self._url(template)
            methods = routing.get("methods") or ["GET"]
            if "GET" not in methods:
                continue
            with self.subTest(url=url, who="visitor"):
                self.authenticate(None, None)
                response = self.url_open(url, allow_redirects=False)
                body = self._assert_safe(response, "visitor")
                self.assertNotIn(SECRET, body)
                if routing.get("auth") == "user":
                    self.assertIn(response.status_code, (302, 303))
                    self.assertIn("/web/login", response.headers.get("Location", ""))
            with self.subTest(url=url, who="other customer"):
                self.authenticate("sweep_b", "sweep_b")
                response = self.url_open(url, allow_redirects=False)
                body = self._assert_safe(response, "other customer")
                self.assertNotIn(SECRET, body)
            if "<" in template:
                with self.subTest(url=url, who="visitor with a tampered token"):
                    self.authenticate(None, None)
                    response = self.url_open(
                        f"{url}?access_token=guessed-0000", allow_redirects=False
                    )
                    self.assertIn(response.status_code, REFUSED)
                    self.assertNotIn(SECRET, self._assert_safe(response, "tampered token"))

    @mute_logger("odoo.http")
    def test_owner_and_token_holder_are_served(self):
        """The refusals above are not the route being broken: its owner reads it."""
        self.authenticate("sweep_a", "sweep_a")
        for template, routing in self._our_routes():
            if "GET" not in (routing.get("methods") or ["GET"]) or "<" not in template:
                continue
            url = self._url(template)
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn(SECRET, self._assert_safe(response, "owner"))
        if "crm.support.ticket" in self.env:
            self.authenticate(None, None)
            url = self.ticket_a.get_portal_url()  # carries the ticket's access token
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertIn(SECRET, response.text)

    @mute_logger("odoo.http")
    def test_posts_without_csrf_token_are_refused(self):
        self.authenticate("sweep_a", "sweep_a")
        posts = [(t, r) for t, r in self._our_routes() if "POST" in (r.get("methods") or ["POST"])]
        self.assertTrue(posts)
        for template, routing in posts:
            if routing.get("csrf") is False:
                continue
            url = self._url(template)
            with self.subTest(url=url):
                response = self.url_open(url, data={"name": "x"}, allow_redirects=False)
                self.assertEqual(response.status_code, 400)
                self._assert_safe(response, "no csrf")
        if "crm.support.ticket" in self.env:
            self.ticket_a.invalidate_recordset()
            self.assertFalse(self.ticket_a.is_closed, "a POST without CSRF token changed nothing")
