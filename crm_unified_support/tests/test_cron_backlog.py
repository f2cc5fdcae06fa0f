import time
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from .common import SupportCommon

ESCALATION_CRON = "crm_unified_support.ir_cron_escalate_sla"
AUTO_CLOSE_CRON = "crm_unified_support.ir_cron_auto_close"


class InjectedFault(Exception):
    """Raised on purpose in the middle of a cron run."""


@tagged("post_install", "-at_install")
class TestCronBacklog(SupportCommon):
    """Support crons with a backlog larger than their batch.

    Calendar Mon-Fri 09:00-17:00 UTC (SupportCommon). Policy: first response
    in 4 working hours, escalation at 50 % (2 h) to the assignee and at 100 %
    to the manager. Tickets opened Monday 9 March 2026 09:00 reach 50 % at
    11:00 and breach at 13:00.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env["crm.support.sla"].create(
            {
                "name": "Backlog ladder",
                "queue_id": cls.queue.id,
                "first_response_hours": 4,
                "escalation_ids": [
                    (0, 0, {"percent": 50, "notify": "assignee"}),
                    (0, 0, {"percent": 100, "notify": "manager"}),
                ],
            }
        )
        cls.Ticket = cls.env["crm.support.ticket"].with_context(
            mail_create_nolog=True, mail_notify_force_send=False
        )

    def _tickets(self, count, when="2026-03-09 09:00:00", **values):
        vals = {"queue_id": self.queue.id, "user_id": self.user_support.id}
        vals.update(values)
        with freeze_time(when):
            return self.Ticket.create([dict(vals, name=f"Backlog {i}") for i in range(count)])

    def _escalations(self, tickets):
        subtype = self.env.ref("crm_unified_support.mt_ticket_sla_escalation")
        return self.env["mail.message"].search(
            [
                ("model", "=", "crm.support.ticket"),
                ("res_id", "in", tickets.ids),
                ("subtype_id", "=", subtype.id),
            ]
        )

    def _escalate(self, **kwargs):
        return self._run_cron_method(ESCALATION_CRON, "_cron_escalate_sla", **kwargs)

    # ---- SLA escalation ----

    def test_failed_backlog_does_not_hide_a_new_due_line(self):
        """600 lines already failed with every level fired, then one new
        ticket crossing 50 %: the default batch (500) still fires it."""
        old = self._tickets(600, when="2026-03-02 09:00:00")
        old.sla_status_ids.write({"state": "failed", "escalation_percent": 100})
        self.assertFalse(any(old.sla_status_ids.mapped("escalation_due_date")))
        new = self._tickets(1)
        with freeze_time("2026-03-09 11:30:00"):
            done, remaining = self._escalate()
        self.assertEqual((done, remaining), (1, 0))
        self.assertEqual(len(self._escalations(new)), 1)
        self.assertEqual(new.sla_status_ids.escalation_percent, 50)
        self.assertFalse(self._escalations(old))

    def test_due_backlog_is_worked_off_batch_by_batch(self):
        tickets = self._tickets(25)
        lines = tickets.sla_status_ids
        self.assertEqual(set(lines.mapped("escalation_due_date")), {datetime(2026, 3, 9, 11, 0)})
        with freeze_time("2026-03-09 11:30:00"):
            self.assertEqual(self._escalate(batch_size=10), (10, 15))
            self.assertEqual(self._escalate(batch_size=10), (10, 5))
            self.assertEqual(self._escalate(batch_size=10), (5, 0))
            self.assertEqual(self._escalate(batch_size=10), (0, 0))
        self.assertEqual(len(self._escalations(tickets)), 25, "One warning per ticket, no more")
        self.assertEqual(set(lines.mapped("escalation_percent")), {50})
        self.assertEqual(set(lines.mapped("escalation_due_date")), {datetime(2026, 3, 9, 13, 0)})
        with freeze_time("2026-03-09 13:30:00"):
            self.assertEqual(self._escalate(batch_size=30), (25, 0))
        self.assertEqual(set(lines.mapped("state")), {"failed"})
        self.assertFalse(any(lines.mapped("escalation_due_date")), "Nothing more can fire")
        self.assertEqual(len(self._escalations(tickets)), 50)

    def test_nothing_due_costs_constant_queries(self):
        Sla = self.env["crm.support.ticket.sla"]
        self._tickets(10)
        self.env.flush_all()

        def count_queries():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with freeze_time("2026-03-09 10:00:00"):
                Sla._cron_escalate_sla()
            return self.cr.sql_log_count - before

        count_queries()
        small = count_queries()
        self._tickets(40)
        self.env.flush_all()
        self.assertEqual(count_queries(), small, "50 open lines cost what 10 cost")
        self.assertLessEqual(small, 6)

    def test_due_lines_cost_bounded_queries_per_line(self):
        """Firing levels posts a message per line; everything else (planning
        the level times, locking, counting) is done once per batch."""
        self._tickets(5)
        self._tickets(5, when="2026-03-09 09:05:00")
        self.env.flush_all()
        with freeze_time("2026-03-09 11:30:00"):
            self._escalate(batch_size=5)  # warm the caches on the first five
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            start = time.perf_counter()
            self.assertEqual(self._escalate(batch_size=5), (5, 0))
            elapsed = time.perf_counter() - start
        per_line = (self.cr.sql_log_count - before) / 5
        self.assertLessEqual(per_line, 25, f"{per_line} queries per due line")
        self.assertLess(elapsed, 5.0)

    def test_fault_after_k_lines_then_rerun_equals_clean_run(self):
        """An exception after 4 of 9 lines rolls the run back (the cron's
        transaction); the rerun fires each level exactly once and writes each
        breach once to the history."""
        partner_tickets = self._tickets(9, partner_id=self.customer.id)
        Sla = self.env["crm.support.ticket.sla"]
        original = type(Sla)._fire_levels
        calls = []

        def failing_fire_levels(line, levels):
            calls.append(line.id)
            if len(calls) > 4:
                raise InjectedFault("worker died")
            return original(line, levels)

        with freeze_time("2026-03-09 13:30:00"):
            with (
                patch.object(type(Sla), "_fire_levels", failing_fire_levels),
                self.assertRaises(InjectedFault),
                self.env.cr.savepoint(),
            ):
                Sla._cron_escalate_sla()
            self.env.invalidate_all()
            self.assertEqual(len(calls), 5)
            self.assertFalse(self._escalations(partner_tickets), "Rolled back")
            self.assertEqual(self._escalate(), (9, 0))
            self.assertEqual(self._escalate(), (0, 0))
        lines = partner_tickets.sla_status_ids
        self.assertEqual(len(self._escalations(partner_tickets)), 18, "2 levels x 9, once each")
        self.assertEqual(set(lines.mapped("state")), {"failed"})
        breaches = self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.support.ticket"),
                ("res_id", "in", partner_tickets.ids),
                ("subject", "ilike", "SLA breached"),
            ]
        )
        self.assertEqual(len(breaches), 9, "Each breach in the history once")

    # ---- Auto-close ----

    def _waiting(self, count, when="2026-03-02 09:00:00", **values):
        self.queue.auto_close_days = 3
        tickets = self._tickets(count, when=when, partner_id=self.customer.id, **values)
        with freeze_time(when):
            tickets.write({"stage_id": self.stage_waiting.id})
        return tickets

    def _notices(self, tickets):
        return self.env["mail.message"].search(
            [
                ("model", "=", "crm.support.ticket"),
                ("res_id", "in", tickets.ids),
                ("message_type", "=", "auto_comment"),
                ("body", "ilike", "will be closed tomorrow"),
            ]
        )

    def _auto_close(self, **kwargs):
        return self._run_cron_method(AUTO_CLOSE_CRON, "_cron_auto_close", **kwargs)

    def test_auto_close_backlog_worked_off_and_not_due_ignored(self):
        # Urgent tickets silent for one day only: waiting but not due. The
        # old cron read them first (priority) and never reached the due one.
        recent = self._waiting(8, when="2026-03-09 09:00:00", priority="3")
        due = self._waiting(12, priority="0")
        with freeze_time("2026-03-09 10:00:00"):
            self.assertEqual(self._auto_close(batch_size=5), (5, 7))
            self.assertEqual(self._auto_close(batch_size=5), (5, 2))
            self.assertEqual(self._auto_close(batch_size=5), (2, 0))
        self.assertEqual(len(self._notices(due)), 12, "One notice per silent ticket")
        self.assertFalse(self._notices(recent))
        with freeze_time("2026-03-10 10:30:00"):
            self.assertEqual(self._auto_close(batch_size=20), (12, 0))
        self.assertTrue(all(due.mapped("is_closed")))
        self.assertFalse(any(recent.mapped("is_closed")))
        self.assertEqual(len(self._notices(due)), 12)

    def test_auto_close_skips_queue_without_closing_stage(self):
        """Legacy data (the queue form now refuses a queue without a closing
        stage): the cron must not announce a closing it cannot do, nor report
        those tickets as remaining work forever."""
        tickets = self._waiting(3)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_support_stage SET is_closed = FALSE WHERE id = %s", self.stage_solved.id
            )
        )
        self.env.invalidate_all()
        with freeze_time("2026-03-09 10:00:00"):
            self.assertEqual(self._auto_close(), (0, 0), "Nothing it could ever close")
        self.assertFalse(self._notices(tickets))

    def test_auto_close_fault_then_rerun_notifies_each_customer_once(self):
        tickets = self._waiting(7)
        Ticket = self.env["crm.support.ticket"]
        original = type(Ticket)._auto_close_send_notice
        calls = []

        def failing_notice(ticket, now):
            calls.append(ticket.id)
            if len(calls) > 3:
                raise InjectedFault("worker died")
            return original(ticket, now)

        with freeze_time("2026-03-09 10:00:00"):
            with (
                patch.object(type(Ticket), "_auto_close_send_notice", failing_notice),
                self.assertRaises(InjectedFault),
                self.env.cr.savepoint(),
            ):
                Ticket._cron_auto_close()
            self.env.invalidate_all()
            self.assertFalse(self._notices(tickets), "Rolled back: nobody was told")
            self.assertEqual(self._auto_close(), (7, 0))
            self.assertEqual(self._auto_close(), (0, 0))
        self.assertEqual(len(self._notices(tickets)), 7)
        notified = self.env["mail.notification"].search(
            [
                ("mail_message_id", "in", self._notices(tickets).ids),
                ("res_partner_id", "=", self.customer.id),
            ]
        )
        self.assertEqual(len(notified), 7, "The customer is notified once per ticket")
