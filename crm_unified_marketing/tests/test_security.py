from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import CampaignCommon


@tagged("post_install", "-at_install")
class TestSecurity(CampaignCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners[0].user_id = cls.user_salesman
        cls.campaign.action_activate()
        cls.deliveries = cls.env["crm.campaign.planner"]._plan_campaigns(cls.campaign)

    def test_salesperson_reads_only_their_customers_deliveries(self):
        visible = self.env["crm.campaign.delivery"].with_user(self.user_salesman).search([])
        self.assertEqual(visible.partner_id, self.partners[0])
        other = self.deliveries.filtered(lambda d: d.partner_id != self.partners[0])[:1]
        with self.assertRaises(AccessError):
            other.with_user(self.user_salesman).read(["state"])
        with self.assertRaises(AccessError):
            visible.with_user(self.user_salesman).write({"state": "cancelled"})
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.user_salesman).write({"name": "Hijack"})

    def test_salesperson_sees_the_call_task_of_their_customer(self):
        phone_rule = self._create_rule(
            self.campaign.copy({"name": "Calls", "rule_ids": []}),
            "Call",
            self.segment,
            channels=[self.ch_phone],
        )
        phone_rule.campaign_id.action_activate()
        deliveries = self.env["crm.campaign.planner"]._plan_campaigns(phone_rule.campaign_id)
        deliveries.scheduled_date = "2020-01-01 08:00:00"
        deliveries._dispatch()
        task = deliveries.filtered(lambda d: d.partner_id == self.partners[0]).activity_id
        tasks = (
            self.env["mail.activity"]
            .with_user(self.user_salesman)
            .search([("user_id", "=", self.user_salesman.id)])
        )
        self.assertEqual(tasks, task)
        self.assertIn("10% off", tasks.note)

    def test_marketing_user_manages_campaigns_but_cannot_delete(self):
        campaign = (
            self.env["crm.campaign"]
            .with_user(self.user_marketing)
            .create({"name": "Mine", "date_end": "2030-01-01"})
        )
        self.assertTrue(campaign.utm_campaign_id)
        self.assertEqual(
            self.env["crm.campaign.delivery"]
            .with_user(self.user_marketing)
            .search_count([("campaign_id", "=", self.campaign.id)]),
            4,
        )
        with self.assertRaises(AccessError):
            campaign.unlink()

    def test_plain_employee_has_no_access(self):
        employee = new_test_user(self.env, login="mkt_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["crm.campaign"].with_user(employee).search([])

    def test_other_company_campaigns_are_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        hidden = self.env["crm.campaign"].create(
            {"name": "Elsewhere", "date_end": "2030-01-01", "company_id": other_company.id}
        )
        found = self.env["crm.campaign"].with_user(self.user_marketing).search([])
        self.assertNotIn(hidden, found)
        self.assertIn(self.campaign, found)

    def test_marketing_user_plans_and_sends_with_own_rights(self):
        campaign = self.campaign.copy({"name": "By the marketer", "rule_ids": []})
        self._create_rule(campaign, "Mixed", self.segment, channels=[self.ch_email])
        self.partners[1].preferred_channel_id = self.ch_phone
        campaign.rule_ids.channel_line_ids = [
            Command.create({"channel_id": self.ch_phone.id, "sequence": 0})
        ]
        campaign = campaign.with_user(self.user_marketing)
        campaign.action_activate()
        campaign.action_plan_now()
        deliveries = campaign.delivery_ids
        self.assertEqual(len(deliveries), 4)
        deliveries.write({"scheduled_date": "2020-01-01 08:00:00"})
        with self.mock_mail_gateway():
            campaign.action_dispatch_now()
        self.assertEqual(
            set(deliveries.mapped("state")), {"sent"}, deliveries.mapped("failure_reason")
        )
        self.assertEqual(set(deliveries.mapped("channel_code")), {"email", "phone"})
