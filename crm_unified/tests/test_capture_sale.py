from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crm_unified.models.crm_interaction import CrmInteraction

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCaptureSale(CrmInteractionCommon):
    def test_order_confirmed_logs_exactly_one_interaction(self):
        order = self._create_order()
        order.action_confirm()
        interaction = self._interactions(order)
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.capture_event, "sale_order_confirmed")
        self.assertEqual(interaction.partner_id, self.customer)
        self.assertEqual(interaction.department_id, self.department_sales)
        self.assertEqual(interaction.source, "automatic")
        self.assertEqual(interaction.document_ref, order)

    def test_confirmation_email_is_part_of_the_confirmation(self):
        order = self._create_order()
        order.with_context(send_email=True).action_confirm()
        self.assertEqual(len(self._interactions(order)), 1)
        self.assertEqual(self._interactions(order).capture_event, "sale_order_confirmed")

    def test_order_cancelled_logs_one_interaction(self):
        order = self._create_order()
        order.action_confirm()
        order._action_cancel()
        self.assertEqual(len(self._interactions(order, "sale_order_cancelled")), 1)
        self.assertEqual(len(self._interactions(order)), 2)

    def test_quotation_sent_by_email_logs_once_not_as_email(self):
        order = self._create_order()
        order.with_context(mark_so_as_sent=True).message_post(
            body="Here is your quotation",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer.ids,
        )
        self.assertEqual(order.state, "sent")
        interactions = self._interactions(order)
        self.assertEqual(len(interactions), 1, "the quotation email must not be logged twice")
        self.assertEqual(interactions.capture_event, "sale_quotation_sent")
        self.assertEqual(interactions.channel_id, self.channel_email)

    def test_quotation_marked_sent_logs_one_interaction(self):
        order = self._create_order()
        order.action_quotation_sent()
        self.assertEqual(len(self._interactions(order, "sale_quotation_sent")), 1)

    def test_thousand_orders_confirmed_in_one_batched_create(self):
        orders = self.env["sale.order"].create(
            [{"partner_id": self.customer.id} for _i in range(1000)]
        )
        create_calls = []
        original = CrmInteraction._create_captured

        def counting_create(records, vals_list):
            create_calls.append(len(vals_list))
            return original(records, vals_list)

        with patch.object(CrmInteraction, "_create_captured", counting_create):
            orders.action_confirm()
        self.assertEqual(create_calls, [1000], "one create for the whole batch")
        self.assertEqual(len(self._interactions(orders, "sale_order_confirmed")), 1000)

    def test_confirmation_succeeds_when_logging_fails(self):
        order = self._create_order()

        def failing_create(records, vals_list):
            raise ValueError("history storage is down")

        with (
            patch.object(CrmInteraction, "_create_captured", failing_create),
            mute_logger("odoo.addons.crm_unified.models.crm_interaction"),
        ):
            order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(self._interactions(order))

    def test_confirmation_succeeds_when_preparing_values_fails(self):
        order = self._create_order()

        def failing_prepare(record):
            raise KeyError("broken extension")

        with (
            patch.object(
                type(order), "_prepare_order_confirmed_interaction_values", failing_prepare
            ),
            mute_logger("odoo.addons.crm_unified.models.crm_interaction_source"),
        ):
            order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(self._interactions(order))
