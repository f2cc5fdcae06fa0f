from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

ESCALATING = 20
WAITING = 20


@tagged("post_install", "-at_install")
class TestSupportCronsTwoRunsAtOnce(TransactionCase):
    """Two runs of the SLA escalation and auto-close crons at the same time,
    each on its own database cursor (as two cron workers): the first run holds
    its batch uncommitted while the second one runs, then both commit. Every
    line and ticket is handled by exactly one run. Data is committed for real,
    so the test cleans up after itself.

    Calendar open 24/7 (UTC). ``ESCALATING`` tickets whose 4-hour first
    response clock started 3 hours ago (50 % level due, breach not yet);
    ``WAITING`` tickets waiting for the customer for 2 days in a queue that
    auto-closes after 1 day (notice due).
    """

    def setUp(self):
        super().setUp()
        now = fields.Datetime.now()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"mail_create_nolog": True})
            calendar = env["resource.calendar"].create(
                {
                    "name": "Always open (cron concurrency test)",
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
                    {"name": "CC open", "sequence": 1},
                    {"name": "CC waiting", "sequence": 2, "pause_sla": True},
                    {"name": "CC done", "sequence": 3, "is_closed": True},
                ]
            )
            queue = env["crm.support.queue"].create(
                {
                    "name": "Cron concurrency",
                    "resource_calendar_id": calendar.id,
                    "stage_ids": [(6, 0, stages.ids)],
                    "auto_close_days": 1,
                    "ack_template_id": False,
                }
            )
            env["crm.support.sla"].create(
                {
                    "name": "CC policy",
                    "queue_id": queue.id,
                    "first_response_hours": 4,
                    "escalation_ids": [(0, 0, {"percent": 50, "notify": "assignee"})],
                }
            )
            Ticket = env["crm.support.ticket"]
            admin = env.ref("base.user_admin")
            escalating = Ticket.create(
                [
                    {"name": f"CC escalate {i}", "queue_id": queue.id, "user_id": admin.id}
                    for i in range(ESCALATING)
                ]
            )
            escalating.sla_status_ids.write({"start_date": now - timedelta(hours=3)})
            waiting = Ticket.create(
                [
                    {"name": f"CC wait {i}", "queue_id": queue.id, "stage_id": stages[1].id}
                    for i in range(WAITING)
                ]
            )
            waiting.write({"date_last_stage_update": now - timedelta(days=2)})
            cr.commit()  # allowed: both cursors must see it. pylint: disable=invalid-commit
            self.data = {
                "calendar": calendar.id,
                "stages": stages.ids,
                "queue": queue.id,
                "escalating": escalating.ids,
                "waiting": waiting.ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            data = self.data
            tickets = env["crm.support.ticket"].browse(data["escalating"] + data["waiting"])
            tickets.unlink()
            env["crm.support.queue"].browse(data["queue"]).unlink()
            env["crm.support.stage"].browse(data["stages"]).unlink()
            env["resource.calendar"].browse(data["calendar"]).unlink()
            cr.commit()  # allowed: undo the committed fixture. pylint: disable=invalid-commit

    def _two_runs(self, model, method, first_batch):
        """Run ``method`` on two cursors: the first keeps its transaction open
        (rows locked) while the second runs and commits; then the first commits.

        :return: (first env's progress, second env's progress) as (done, remaining)
        """
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
            # A run waiting on the other's rows would fail here instead of hanging.
            cr_b.execute(SQL("SET lock_timeout = '10s'"))
            results = []
            for cr, kwargs in ((cr_a, {"batch_size": first_batch}), (cr_b, {})):
                env = api.Environment(cr, SUPERUSER_ID, {})
                cron = env.ref(
                    "crm_unified_support.ir_cron_escalate_sla"
                    if method == "_cron_escalate_sla"
                    else "crm_unified_support.ir_cron_auto_close"
                )
                progress = env["ir.cron.progress"].create({"cron_id": cron.id})
                getattr(env[model].with_context(ir_cron_progress_id=progress.id), method)(**kwargs)
                env.flush_all()
                results.append((progress.done, progress.remaining))
            cr_b.commit()  # allowed: second worker ends first. pylint: disable=invalid-commit
            cr_a.commit()  # allowed: then the first one. pylint: disable=invalid-commit
        finally:
            cr_a.close()
            cr_b.close()
        return results

    def test_two_escalation_runs_fire_each_level_once(self):
        (done_a, _rem_a), (done_b, remaining_b) = self._two_runs(
            "crm.support.ticket.sla", "_cron_escalate_sla", first_batch=8
        )
        self.assertEqual(done_a, 8)
        self.assertEqual(done_b, ESCALATING - 8, "The second run skipped the locked lines")
        self.assertEqual(remaining_b, 8, "Lines held by the other run are still to do")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["crm.support.ticket"].browse(self.data["escalating"])
            subtype = env.ref("crm_unified_support.mt_ticket_sla_escalation")
            per_ticket = {
                ticket.id: len(ticket.message_ids.filtered(lambda m: m.subtype_id == subtype))
                for ticket in tickets
            }
            self.assertEqual(set(per_ticket.values()), {1}, "Each level fired once")
            self.assertEqual(set(tickets.sla_status_ids.mapped("escalation_percent")), {50})
            env["crm.support.ticket.sla"]._cron_escalate_sla()
            env.flush_all()
            again = {
                ticket.id: len(ticket.message_ids.filtered(lambda m: m.subtype_id == subtype))
                for ticket in tickets
            }
            self.assertEqual(again, per_ticket, "A third run finds nothing due")
            cr.rollback()

    def test_two_auto_close_runs_notify_each_ticket_once(self):
        (done_a, _rem_a), (done_b, remaining_b) = self._two_runs(
            "crm.support.ticket", "_cron_auto_close", first_batch=7
        )
        self.assertEqual((done_a, done_b), (7, WAITING - 7))
        self.assertEqual(remaining_b, 7)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["crm.support.ticket"].browse(self.data["waiting"])
            notices = env["mail.message"].search(
                [
                    ("model", "=", "crm.support.ticket"),
                    ("res_id", "in", tickets.ids),
                    ("body", "ilike", "will be closed tomorrow"),
                ]
            )
            self.assertEqual(sorted(notices.mapped("res_id")), sorted(tickets.ids))
            self.assertTrue(all(tickets.mapped("auto_close_notice_date")))
            cr.rollback()
