from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.crm_unified.models.calendar_event import CalendarEvent

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCaptureCalendar(CrmInteractionCommon):
    def _meeting(self, start, partners):
        return self.env["calendar.event"].create(
            {
                "name": "Tasting of the new rye bread",
                "start": start,
                "stop": start + timedelta(hours=1),
                "user_id": self.colleague.id,
                "partner_ids": [Command.set(partners.ids)],
            }
        )

    def test_meeting_held_logs_one_interaction_per_customer_company(self):
        start = fields.Datetime.now() - timedelta(days=1)
        # Two people of the same customer and a colleague attend.
        event = self._meeting(start, self.customer | self.contact | self.colleague.partner_id)
        self.env["calendar.event"]._cron_log_meetings_held()
        interactions = self._interactions(event, "meeting_held")
        self.assertEqual(len(interactions), 1)
        self.assertEqual(interactions.commercial_partner_id, self.customer)
        self.assertEqual(interactions.channel_id.code, "meeting")
        self.assertEqual(interactions.date, event.start)
        # The cron runs every hour: a meeting is never logged twice.
        self.env["calendar.event"]._cron_log_meetings_held()
        self.assertEqual(len(self._interactions(event, "meeting_held")), 1)

    def test_future_and_internal_meetings_are_not_logged(self):
        future = self._meeting(fields.Datetime.now() + timedelta(days=2), self.customer)
        internal = self._meeting(
            fields.Datetime.now() - timedelta(days=1), self.colleague.partner_id
        )
        self.env["calendar.event"]._cron_log_meetings_held()
        self.assertFalse(self._interactions(future | internal))

    def _log_pending_meetings(self):
        """Meetings of other data (demo) are logged first: the backlog is this test's."""
        self.env["calendar.event"].search([])._crm_log_meetings_held()

    def _run_cron(self):
        cron = self.env.ref("crm_unified.ir_cron_log_meetings_held")
        _cron, progress = cron._add_progress()
        self.env["calendar.event"].with_context(
            ir_cron_progress_id=progress.id
        )._cron_log_meetings_held()
        return progress.done, progress.remaining

    def test_backlog_larger_than_batch_reports_real_remaining(self):
        """Oldest meetings first, one batch per call, the real rest reported to the scheduler."""
        self._log_pending_meetings()
        now = fields.Datetime.now()
        meetings = self.env["calendar.event"].browse(
            [self._meeting(now - timedelta(days=day), self.customer).id for day in range(5, 0, -1)]
        )
        # Never "needing action": without customers, or already logged.
        self._meeting(now - timedelta(days=2), self.colleague.partner_id)
        already = self._meeting(now - timedelta(days=3), self.contact)
        already._crm_log_meetings_held()
        with patch.object(CalendarEvent, "_crm_meeting_batch_size", 2):
            self.assertEqual(self._run_cron(), (2, 3))
            self.assertEqual(len(self._interactions(meetings[:2], "meeting_held")), 2)
            self.assertEqual(self._run_cron(), (2, 1))
            self.assertEqual(self._run_cron(), (1, 0))
            self.assertEqual(self._run_cron(), (0, 0))
        self.assertEqual(len(self._interactions(meetings | already, "meeting_held")), 6)

    def test_fault_in_a_batch_then_rerun_logs_each_meeting_once(self):
        self._log_pending_meetings()
        now = fields.Datetime.now()
        meetings = self.env["calendar.event"].browse(
            [self._meeting(now - timedelta(days=day), self.customer).id for day in range(4, 0, -1)]
        )
        original = CalendarEvent._crm_log_meetings_held

        def failing(events):
            original(events)
            raise RuntimeError("worker killed after logging the batch")

        with patch.object(CalendarEvent, "_crm_meeting_batch_size", 3):
            with (
                patch.object(CalendarEvent, "_crm_log_meetings_held", failing),
                self.assertRaises(RuntimeError),
                self.env.cr.savepoint(),
            ):
                self.env["calendar.event"]._cron_log_meetings_held()
            self.env.invalidate_all()
            self.assertFalse(self._interactions(meetings, "meeting_held"), "batch rolled back")
            self.assertEqual(self._run_cron(), (3, 1))
            self.assertEqual(self._run_cron(), (1, 0))
        logged = self._interactions(meetings, "meeting_held")
        self.assertEqual(len(logged), 4)
        self.assertEqual(sorted(logged.mapped("res_id")), sorted(meetings.ids))
