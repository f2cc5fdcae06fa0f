from odoo.tests import Form, tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCrmInteractionLog(CrmInteractionCommon):
    def test_log_call_from_partner_with_follow_up(self):
        action = self.customer.action_crm_log_call()
        form = Form(self.env["crm.interaction.log"].with_context(**action["context"]))
        form.subject = "Asked about rye prices"
        form.call_result = "answered"
        self.assertEqual(form.outcome, "Answered")
        form.duration = 0.25
        form.schedule_followup = True
        form.followup_summary = "Send price list"
        wizard = form.save()
        wizard.action_log()
        interaction = self.Interaction.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.channel_id, self.channel_phone)
        self.assertEqual(interaction.outcome, "Answered")
        self.assertEqual(interaction.source, "manual")
        activity = self.customer.activity_ids
        self.assertEqual(activity.summary, "Send price list")
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(self.customer.latest_interaction_ids[:1], interaction)

    def test_log_from_document_links_it_and_follows_up_there(self):
        order = self._create_order()
        action = order.action_crm_log_interaction()
        form = Form(self.env["crm.interaction.log"].with_context(**action["context"]))
        form.channel_id = self.channel_email
        form.schedule_followup = True
        wizard = form.save()
        wizard.action_log()
        interaction = self._interactions(order).filtered(lambda i: i.source == "manual")
        self.assertEqual(interaction.subject, order.name)
        self.assertEqual(interaction.partner_id, self.customer)
        self.assertEqual(len(order.activity_ids), 1)
        self.assertFalse(self.customer.activity_ids)

    def test_latest_interactions_of_company_include_contacts_newest_first(self):
        older, newer = self.Interaction.create(
            [
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Older",
                    "date": "2026-01-01 10:00:00",
                },
                {
                    "partner_id": self.contact.id,
                    "channel_id": self.channel_email.id,
                    "subject": "Newer",
                    "date": "2026-02-01 10:00:00",
                },
            ]
        )
        self.assertEqual(self.customer.latest_interaction_ids.ids, [newer.id, older.id])
        self.assertEqual(self.contact.latest_interaction_ids.ids, [newer.id, older.id])
