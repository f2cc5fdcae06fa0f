"""JSON-RPC load on a running Odoo (prefork): the partner form and the ticket kanban.

    python3 -m benchmarks.rpc_load --url http://127.0.0.1:8208 -d DB --out part.json

For 1, 4 and 16 concurrent clients (threads, each with its own session), every
client alternates the two requests the web client sends when it opens the
partner form of the customer with the longest history, and the support ticket
kanban. Each level stops after `--requests` requests or `--seconds` seconds,
whichever comes first. Reports p50/p95 latency and requests per second.
"""

import argparse
import json
import statistics
import threading
import time
import urllib.request
from http.cookiejar import CookieJar

from .workloads import PARTNER_FORM_FIELDS

KANBAN_SPEC = {
    "name": {},
    "reference": {},
    "priority": {},
    "partner_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
    "sla_deadline": {},
}


class Client:
    def __init__(self, url, db, login, password):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.call("/web/session/authenticate", {"db": db, "login": login, "password": password})

    def call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(
            self.url + path, body, {"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=60) as response:
            payload = json.loads(response.read())
        if payload.get("error"):
            raise RuntimeError(payload["error"].get("message"))
        return payload["result"]

    def kw(self, model, method, args, kwargs):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )


def _requests(client, partner_id, form_spec):
    return [
        (
            "partner_form",
            lambda: client.kw(
                "res.partner", "web_read", [[partner_id]], {"specification": form_spec}
            ),
        ),
        (
            "ticket_kanban",
            lambda: client.kw(
                "crm.support.ticket",
                "web_search_read",
                [],
                {"domain": [("is_closed", "=", False)], "specification": KANBAN_SPEC, "limit": 40},
            ),
        ),
    ]


def run_level(args, clients, partner_id, form_spec):
    latencies = {"partner_form": [], "ticket_kanban": []}
    errors = []
    lock = threading.Lock()
    budget = [args.requests]
    deadline = time.perf_counter() + args.seconds

    def loop(client):
        calls = _requests(client, partner_id, form_spec)
        i = 0
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            name, call = calls[i % 2]
            i += 1
            started = time.perf_counter()
            try:
                call()
            except Exception as error:
                errors.append(repr(error))
                continue
            latencies[name].append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    every = latencies["partner_form"] + latencies["ticket_kanban"]
    return {
        "clients": len(clients),
        "requests": len(every),
        "errors": len(errors),
        "wall_s": round(wall, 2),
        "req_per_s": round(len(every) / wall, 1) if wall else None,
        **{
            f"{name}_{key}": value
            for name, lat in latencies.items()
            for key, value in _pct(lat).items()
        },
        "all_p50_ms": _pct(every).get("p50_ms"),
        "all_p95_ms": _pct(every).get("p95_ms"),
    }


def _pct(values):
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser(prog="benchmarks.rpc_load")
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--requests", type=int, default=200, help="per level")
    parser.add_argument("--seconds", type=float, default=30, help="per level")
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--out")
    args = parser.parse_args()
    probe = Client(args.url, args.database, args.login, args.password)
    partner = probe.kw(
        "res.partner", "search", [[("ref", "=like", "BENCH-%")]], {"limit": 1, "order": "id"}
    )
    fields_ = probe.kw("res.partner", "fields_get", [], {"attributes": ["type"]})
    form_spec = {}
    for fname in PARTNER_FORM_FIELDS:
        if fname not in fields_:
            continue
        if fields_[fname]["type"] in ("many2one", "many2many", "one2many"):
            form_spec[fname] = {"fields": {"display_name": {}}}
        else:
            form_spec[fname] = {}
    levels = []
    for n in (int(x) for x in args.levels.split(",")):
        clients = [Client(args.url, args.database, args.login, args.password) for _i in range(n)]
        levels.append(run_level(args, clients, partner[0], form_spec))
    result = {"rpc_load": {"url": args.url, "server": "prefork --workers=2", "levels": levels}}
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
