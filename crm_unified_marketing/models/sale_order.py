from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        result = super().action_confirm()
        self._crm_credit_campaign_conversions()
        return result

    def _crm_credit_campaign_conversions(self):
        """Mark the matching campaign delivery of each confirmed order as converted.

        A delivery matches an order of its customer (or of the customer's company)
        confirmed on or before its offer's expiry day; see _crm_pick_campaign_delivery
        for the choice among several. One search for the whole batch.
        """
        orders = self.filtered(lambda o: o.state == "sale")
        if not orders:
            return
        partners = orders.partner_id | orders.partner_id.commercial_partner_id
        # sudo: conversions are credited whoever confirms the order; only deliveries
        # of these orders' customers are read and updated.
        Delivery = self.env["crm.campaign.delivery"].sudo()
        deliveries = Delivery.search(
            [
                ("partner_id", "in", partners.ids),
                ("state", "in", ["sent", "opened", "clicked", "replied"]),
                ("sent_date", "!=", False),
            ],
            order="sent_date desc, id desc",
        )
        credited = Delivery.browse()
        for order in orders:
            order_day = order.date_order.date()
            order_partners = order.partner_id | order.partner_id.commercial_partner_id
            matching = deliveries.filtered(
                lambda d, order_partners=order_partners, order_day=order_day, done=credited: (
                    d.partner_id in order_partners
                    and d not in done
                    and d.sent_date.date() <= order_day <= d.offer_expiry_date
                )
            )
            if not matching:
                continue
            delivery = order._crm_pick_campaign_delivery(matching)
            delivery.write(
                {
                    "state": "converted",
                    "sale_order_id": order.id,
                    "revenue": order.currency_id._convert(
                        order.amount_untaxed,
                        delivery.currency_id,
                        order.company_id,
                        order.date_order,
                    ),
                }
            )
            credited |= delivery
        credited._log_delivery_interactions("converted")

    def _crm_pick_campaign_delivery(self, deliveries):
        """The delivery this order converts, among the customer's open offers.

        First the delivery whose mailing carries the order's UTM source (the
        customer came through its tracked link), then one of the order's UTM
        campaign, else the latest sent.
        """
        self.ensure_one()
        same_source = deliveries.filtered(
            lambda d: self.source_id and d.mailing_id.source_id == self.source_id
        )
        same_campaign = deliveries.filtered(
            lambda d: self.campaign_id and d.campaign_id.utm_campaign_id == self.campaign_id
        )
        return (same_source or same_campaign or deliveries)[:1]
