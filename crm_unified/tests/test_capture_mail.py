from markupsafe import Markup

from odoo.tests import tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCaptureMail(CrmInteractionCommon):
    def test_customer_email_on_order_logs_inbound_interaction(self):
        order = self._create_order()
        order.message_post(
            body="<p>Can you deliver on Monday?</p>",
            subject="Delivery date",
            message_type="email",
            author_id=self.contact.id,
            subtype_xmlid="mail.mt_comment",
        )
        interactions = self._interactions(order, "message")
        self.assertEqual(len(interactions), 1)
        self.assertEqual(interactions.direction, "inbound")
        self.assertEqual(interactions.partner_id, self.contact)
        self.assertEqual(interactions.subject, "Delivery date")
        self.assertEqual(interactions.channel_id, self.channel_email)

    def test_reply_to_customer_logs_outbound_interaction(self):
        order = self._create_order(user_id=self.colleague.id)
        order.with_user(self.colleague).message_post(
            body="<p>Yes, Monday morning.</p>",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer.ids,
        )
        interactions = self._interactions(order, "message")
        self.assertEqual(len(interactions), 1)
        self.assertEqual(interactions.direction, "outbound")
        self.assertEqual(interactions.partner_id, self.customer)
        self.assertEqual(interactions.user_id, self.colleague)

    def test_internal_note_and_colleague_message_are_not_logged(self):
        order = self._create_order()
        order.message_post(
            body="Check stock first", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        order.message_post(
            body="FYI",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.colleague.partner_id.ids,
        )
        self.assertFalse(self._interactions(order, "message"))

    def test_email_on_opportunity_and_invoice_are_captured(self):
        lead = self.env["crm.lead"].create(
            {"name": "Ovens", "type": "opportunity", "partner_id": self.customer.id}
        )
        lead.message_post(
            body="Interested",
            message_type="email",
            author_id=self.customer.id,
            subtype_xmlid="mail.mt_comment",
        )
        self.assertEqual(len(self._interactions(lead, "message")), 1)

    def test_customer_comment_in_portal_chatter_logs_portal_interaction(self):
        order = self._create_order()
        # What the portal chatter controller does for the customer (sudo, customer as author).
        order.sudo().message_post(
            body=Markup("<p>Please add two more bags.</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.contact.id,
        )
        interaction = self._interactions(order, "message")
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.channel_id.code, "portal")
        self.assertEqual(interaction.direction, "inbound")
        self.assertEqual(interaction.subject, "Please add two more bags.")
