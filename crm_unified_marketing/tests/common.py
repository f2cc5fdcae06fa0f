from datetime import date

from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.mail.tests.common import MailCommon

# Monday 7 December 2026, 05:00 UTC = 07:00 in Kyiv (UTC+2 in winter).
NOW = "2026-12-07 05:00:00"


class CampaignCommon(MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Demo campaigns (and their planned deliveries) stay out of the crons under test.
        cls.env["crm.campaign"].search([("state", "=", "active")]).action_pause()
        cls.company = cls.env.company
        cls.company.write({"crm_cap_contacts": 3, "crm_cap_period_days": 7})
        channel = cls.env["crm.interaction.channel"]._get_by_code
        cls.ch_email = channel("email")
        cls.ch_sms = channel("sms")
        cls.ch_phone = channel("phone")
        cls.ch_portal = channel("portal")
        cls.user_salesman = new_test_user(
            cls.env,
            login="mkt_salesman",
            name="Sofia Salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.user_marketing = new_test_user(
            cls.env,
            login="mkt_marketer",
            name="Marko Marketer",
            groups="crm_unified_marketing.group_marketing_user",
            tz="Europe/Kyiv",
        )
        cls.product = cls.env["product.product"].create({"name": "Oak Desk", "list_price": 200.0})
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Customer {index}",
                    "email": f"customer{index}@example.com",
                    "mobile": f"+32 456 00 11 {index:02d}",
                    "tz": "Europe/Kyiv",
                }
                for index in range(4)
            ]
        )
        cls.segment = cls.env["crm.segment"].create(
            {
                "name": "Test customers",
                "segment_type": "static",
                "partner_ids": [Command.set(cls.partners.ids)],
            }
        )
        cls.campaign = cls.env["crm.campaign"].create(
            {
                "name": "Winter sale",
                "date_start": date(2026, 12, 7),
                "date_end": date(2026, 12, 20),
                "user_id": cls.user_marketing.id,
            }
        )
        cls.rule = cls._create_rule(cls.campaign, "Desk offer", cls.segment)

    @classmethod
    def _create_rule(cls, campaign, name, segments, channels=None, **values):
        channels = channels or [cls.ch_email, cls.ch_sms]
        return cls.env["crm.campaign.rule"].create(
            {
                "campaign_id": campaign.id,
                "name": name,
                "segment_ids": [Command.set(segments.ids)],
                "product_id": cls.product.id,
                "discount": 10.0,
                "channel_line_ids": [
                    Command.create({"sequence": seq, "channel_id": ch.id, "cost": 1.0})
                    for seq, ch in enumerate(channels)
                ],
                **values,
            }
        )

    def _plan(self, campaigns=None):
        campaigns = campaigns or self.campaign
        campaigns.filtered(lambda c: c.state != "active").action_activate()
        return self.env["crm.campaign.planner"]._plan_campaigns(campaigns)

    def _delivery(self, partner, campaign=None):
        return self.env["crm.campaign.delivery"].search(
            [("partner_id", "=", partner.id), ("campaign_id", "=", (campaign or self.campaign).id)]
        )
