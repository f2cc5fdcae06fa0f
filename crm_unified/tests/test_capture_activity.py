from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCaptureActivity(CrmInteractionCommon):
    def test_call_done_logs_one_phone_interaction(self):
        order = self._create_order()
        activity = order.activity_schedule(
            "mail.mail_activity_data_call", summary="Call about delivery", user_id=self.env.user.id
        )
        activity.action_feedback(feedback="Customer confirmed the address")
        interactions = self._interactions(order, "activity_done")
        self.assertEqual(len(interactions), 1)
        self.assertEqual(interactions.channel_id, self.channel_phone)
        self.assertEqual(interactions.subject, "Call about delivery")
        self.assertIn("confirmed the address", interactions.summary)
        self.assertFalse(
            self._interactions(order, "message"), "the 'activity done' message is not an email"
        )

    def test_call_on_partner_is_captured(self):
        activity = self.contact.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.env.user.id
        )
        activity.action_feedback()
        interaction = self._interactions(self.contact, "activity_done")
        self.assertEqual(interaction.partner_id, self.contact)

    def test_activity_done_even_when_capture_breaks(self):
        order = self._create_order()
        activity = order.activity_schedule("mail.mail_activity_data_call", user_id=self.env.user.id)

        def broken(records, feedback):
            raise KeyError("broken extension")

        with (
            patch.object(type(activity), "_crm_prepare_done_interactions", broken),
            mute_logger("odoo.addons.crm_unified.models.mail_activity"),
        ):
            activity.action_feedback(feedback="done anyway")
        self.assertFalse(activity.exists())
        self.assertFalse(self._interactions(order, "activity_done"))

    def test_todo_done_is_not_captured(self):
        order = self._create_order()
        order.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.env.user.id
        ).action_feedback()
        self.assertFalse(self._interactions(order, "activity_done"))
