"""Take the README screenshots from a running CRM Unified demo database.

Drives headless Chromium through the DevTools protocol (as Odoo's own browser
tests do): logs in with the user's session cookie, opens each screen, waits
until the element the screenshot is about is on the page (fails otherwise),
then stores a PNG reduced to a 256-colour palette so the files stay small.

Usage: python3 scripts/screenshots.py --url http://localhost:8069 --db crm_unified
       [--login admin --password admin] [--portal-login portal --portal-password portal]
       [--chromium /usr/bin/chromium] [--out docs/screenshots]
"""

import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket
from PIL import Image

WIDTH, HEIGHT = 1366, 900
TIMEOUT = 90  # seconds to wait for a page element (the first page builds the assets)


class Odoo:
    """A logged-in HTTP session on the Odoo server (JSON-RPC for record lookups)."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        page = self.session.get(f"{self.url}/web/login", params={"db": db}, timeout=30)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = self.session.post(
            f"{self.url}/web/login",
            data={"login": login, "password": password, "csrf_token": token, "db": db},
            timeout=30,
        )
        if "session_id" not in self.session.cookies or "/web/login" in response.url:
            sys.exit(f"Could not log in as {login} on {self.url} (database {db}).")
        self.cookie = self.session.cookies["session_id"]

    def call(self, model, method, *args, **kwargs):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
        }
        response = self.session.post(
            f"{self.url}/web/dataset/call_kw", json=payload, timeout=60
        ).json()
        if "error" in response:
            sys.exit(f"{model}.{method}: {response['error']['data']['message']}")
        return response["result"]

    def first_id(self, model, domain, order="id"):
        rows = self.call(model, "search_read", domain, ["id"], limit=1, order=order)
        if not rows:
            sys.exit(f"No {model} record matches {domain}: is this a demo database?")
        return rows[0]["id"]


def _read_port(port_file):
    """The DevTools port Chromium writes once it listens, or None before."""
    try:
        with open(port_file) as handle:
            words = handle.read().split()
    except FileNotFoundError:
        return None
    return words[0] if words else None


class Chromium:
    """Headless Chromium driven over its DevTools websocket."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="crm_unified_shots_")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        port = None
        for _attempt in range(100):
            port = _read_port(port_file)
            if port:
                break
            time.sleep(0.1)
        targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=10).json()
        page = next(target for target in targets if target["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def set_session(self, url, cookie):
        self.send("Network.enable")
        self.send("Network.clearBrowserCookies")
        self.send("Network.setCookie", name="session_id", value=cookie, url=url)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url):
        self.send("Page.navigate", url=url)

    def wait_until(self, expression, what):
        """Wait until the JavaScript ``expression`` is true (fails after TIMEOUT)."""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if self.evaluate(f"!!({expression})"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{what} did not appear on the page")

    def wait_for(self, selector):
        self.wait_until(f"document.querySelector({json.dumps(selector)})", selector)

    def wait_for_portal_chatter(self):
        """The portal chatter renders its messages in a shadow root, after the page loads."""
        self.wait_until(
            "document.querySelector('#chatterRoot')?.shadowRoot?.querySelector('.o-mail-Message')",
            "a message of the portal chatter",
        )

    def click(self, selector):
        self.wait_for(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path):
        time.sleep(1.0)  # let charts finish their animation
        data = self.send("Page.captureScreenshot", format="png")["data"]
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        image.save(path, optimize=True)
        print(f"{path}: {os.path.getsize(path) // 1024} KB")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def take_partner_shots(odoo, browser, out, partner_id, suffix):
    """The partner form: the card at the top, then the timeline in the 360 tab."""
    browser.open(f"{odoo.url}/odoo/action-contacts.action_contacts/{partner_id}")
    browser.wait_for(".o_crm_customer_card .o_crm_card_figure")
    browser.screenshot(os.path.join(out, f"partner_card{suffix}.png"))
    browser.click(".o_notebook a.nav-link[name=customer_360]")
    browser.wait_for(".o_crm_timeline_row")
    browser.evaluate("document.querySelector('.o_notebook').scrollIntoView()")
    browser.screenshot(os.path.join(out, f"partner_timeline{suffix}.png"))


def take_ukrainian_shots(odoo, browser, out, login, partner_id):
    """The partner form and the support dashboard with the user's language set to
    Ukrainian (installed if needed; the user's language is put back afterwards), to see
    that labels wrap between words and nothing overflows."""
    [lang] = odoo.call(
        "res.lang",
        "search_read",
        [("code", "=", "uk_UA")],
        ["id", "active"],
        context={"active_test": False},
    )
    if not lang["active"]:
        wizard = odoo.call("base.language.install", "create", {"lang_ids": [[6, 0, [lang["id"]]]]})
        odoo.call("base.language.install", "lang_install", [wizard])
    [user] = odoo.call("res.users", "search_read", [("login", "=", login)], ["id", "lang"])
    odoo.call("res.users", "write", [user["id"]], {"lang": "uk_UA"})
    try:
        take_partner_shots(odoo, browser, out, partner_id, "_uk")
        browser.open(
            f"{odoo.url}/odoo/action-crm_unified_support.crm_support_queue_action_dashboard"
        )
        browser.wait_for(".o_support_my_figures")
        browser.wait_for(".o_kanban_record .o_support_kpi_open")
        browser.screenshot(os.path.join(out, "support_dashboard_uk.png"))
    finally:
        odoo.call("res.users", "write", [user["id"]], {"lang": user["lang"]})


def take_backend_shots(odoo, browser, out):
    # The customer with the richest history: card at the top, timeline in the 360 tab.
    groups = odoo.call(
        "crm.interaction",
        "read_group",
        [],
        ["commercial_partner_id"],
        ["commercial_partner_id"],
        orderby="commercial_partner_id_count desc",
        limit=1,
    )
    partner_id = groups[0]["commercial_partner_id"][0]
    take_partner_shots(odoo, browser, out, partner_id, "")

    ticket_id = odoo.first_id(
        "crm.support.ticket",
        [("is_closed", "=", False), ("sla_deadline", "!=", False), ("partner_id", "!=", False)],
    )
    browser.open(
        f"{odoo.url}/odoo/action-crm_unified_support.crm_support_ticket_action/{ticket_id}"
    )
    browser.wait_for(".o_crm_customer_card .o_crm_card_figure[data-figure=tickets]")
    browser.wait_for(".o_crm_sla_countdown")
    browser.screenshot(os.path.join(out, "ticket_card_sla.png"))

    # The dry run of the campaign rule with the largest audience (the demo's draft rule):
    # the dialog with its figures, then its chart.
    best, rule = 0, None
    for candidate in odoo.call("crm.campaign.rule", "search_read", [], ["id"], order="id"):
        action = odoo.call("crm.campaign.rule", "action_open_dry_run", [candidate["id"]])
        [dry_run] = odoo.call(
            "crm.campaign.rule.dry.run", "read", [action["res_id"]], ["reach_count"]
        )
        if dry_run["reach_count"] > best:
            best, rule = dry_run["reach_count"], candidate
    if not rule:
        sys.exit("No campaign rule would reach anyone in a dry run: is this a fresh demo database?")
    browser.open(
        f"{odoo.url}/odoo/action-crm_unified_marketing.crm_campaign_rule_action/{rule['id']}"
    )
    browser.click("button[name=action_open_dry_run]")
    browser.wait_for(".modal .o_field_widget[name=reach_line_ids] .o_data_row")
    browser.screenshot(os.path.join(out, "dry_run.png"))
    browser.click(".modal button[name=action_view_chart]")
    browser.wait_for(".o_graph_renderer canvas")
    browser.screenshot(os.path.join(out, "dry_run_chart.png"))

    browser.open(f"{odoo.url}/odoo/action-crm_unified_support.crm_support_queue_action_dashboard")
    browser.wait_for(".o_support_my_figures")
    browser.wait_for(".o_kanban_record .o_support_kpi_open")
    browser.screenshot(os.path.join(out, "support_dashboard.png"))
    return partner_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("CRM_UNIFIED_URL", "http://localhost:8069"))
    parser.add_argument("--db", default=os.environ.get("CRM_UNIFIED_DB", "crm_unified"))
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--portal-login", default="portal")
    parser.add_argument("--portal-password", default="portal")
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("google-chrome")
    )
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("Chromium not found: pass --chromium /path/to/chromium")
    os.makedirs(args.out, exist_ok=True)
    browser = Chromium(args.chromium)
    try:
        odoo = Odoo(args.url, args.db, args.login, args.password)
        browser.set_session(odoo.url, odoo.cookie)
        partner_id = take_backend_shots(odoo, browser, args.out)
        take_ukrainian_shots(odoo, browser, args.out, args.login, partner_id)
        # The customer's side: their latest rated ticket on the portal, with its conversation.
        portal_ticket = odoo.first_id(
            "crm.support.ticket",
            [
                ("partner_id.user_ids.login", "=", args.portal_login),
                ("rating_ids.consumed", "=", True),
            ],
            order="id desc",
        )
        portal = Odoo(args.url, args.db, args.portal_login, args.portal_password)
        browser.set_session(portal.url, portal.cookie)
        browser.open(f"{portal.url}/my/tickets/{portal_ticket}")
        browser.wait_for(".o_support_ticket_name")
        browser.wait_for_portal_chatter()
        browser.screenshot(os.path.join(args.out, "portal_ticket.png"))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
