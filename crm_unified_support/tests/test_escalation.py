from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestEscalation(SupportCommon):
    """Ladder on a 4h first-response target created Fri 2026-03-06 15:00
    (calendar Mon-Fri 09-17 UTC, no holiday here):
    50% (2h) is reached Fri 17:00, 100% (4h) Mon 09 11:00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env["crm.support.sla"].create(
            {
                "name": "Ladder",
                "queue_id": cls.queue.id,
                "first_response_hours": 4,
                "escalation_ids": [
                    (0, 0, {"percent": 50, "notify": "assignee"}),
                    (
                        0,
                        0,
                        {
                            "percent": 100,
                            "notify": "manager",
                            "raise_priority": True,
                            "reassign_user_id": cls.user_support_2.id,
                        },
                    ),
                ],
            }
        )
        with freeze_time("2026-03-06 15:00:00"):
            cls.ticket = cls._create_ticket(user_id=cls.user_support.id)
        cls.line = cls.ticket.sla_status_ids

    def _escalations(self):
        subtype = self.env.ref("crm_unified_support.mt_ticket_sla_escalation")
        return self.ticket.message_ids.filtered(lambda m: m.subtype_id == subtype)

    def _run_cron(self):
        self.env["crm.support.ticket.sla"]._cron_escalate_sla()

    def test_escalation_levels_fire_once(self):
        TicketSla = self.env["crm.support.ticket.sla"]
        self.assertEqual(len(self.line), 1)
        with freeze_time("2026-03-06 16:30:00"):
            self._run_cron()
        self.assertFalse(self._escalations(), "Only 1.5h of 4h used")

        with freeze_time("2026-03-06 17:30:00"):
            self._run_cron()
            warning = self._escalations()
            self.assertEqual(len(warning), 1)
            self.assertEqual(warning.partner_ids, self.user_support.partner_id)
            self.assertEqual(self.line.escalation_percent, 50)
            self.assertEqual(self.line.state, "ongoing")
            self._run_cron()
            self.assertEqual(len(self._escalations()), 1, "A second run sends nothing new")

        with freeze_time("2026-03-09 10:59:00"):
            self._run_cron()
        self.assertEqual(len(self._escalations()), 1)

        with freeze_time("2026-03-09 11:01:00"):
            self._run_cron()
            breach = self._escalations() - warning
            self.assertEqual(len(breach), 1)
            self.assertEqual(breach.partner_ids, self.user_support_manager.partner_id)
            self.assertEqual(self.line.state, "failed")
            self.assertEqual(self.line.escalation_percent, 100)
            self.assertEqual(self.ticket.priority, "2", "Breach raised the priority by one level")
            self.assertEqual(self.ticket.user_id, self.user_support_2)
            self.assertTrue(self.ticket.sla_failed)
            self._run_cron()
            TicketSla._cron_escalate_sla()
        self.assertEqual(len(self._escalations()), 2, "Re-running after the breach sends nothing")
        breach_logs = self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.support.ticket"),
                ("res_id", "=", self.ticket.id),
                ("subject", "ilike", "SLA breached"),
            ]
        )
        self.assertEqual(len(breach_logs), 1, "The breach is written once to the customer history")

    def test_missed_levels_fire_together_once(self):
        with freeze_time("2026-03-10 12:00:00"):
            self._run_cron()
            self._run_cron()
        self.assertEqual(len(self._escalations()), 2)
        self.assertEqual(self.line.escalation_percent, 100)

    def test_paused_line_does_not_escalate(self):
        with freeze_time("2026-03-06 15:30:00"):
            self.ticket.stage_id = self.stage_waiting
        with freeze_time("2026-03-10 12:00:00"):
            self._run_cron()
        self.assertFalse(self._escalations())
        self.assertEqual(self.line.state, "ongoing")
