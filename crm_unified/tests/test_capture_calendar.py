from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

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
