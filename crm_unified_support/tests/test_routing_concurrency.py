import logging
import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

TICKETS = 200
AGENTS = 5
CAPACITY = 30  # 5 x 30 = 150 < 200: capacity is what stops routing


class _RaceCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.races = 0

    def emit(self, record):
        if "lost the claim race" in record.getMessage():
            self.races += 1


@tagged("post_install", "-at_install")
class TestRoutingConcurrency(TransactionCase):
    """Two workers, each on its own database cursor and thread, route the same
    200 tickets at the same moment, committing after every batch of 10 like
    the cron does. Data is committed for real, so the test cleans up after itself."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            calendar = env["resource.calendar"].create(
                {
                    "name": "Always open (routing test)",
                    "tz": "UTC",
                    "attendance_ids": [
                        (
                            0,
                            0,
                            {
                                "name": f"D{day}",
                                "dayofweek": str(day),
                                "hour_from": 0,
                                "hour_to": 24,
                                "day_period": "morning",
                            },
                        )
                        for day in range(7)
                    ],
                }
            )
            stages = env["crm.support.stage"].create(
                [
                    {"name": "RC open", "sequence": 1},
                    {"name": "RC done", "sequence": 2, "is_closed": True},
                ]
            )
            users = env["res.users"].create(
                [
                    {
                        "name": f"Routing agent {i}",
                        "login": f"sup_routing_agent_{i}",
                        "groups_id": [
                            (6, 0, env.ref("crm_unified_support.group_support_user").ids)
                        ],
                    }
                    for i in range(AGENTS)
                ]
            )
            queue = env["crm.support.queue"].create(
                {
                    "name": "Routing concurrency",
                    "resource_calendar_id": calendar.id,
                    "stage_ids": [(6, 0, stages.ids)],
                    "member_ids": [(6, 0, users.ids)],
                    "assignment_method": "least_open",
                    "ack_template_id": False,
                }
            )
            agents = env["crm.support.agent"].search([("user_id", "in", users.ids)])
            agents.capacity = CAPACITY
            tickets = (
                env["crm.support.ticket"]
                .with_context(mail_create_nolog=True)
                .create([{"name": f"Concurrent {i}", "queue_id": queue.id} for i in range(TICKETS)])
            )
            cr.commit()  # allowed: both cursors must see it. pylint: disable=invalid-commit
            self.data = {
                "calendar": calendar.id,
                "stages": stages.ids,
                "users": users.ids,
                "partners": users.partner_id.ids,
                "queue": queue.id,
                "agents": agents.ids,
                "tickets": tickets.ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            data = self.data
            env["crm.interaction"].search(
                [("res_model", "=", "crm.support.ticket"), ("res_id", "in", data["tickets"])]
            ).unlink()
            env["crm.support.ticket"].browse(data["tickets"]).unlink()
            env["crm.support.agent"].browse(data["agents"]).unlink()
            env["crm.support.queue"].browse(data["queue"]).unlink()
            env["crm.support.stage"].browse(data["stages"]).unlink()
            env["res.users"].browse(data["users"]).unlink()
            env["res.partner"].browse(data["partners"]).unlink()
            env["resource.calendar"].browse(data["calendar"]).unlink()
            cr.commit()  # allowed: both cursors must see it. pylint: disable=invalid-commit

    def _worker(self, env, barrier, results, errors, index):
        """Route in batches of 10, one transaction per batch, like the cron.

        ``env`` is built in the main thread: the registry lock is held there
        while tests run, so a thread cannot build a new environment itself.
        """
        assigned_ids = []
        try:
            barrier.wait(timeout=30)
            for _round in range(200):
                queue = env["crm.support.queue"].browse(self.data["queue"])
                agents, _loads = queue._get_available_agents()
                unassigned = env["crm.support.ticket"].search_count(
                    [("queue_id", "=", queue.id), ("user_id", "=", False)]
                )
                if not agents or not unassigned:
                    env.cr.rollback()
                    break
                assigned = queue._assign_tickets(limit=10)
                assigned_ids.extend(assigned.ids)
                env.cr.commit()  # allowed: a batch per transaction. pylint: disable=invalid-commit
        except Exception as exc:
            errors.append(exc)
        results[index] = assigned_ids

    def test_two_workers_assign_each_ticket_once_within_capacity(self):
        counter = _RaceCounter()
        queue_logger = logging.getLogger("odoo.addons.crm_unified_support.models.crm_support_queue")
        queue_logger.addHandler(counter)
        previous_level = queue_logger.level
        queue_logger.setLevel(logging.INFO)
        barrier = threading.Barrier(2)
        results, errors = {}, []
        # Assignment notifies the agent by email: queue the mail instead of
        # sending it after commit, which would open the registry whose lock the
        # test runner holds (the mail queue cron sends it in production too).
        context = {"mail_notify_force_send": False}
        envs = [api.Environment(self.registry.cursor(), SUPERUSER_ID, context) for _i in range(2)]
        threads = [
            threading.Thread(target=self._worker, args=(envs[i], barrier, results, errors, i))
            for i in range(2)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
        finally:
            for env in envs:
                env.cr.close()
            queue_logger.removeHandler(counter)
            queue_logger.setLevel(previous_level)
        self.assertFalse(errors, f"A worker crashed: {errors}")
        self.assertFalse(any(thread.is_alive() for thread in threads))
        first, second = set(results[0]), set(results[1])
        self.assertFalse(first & second, "No ticket was given by both workers")
        self.assertEqual(len(results[0]) + len(results[1]), len(first | second))

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["crm.support.ticket"].browse(self.data["tickets"])
            assigned = tickets.filtered("user_id")
            self.assertEqual(
                set(assigned.ids), first | second, "What the workers claimed is what is stored"
            )
            self.assertEqual(len(assigned), AGENTS * CAPACITY, "All capacity used, not more")
            per_agent = {}
            for ticket in assigned:
                per_agent[ticket.user_id.id] = per_agent.get(ticket.user_id.id, 0) + 1
            self.assertEqual(set(per_agent), set(self.data["users"]))
            self.assertTrue(all(count <= CAPACITY for count in per_agent.values()), per_agent)
        logging.getLogger(__name__).info(
            "Routing race: worker A %s, worker B %s tickets, %s claims lost to the other worker",
            len(first),
            len(second),
            counter.races,
        )
