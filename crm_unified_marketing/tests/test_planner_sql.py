from datetime import datetime

from freezegun import freeze_time

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import NOW, CampaignCommon

# Fields of a delivery that record the planner's decisions.
DECISION_FIELDS = [
    "rule_id",
    "segment_id",
    "channel_id",
    "variant_id",
    "cap_exempt",
    "state",
    "skip_reason",
    "failure_reason",
    "scheduled_date",
    "cost",
    "cap_postponed_by",
    "plan_explanation_params",
]


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSetBasedPlanner(CampaignCommon):
    """The set-based planner (one INSERT … SELECT per batch) makes exactly the decisions
    of the customer-by-customer planner (`_plan_batch`), on customers that go through
    every branch: channels, consents, caps, time zones, quiet hours, best slots, ties,
    A/B variants, an exempt rule and customers already planned."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partner = cls.env["res.partner"]
        base = {"email": False, "mobile": False, "phone": False}

        def customer(name, **values):
            return partner.create({"name": name, "tz": "Europe/Kyiv", **base, **values})

        portal_user = new_test_user(
            cls.env, login="sql_portal", name="Portal Customer", groups="base.group_portal"
        )
        cls.people = {
            "plain": customer("Plain", email="plain@example.com"),
            "new_york": customer("New York", email="ny@example.com", tz="America/New_York"),
            "tokyo_sms": customer(
                "Tokyo", email="tk@example.com", mobile="+32 456 00 22 01", tz="Asia/Tokyo"
            ),
            "no_tz": customer("No zone", email="nz@example.com", tz=False),
            "email_opt_out": customer(
                "Opted out", email="oo@example.com", mobile="+32 456 00 22 02"
            ),
            "do_not_contact": customer("Never", email="dnc@example.com", do_not_contact=True),
            "blacklisted": customer("Blacklisted", email="bl@example.com"),
            "invalid_phone": customer("Bad number", email="bad@example.com", mobile="12"),
            "no_address": customer("Nowhere"),
            "portal": portal_user.partner_id,
            "quiet": customer(
                "Quiet", email="q@example.com", quiet_hour_start=9.0, quiet_hour_end=12.0
            ),
            "capped": customer("Busy", email="busy@example.com"),
            "rule_capped": customer("Very busy", email="vb@example.com"),
            "no_slot": customer(
                "Asleep", email="zz@example.com", quiet_hour_start=0.0, quiet_hour_end=23.99
            ),
            "best_slot": customer("Habit", email="habit@example.com", tz="Europe/Paris"),
            "phone_only": customer("Caller", phone="+32 456 00 22 03"),
            "already": customer("Done", email="done@example.com"),
            "exempt": customer("Asked", email="asked@example.com"),
        }
        cls.people["portal"].write({"email": False, "tz": "UTC"})
        everyone = cls.env["res.partner"].union(*cls.people.values())
        vip = everyone.filtered(
            lambda p: p.name in ("Plain", "Tokyo", "Opted out", "Habit", "Caller", "Bad number")
        )
        cls.seg_all = cls.env["crm.segment"].create(
            {
                "name": "All SQL",
                "segment_type": "static",
                "partner_ids": [Command.set(everyone.ids)],
            }
        )
        cls.seg_vip = cls.env["crm.segment"].create(
            {"name": "VIP SQL", "segment_type": "static", "partner_ids": [Command.set(vip.ids)]}
        )
        cls.seg_exempt = cls.env["crm.segment"].create(
            {
                "name": "Asked SQL",
                "segment_type": "static",
                "partner_ids": [Command.set(cls.people["exempt"].ids)],
            }
        )
        # channel cap on SMS, campaign cap of 2 per 3 days
        cls.ch_sms.cap_contacts = 1
        campaign = cls.campaign
        campaign.write({"cap_contacts": 2, "cap_period_days": 3})
        campaign.rule_ids.unlink()
        expensive = cls.env["product.product"].create({"name": "Sofa", "list_price": 900.0})
        cls.rule_vip = cls._create_rule(
            campaign, "VIP email", cls.seg_vip, channels=[cls.ch_email, cls.ch_sms], sequence=1
        )
        cls.rule_vip.variant_ids = [
            Command.create({"name": "A", "split_percent": 30.0}),
            Command.create({"name": "B", "split_percent": 70.0}),
        ]
        cls.rule_tie = cls._create_rule(
            campaign,
            "VIP phone",
            cls.seg_vip,
            channels=[cls.ch_phone, cls.ch_sms],
            sequence=1,
            product_id=expensive.id,
        )
        cls.rule_all = cls._create_rule(
            campaign,
            "Everyone",
            cls.seg_all | cls.seg_vip,
            channels=[cls.ch_email, cls.ch_sms, cls.ch_portal],
            sequence=2,
            cap_contacts=1,
            cap_period_days=3,
            day_sat=True,
            default_hour=10.5,
        )
        cls.rule_exempt = cls._create_rule(
            campaign, "Answer", cls.seg_exempt, channels=[cls.ch_email], sequence=0, cap_exempt=True
        )
        # consents, blacklist, preferences
        cls.env["crm.contact.consent"].create(
            [
                {
                    "partner_id": cls.people["email_opt_out"].id,
                    "channel_id": cls.ch_email.id,
                    "state": "opt_out",
                },
                {
                    "partner_id": cls.people["tokyo_sms"].id,
                    "channel_id": cls.ch_sms.id,
                    "state": "opt_in",
                },
                {
                    "partner_id": cls.people["invalid_phone"].id,
                    "channel_id": cls.ch_email.id,
                    "state": "opt_out",
                },
            ]
        )
        cls.env["mail.blacklist"].create({"email": "bl@example.com"})
        cls.people["tokyo_sms"].preferred_channel_id = cls.ch_sms
        cls.people["portal"].preferred_channel_id = cls.ch_portal
        cls.people["plain"].preferred_channel_id = cls.ch_phone  # not allowed by its rule
        cls.people["invalid_phone"].preferred_channel_id = cls.ch_sms
        # best contact slot from the customer's history: Thursday 15:00, Sunday 11:00
        cls.env["crm.partner.profile"].sudo().create(
            {
                "partner_id": cls.people["best_slot"].id,
                "company_id": cls.env.company.id,
                "contact_time_histogram": {"3-15": 4, "6-11": 9, "1-3": 2},
            }
        )
        # earlier contacts from another campaign: caps postpone or skip
        # (one live delivery per customer and campaign: one earlier campaign per contact)
        earlier = cls.env["crm.campaign"].create(
            [
                {
                    "name": f"Earlier {index}",
                    "date_start": campaign.date_start,
                    "date_end": campaign.date_end,
                    "user_id": cls.user_marketing.id,
                }
                for index in range(3)
            ]
        )
        rules = [
            cls._create_rule(other, "Earlier", cls.seg_all, channels=[cls.ch_sms])
            for other in earlier
        ]
        contacts = [
            (0, "capped", datetime(2026, 12, 7, 6)),
            (1, "capped", datetime(2026, 12, 6, 6)),
            (2, "capped", datetime(2026, 12, 7, 7)),
            (0, "rule_capped", datetime(2026, 12, 9, 8)),
            (1, "rule_capped", datetime(2026, 12, 16, 8)),
            (2, "rule_capped", datetime(2026, 12, 21, 8)),
            (0, "tokyo_sms", datetime(2026, 12, 7, 3)),
        ]
        cls.env["crm.campaign.delivery"].create(
            [
                {
                    "campaign_id": earlier[index].id,
                    "rule_id": rules[index].id,
                    "partner_id": cls.people[name].id,
                    "channel_id": cls.ch_sms.id,
                    "state": "planned",
                    "scheduled_date": when,
                }
                for index, name, when in contacts
            ]
        )
        campaign.action_activate()
        cls.env["crm.campaign.delivery"].create(
            {
                "campaign_id": campaign.id,
                "rule_id": cls.rule_all.id,
                "partner_id": cls.people["already"].id,
                "channel_id": cls.ch_email.id,
                "state": "planned",
                "scheduled_date": datetime(2026, 12, 8, 8),
            }
        )

    def _python_decisions(self):
        """What the customer-by-customer planner decides: {partner id: values}."""
        planner = self.env["crm.campaign.planner"]
        rules = planner._get_rules(self.campaign)
        batch_ids = planner._next_batch_ids(self.campaign, rules, 1000)
        state = planner._prepare_plan_state(self.campaign, rules, fields.Datetime.now())
        audiences = rules._get_audience_ids(partner_ids=batch_ids)
        values = planner._plan_batch(self.campaign, rules, audiences, batch_ids, state)
        return {vals["partner_id"]: vals for vals in values}

    def _assert_same_decisions(self):
        expected = self._python_decisions()
        self.assertNotIn(self.people["already"].id, expected, "already planned: left out")
        deliveries = self.env["crm.campaign.planner"]._plan_campaigns(self.campaign)
        self.assertEqual(sorted(deliveries.partner_id.ids), sorted(expected))
        for delivery in deliveries:
            vals = expected[delivery.partner_id.id]
            for fname in DECISION_FIELDS:
                value = delivery[fname]
                value = value.id if hasattr(value, "_name") else value
                with self.subTest(customer=delivery.partner_id.name, field=fname):
                    self.assertEqual(value or False, vals.get(fname) or False)
        return deliveries

    def test_same_decisions_as_the_customer_by_customer_planner(self):
        deliveries = self._assert_same_decisions()
        by_name = {d.partner_id.name: d for d in deliveries}
        # the fixture goes through the branches it is meant to cover
        self.assertEqual(
            set(deliveries.mapped("skip_reason")) - {False},
            {"no_consent", "invalid_phone", "no_channel", "no_slot"},
            {name: (d.state, d.skip_reason, d.plan_explanation) for name, d in by_name.items()},
        )
        self.assertEqual(
            set(deliveries.mapped("channel_id.code")), {"email", "sms", "phone", "portal"}
        )
        vip = deliveries.filtered(lambda d: d.rule_id == self.rule_vip)
        self.assertTrue(vip and all(vip.mapped("variant_id")), "A/B variant given")
        self.assertLessEqual(vip.variant_id, self.rule_vip.variant_ids)
        self.assertEqual(by_name["Busy"].cap_postponed_by, "company")
        self.assertEqual(by_name["Very busy"].cap_postponed_by, "rule")
        self.assertEqual(by_name["Asked"].rule_id, self.rule_exempt)
        self.assertTrue(by_name["Asked"].cap_exempt)
        self.assertIn("best contact time", by_name["Habit"].plan_explanation)
        self.assertIn("won the tie", by_name["Caller"].plan_explanation)
        self.assertEqual(by_name["Tokyo"].channel_id, self.ch_sms)
        self.assertEqual(by_name["Tokyo"].cap_postponed_by, "channel")

    def test_same_decisions_with_explicit_opt_in_required(self):
        self.env.company.crm_require_opt_in = True
        deliveries = self._assert_same_decisions()
        planned = deliveries.filtered(lambda d: d.state == "planned")
        self.assertEqual(planned.partner_id, self.people["tokyo_sms"])

    def test_dry_run_reports_what_planning_writes(self):
        planner = self.env["crm.campaign.planner"]
        batches = list(planner._compute_plan(self.campaign))
        computed = {vals["partner_id"]: vals for batch in batches for vals in batch}
        deliveries = planner._plan_campaigns(self.campaign)
        for delivery in deliveries:
            vals = computed[delivery.partner_id.id]
            self.assertEqual(delivery.state, vals["state"])
            self.assertEqual(delivery.scheduled_date or False, vals["scheduled_date"] or False)
            self.assertEqual(delivery.plan_explanation_params, vals["plan_explanation_params"])


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSetBasedPlannerQueries(CampaignCommon):
    """One planning batch costs the same queries whatever the number of customers."""

    def _campaign_for(self, count, label):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"{label} {index}",
                    "email": f"{label}{index}@example.com",
                    "mobile": f"+32 456 01 {index // 100:02d} {index % 100:02d}",
                    "tz": ("Europe/Kyiv", "America/New_York", "Asia/Tokyo")[index % 3],
                }
                for index in range(count)
            ]
        )
        segment = self.env["crm.segment"].create(
            {"name": label, "segment_type": "static", "partner_ids": [Command.set(partners.ids)]}
        )
        campaign = self.campaign.copy({"name": label, "rule_ids": False})
        self._create_rule(campaign, f"{label} rule", segment, sequence=1)
        self._create_rule(campaign, f"{label} sms", segment, channels=[self.ch_sms], sequence=2)
        campaign.action_activate()
        self.env.flush_all()
        self.env.invalidate_all()
        return campaign

    def test_one_batch_costs_the_same_queries_for_50_and_500_customers(self):
        planner = self.env["crm.campaign.planner"]
        planner._plan_campaign_batch(self._campaign_for(5, "warmup"), 1000)
        small, large = self._campaign_for(50, "small"), self._campaign_for(500, "large")
        with self.assertQueryCount(__system__=28):
            self.assertEqual(len(planner._plan_campaign_batch(small, 1000)), 50)
        with self.assertQueryCount(__system__=28):
            self.assertEqual(len(planner._plan_campaign_batch(large, 1000)), 500)
        self.assertEqual(len(large.delivery_ids), 500)
