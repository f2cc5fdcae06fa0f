from odoo import models
from odoo.tools import format_amount


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "crm.interaction.source.mixin"]

    # ---- Business actions ----

    def action_quotation_sent(self):
        res = super().action_quotation_sent()
        self._crm_capture("_prepare_quotation_marked_sent_interaction_values")
        return res

    def action_confirm(self):
        to_confirm = self.filtered(lambda order: order.state != "sale")
        # The confirmation email sent by the confirmation itself is part of this event.
        res = super(
            SaleOrder, self.with_context(crm_interaction_skip_message=True)
        ).action_confirm()
        to_confirm.filtered(lambda order: order.state == "sale")._crm_capture(
            "_prepare_order_confirmed_interaction_values"
        )
        return res

    def _action_cancel(self):
        to_cancel = self.filtered(lambda order: order.state != "cancel")
        res = super()._action_cancel()
        to_cancel.filtered(lambda order: order.state == "cancel")._crm_capture(
            "_prepare_order_cancelled_interaction_values"
        )
        return res

    def message_post(self, **kwargs):
        if not self.env.context.get("mark_so_as_sent"):
            return super().message_post(**kwargs)
        # The quotation email is captured once, as "quotation sent", not as an email.
        message = super(
            SaleOrder, self.with_context(crm_interaction_skip_message=True)
        ).message_post(**kwargs)
        self._crm_capture("_prepare_quotation_sent_interaction_values")
        return message

    # ---- Interaction values (one method per event, extend with super()) ----

    def _prepare_quotation_sent_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "sale_quotation_sent",
            self.env._("Quotation %(name)s sent", name=self.name),
            channel_code="email",
            subject_params={"name": self.name},
        )

    def _prepare_quotation_marked_sent_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "sale_quotation_sent",
            self.env._("Quotation %(name)s marked as sent", name=self.name),
            subject_params={"name": self.name, "template": "sale_quotation_marked_sent"},
        )

    def _prepare_order_confirmed_interaction_values(self):
        values = self._prepare_crm_interaction_values(
            "sale_order_confirmed",
            self.env._("Order %(name)s confirmed", name=self.name),
            subject_params={"name": self.name},
            outcome=format_amount(self.env, self.amount_total, self.currency_id),
        )
        if self._crm_confirmed_by_customer():
            # The customer bought on the portal: their own touch, at their time.
            values.update(
                kind="touch", direction="inbound", channel_id=self._crm_channel("portal").id
            )
        return values

    def _crm_confirmed_by_customer(self):
        """Whether the customer confirmed this order (signed or paid on the portal).

        True when the confirming user is a portal/public user, or when the
        order carries the customer's signature. Otherwise the confirmation is
        a business event done by the company.
        """
        self.ensure_one()
        return bool(self.env.user.share or self.signed_on)

    def _prepare_order_cancelled_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "sale_order_cancelled",
            self.env._("Order %(name)s cancelled", name=self.name),
            subject_params={"name": self.name},
        )
