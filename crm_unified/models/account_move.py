from odoo import models
from odoo.tools import format_amount


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "crm.interaction.source.mixin"]
    _crm_interaction_department = "accounting"

    # ---- Business actions ----

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(
            lambda move: move.is_invoice(include_receipts=True) and move.partner_id
        )._crm_capture("_prepare_invoice_posted_interaction_values")
        return posted

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        # "in payment" then "paid" both call this hook: the capture key
        # (account.move,<id>,invoice_paid) is unique, so the payment is logged once.
        self.filtered(lambda move: move.partner_id)._crm_capture(
            "_prepare_invoice_paid_interaction_values"
        )
        return res

    # ---- Interaction values (one method per event, extend with super()) ----

    def _crm_interaction_partner(self):
        self.ensure_one()
        return self.partner_id

    def _prepare_crm_interaction_values(self, event, subject, channel_code="other", **values):
        values.setdefault("user_id", (self.invoice_user_id or self.env.user).id)
        return super()._prepare_crm_interaction_values(
            event, subject, channel_code=channel_code, **values
        )

    def _prepare_invoice_posted_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "invoice_posted",
            self.env._("%(type)s %(name)s posted", type=self.type_name, name=self.name),
            subject_params={"name": self.name, "move_type": self.move_type},
            outcome=format_amount(self.env, self.amount_total, self.currency_id),
        )

    def _prepare_invoice_paid_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "invoice_paid",
            self.env._("%(type)s %(name)s paid", type=self.type_name, name=self.name),
            subject_params={"name": self.name, "move_type": self.move_type},
            # The customer initiated the payment; recording it is a business event
            # dated when accounting registered it, not a customer touch.
            direction="inbound",
            outcome=format_amount(self.env, self.amount_total, self.currency_id),
        )
