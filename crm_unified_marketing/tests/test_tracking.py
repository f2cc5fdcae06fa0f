from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
class TestTracking(CampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule.variant_ids = [
            Command.create({"name": "A", "split_percent": 50}),
            Command.create({"name": "B", "split_percent": 50, "discount": 20}),
        ]
        with freeze_time(NOW):
            cls.campaign.action_activate()
            cls.deliveries = cls.env["crm.campaign.planner"]._plan_campaigns(cls.campaign)
            cls.deliveries.scheduled_date = "2026-12-07 04:00:00"
            cls.env["crm.campaign.delivery"]._cron_dispatch()

    def _reactions(self, delivery):
        return self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.campaign.delivery"),
                ("res_id", "=", delivery.id),
                ("direction", "=", "inbound"),
            ]
        )

    def test_trace_reactions_move_the_delivery(self):
        first, second, third = self.deliveries[:3]
        first.mailing_trace_id.set_opened()
        self.assertEqual(first.state, "opened")
        first.mailing_trace_id.set_clicked()
        self.assertEqual(first.state, "clicked")
        first.mailing_trace_id.set_opened()  # a later open never moves it back
        self.assertEqual(first.state, "clicked")
        self.assertEqual(len(self._reactions(first)), 2)
        second.mailing_trace_id.set_replied()
        self.assertEqual(second.state, "replied")
        third.mailing_trace_id.set_bounced()
        self.assertEqual(third.state, "bounced")
        # A bounce is the mail server answering the company's send: a business
        # event, never counted as the customer's own touch.
        self.assertFalse(self._reactions(third))
        bounce = self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.campaign.delivery"),
                ("res_id", "=", third.id),
                ("kind", "=", "event"),
            ]
        )
        self.assertEqual(bounce.outcome, "Bounced")
        self.assertEqual(bounce.direction, "outbound")

    def test_delivery_event_subjects_read_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        delivery = self.deliveries[0]
        delivery.with_context(lang="uk_UA").mailing_trace_id.set_opened()
        opened = self._reactions(delivery)
        name = self.campaign.name
        self.assertEqual(opened.capture_event, "campaign_opened")
        self.assertEqual(
            opened.with_context(lang="en_US").subject_display, f"Campaign {name}: offer opened"
        )
        sent = self.env["crm.interaction"].search(
            [
                ("res_model", "=", "crm.campaign.delivery"),
                ("res_id", "=", delivery.id),
                ("capture_event", "=", "campaign_sent"),
            ]
        )
        self.assertEqual(
            sent.with_context(lang="uk_UA").display_name,
            f"Кампанія {name}: пропозицію надіслано",
        )

    def _order(self, partner, **values):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "price_unit": 180.0})
                ],
                **values,
            }
        )

    @freeze_time("2026-12-10 10:00:00")
    def test_confirmed_order_within_validity_converts(self):
        delivery = self.deliveries.filtered(lambda d: d.partner_id == self.partners[0])
        order = self._order(self.partners[0], campaign_id=self.campaign.utm_campaign_id.id)
        order.action_confirm()
        self.assertEqual(delivery.state, "converted")
        self.assertEqual(delivery.sale_order_id, order)
        self.assertEqual(delivery.revenue, 180.0)
        self.assertEqual(self.rule.revenue, 180.0)
        self.assertEqual(delivery.variant_id.revenue, 180.0)
        self.assertEqual(self.campaign.converted_count, 1)
        report = self.env["crm.campaign.report"]._read_group(
            [("campaign_id", "=", self.campaign.id)], ["rule_id"], ["revenue:sum", "converted:sum"]
        )
        self.assertEqual(report, [(self.rule, 180.0, 1)])
        self.assertTrue(self._reactions(delivery).filtered(lambda i: "converted" in i.subject))

    @freeze_time("2026-12-10 10:00:00")
    def test_orders_are_credited_in_one_batch(self):
        orders = self._order(self.partners[1]) | self._order(self.partners[2])
        orders.action_confirm()
        converted = self.deliveries.filtered(lambda d: d.state == "converted")
        self.assertEqual(converted.partner_id, self.partners[1:3])
        self.assertEqual(converted.sale_order_id, orders)

    @freeze_time("2026-12-10 10:00:00")
    def test_order_through_tracked_link_credits_that_mailing(self):
        """The UTM source of the mailing wins over a more recent delivery."""
        other = self.campaign.copy({"name": "Later campaign"})
        later = self.env["crm.campaign.delivery"].create(
            {
                "campaign_id": other.id,
                "rule_id": other.rule_ids.id,
                "partner_id": self.partners[0].id,
                "channel_id": self.ch_email.id,
                "state": "sent",
                "sent_date": "2026-12-09 08:00:00",
            }
        )
        delivery = self.deliveries.filtered(lambda d: d.partner_id == self.partners[0])
        order = self._order(self.partners[0], source_id=delivery.mailing_id.source_id.id)
        order.action_confirm()
        self.assertEqual(delivery.state, "converted")
        self.assertEqual(later.state, "sent")

    @freeze_time("2027-01-15 10:00:00")
    def test_order_after_validity_does_not_convert(self):
        self._order(self.partners[0]).action_confirm()
        self.assertFalse(self.deliveries.filtered(lambda d: d.state == "converted"))

    def test_report_rates(self):
        self.deliveries[0].mailing_trace_id.set_opened()
        rows = self.env["crm.campaign.report"]._read_group(
            [("campaign_id", "=", self.campaign.id)], [], ["sent:sum", "open_rate:avg"]
        )
        self.assertEqual(rows[0][0], 4)
        self.assertAlmostEqual(rows[0][1], 25.0)

    def test_winner_picked_on_metric(self):
        opened = self.deliveries.filtered(lambda d: d.variant_id.name == "B")[:1]
        self.assertTrue(opened, "the split gives variant B at least one customer")
        opened.mailing_trace_id.set_opened()
        self.rule.ab_metric = "open"
        self.rule.action_select_winner()
        self.assertEqual(self.rule.winner_variant_id.name, "B")
        self.assertEqual(self.rule._pick_variant(self.partners[0].id).name, "B")
