from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCampaignCommercialEntity(CampaignCommon):
    """Issue 14 §2: a company with a buyer, an invoice and a delivery address is one
    customer: its revenue segment has one member and the campaign plans one email."""

    def test_revenue_segment_plans_one_email_per_customer(self):
        Partner = self.env["res.partner"]
        company = Partner.create(
            {"name": "Bakery Kvitka", "is_company": True, "email": "info@kvitka.example.com"}
        )
        people = company | Partner.create(
            [
                {"name": "Olena", "parent_id": company.id, "email": "olena@kvitka.example.com"},
                {
                    "name": "Accounting",
                    "parent_id": company.id,
                    "type": "invoice",
                    "email": "accounting@kvitka.example.com",
                },
                {
                    "name": "Warehouse gate",
                    "parent_id": company.id,
                    "type": "delivery",
                    "email": "gate@kvitka.example.com",
                },
            ]
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": people[1].id,
                "order_line": [Command.create({"product_id": self.product.id, "price_unit": 900})],
            }
        )
        order.action_confirm()
        company._crm_recompute_profile()
        segment = self.env["crm.segment"].create(
            {
                "name": "Big buyers",
                "domain": repr([("id", "in", people.ids), ("sale_revenue_total", ">", 500)]),
                "company_id": self.company.id,
            }
        )
        segment._refresh_members()
        self.assertEqual(segment.partner_ids, company)
        self._create_rule(self.campaign, "Big buyers offer", segment, [self.ch_email])
        self._plan()
        deliveries = self.env["crm.campaign.delivery"].search(
            [("campaign_id", "=", self.campaign.id), ("partner_id", "in", people.ids)]
        )
        self.assertEqual(len(deliveries), 1)
        self.assertEqual(deliveries.partner_id, company)
