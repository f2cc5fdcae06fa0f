from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_unified.models.res_partner import ResPartner

from .profile_common import NOW, ProfileCommon


@tagged("post_install", "-at_install")
class TestPartnerProfile(ProfileCommon):
    """Hand-built data set (now = Monday 2026-06-15 12:00 UTC).

    Confirmed orders (days ago x untaxed amount):
      A: 3, 30, 60, 90, 120, 150 days x 1000 (one of them by A's contact) -> 6 orders, 6000
      B: 10, 40, 70, 100 days x 500                                          -> 4 orders, 2000
      C: 60, 150, 400 days x 300                                             -> 3 orders, 900
      D: 200, 230 days x 200                                                 -> 2 orders, 400
      E: 1 day x 100                                                         -> 1 order, 100
      G: one draft quotation only
    Quintiles (5 = best) -> expected RFM and label:
      recency  D1 C2 B3 A4 E5, frequency E1 D2 C3 B4 A5, monetary E1 D2 C3 B4 A5
      A 4/5/5 Champions, B 3/4/4 Loyal, C 2/3/3 At risk, D 1/2/2 Hibernating, E 5/1/1 New.

    Interactions of A (tz Europe/Kyiv, UTC+3 in summer, UTC+2 in winter):
      3 inbound calls on Tuesdays 07:00 UTC = 10:00 Kyiv (6, 13, 20 days ago)
      2 inbound calls on Thursdays 12:00 UTC = 15:00 Kyiv (4, 11 days ago)
      4 inbound emails on Mondays of November 2025, 07:00 UTC = 09:00 Kyiv (~200 days ago)
      1 outbound email yesterday 10:00 UTC (the last contact)
    Preferred channel = phone: 5 recent calls weigh ~4.6 against ~0.8 for 4 old emails
    (weight 0.5 ^ (age / 90 days)). Best slots: Mon 09 (4), Tue 10 (3), Thu 15 (2).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        names = ["A", "B", "C", "D", "E", "G"]
        cls.a, cls.b, cls.c, cls.d, cls.e, cls.g = cls._create_partners(
            [f"Profile {name}" for name in names], is_company=True
        )
        cls.a.tz = "Europe/Kyiv"
        cls.a_contact = cls.env["res.partner"].create(
            {"name": "Profile A Buyer", "parent_id": cls.a.id}
        )
        cls.orders = cls._confirm_orders(
            [
                (cls.a_contact, 3, 1000),
                *[(cls.a, days, 1000) for days in (30, 60, 90, 120, 150)],
                *[(cls.b, days, 500) for days in (10, 40, 70, 100)],
                *[(cls.c, days, 300) for days in (60, 150, 400)],
                *[(cls.d, days, 200) for days in (200, 230)],
                (cls.e, 1, 100),
            ]
        )
        cls.env["sale.order"].create({"partner_id": cls.g.id, "company_id": cls.company.id})
        partners = cls.a | cls.b | cls.c | cls.d | cls.e | cls.g
        # Orders confirmed above were captured "now"; this data set sets its own history.
        cls.env["crm.interaction"].search([("commercial_partner_id", "in", partners.ids)]).unlink()
        for day in (9, 2):
            cls._log(cls.a, "phone", datetime(2026, 6, day, 7, 0))
        cls._log(cls.a, "phone", datetime(2026, 5, 26, 7, 0))
        for day in (11, 4):
            cls._log(cls.a, "phone", datetime(2026, 6, day, 12, 0))
        for day in (24, 17, 10, 3):
            cls._log(cls.a, "email", datetime(2025, 11, day, 7, 0))
        cls._log(cls.a, "email", datetime(2026, 6, 14, 10, 0), direction="outbound")
        # B: two recent chats against one email about an order, counted double.
        cls._log(cls.b, "chat", NOW - timedelta(days=5))
        cls._log(cls.b, "chat", NOW - timedelta(days=5))
        b_order = cls.orders.filtered(lambda o: o.partner_id == cls.b)[:1]
        cls._log(cls.b, "email", NOW - timedelta(days=2), res_model="sale.order", res_id=b_order.id)
        cls.partners = partners
        partners._crm_recompute_profile()

    def test_rfm_scores_and_labels_follow_quintiles(self):
        expected = {
            self.a: (4, 5, 5, "Champions"),
            self.b: (3, 4, 4, "Loyal"),
            self.c: (2, 3, 3, "At risk"),
            self.d: (1, 2, 2, "Hibernating"),
            self.e: (5, 1, 1, "New"),
        }
        for partner, (r, f, m, label) in expected.items():
            self.assertEqual(
                (partner.rfm_recency, partner.rfm_frequency, partner.rfm_monetary), (r, f, m)
            )
            self.assertEqual(partner.rfm_segment, label)
            self.assertEqual(partner.rfm_label_id.with_context(lang="en_US").name, label)
        self.assertEqual((self.g.rfm_recency, self.g.rfm_segment), (0, False))
        self.assertEqual(self.a_contact.rfm_segment, "Champions", "contacts share their company's")

    def test_rfm_label_configuration_is_used(self):
        self.env.ref("crm_unified.rfm_label_champions").active = False
        self.env["res.partner"]._crm_compute_rfm()
        self.assertEqual(self.a.rfm_segment, "Loyal", "next matching label by sequence")

    def test_sales_measures(self):
        self.assertEqual(self.a.crm_order_count, 6)
        self.assertEqual(self.a.sale_revenue_total, 6000)
        self.assertEqual(self.a.average_order_value, 1000)
        self.assertEqual(self.c.sale_revenue_total, 900)
        self.assertEqual(self.c.sale_revenue_12m, 600, "the 400-day-old order is out")
        self.assertEqual(self.c.crm_order_count_12m, 2)
        self.assertEqual(self.g.open_quotation_count, 1)
        self.assertEqual(self.g.crm_order_count, 0)
        self.assertEqual(self.a.last_order_date, NOW - timedelta(days=3))

    def test_interaction_measures(self):
        self.assertEqual(self.a.last_interaction_date, datetime(2026, 6, 14, 10, 0))
        self.assertEqual(self.a.last_interaction_channel_id, self.channel["email"])
        self.assertEqual(self.a.days_since_last_contact, 1)
        self.assertEqual(self.a.interaction_count_12m, 10)
        self.assertEqual(self.a.inbound_count_12m, 9)
        self.assertEqual(self.a.interaction_channel_counts, {"phone": 5, "email": 5})
        self.assertEqual(self.a_contact.interaction_count_12m, 10)
        Partner = self.env["res.partner"]
        self.assertIn(self.a, Partner.search([("days_since_last_contact", "<", 2)]))
        self.assertNotIn(self.a, Partner.search([("days_since_last_contact", ">", 2)]))
        self.assertIn(self.g, Partner.search([("days_since_last_contact", ">", 30)]))

    def test_preferred_channel_from_history_and_overrides(self):
        self.assertEqual(self.a.preferred_channel_computed_id, self.channel["phone"])
        self.assertEqual(self.a.preferred_channel_id, self.channel["phone"])
        self.assertEqual(
            self.b.preferred_channel_id, self.channel["email"], "the order email counts double"
        )
        self.a.preferred_channel_manual_id = self.channel["email"]
        self.assertEqual(self.a.preferred_channel_id, self.channel["email"])
        self.a.preferred_channel_stated_id = self.channel["sms"]
        self.assertEqual(self.a.preferred_channel_id, self.channel["sms"], "customer's word wins")
        self.a._crm_recompute_profile()
        self.assertEqual(self.a.preferred_channel_id, self.channel["sms"])

    def test_best_contact_time_in_partner_tz(self):
        self.assertEqual(self.a.contact_time_histogram, {"0-9": 4, "1-10": 3, "3-15": 2})
        slots = (self.a | self.g)._crm_best_contact_slots()
        self.assertEqual(slots[self.a.id], [(0, 9), (1, 10), (3, 15)])
        self.assertEqual(slots[self.g.id], [])
        self.a.write({"quiet_hour_start": 8, "quiet_hour_end": 10})
        self.assertEqual(self.a._crm_best_contact_slots()[self.a.id], [(1, 10), (3, 15)])
        self.a.write({"quiet_hour_start": 22, "quiet_hour_end": 10})
        self.assertEqual(self.a._crm_best_contact_slots()[self.a.id], [(1, 10), (3, 15)])

    def test_engagement_and_churn_formula(self):
        # A: recency of A's last own touch (the inbound call 4 days ago; yesterday's
        # outbound email was the company's): 40 * (1 - 4/180) + 30 * 9/12 + 30 * min(1, 6/4)
        self.assertAlmostEqual(self.a.engagement_score, 91.61, places=2)
        self.assertFalse(self.a.churn_risk)
        # D: no contact, 2 orders in 12 months: 30 * 2/4 = 15; last order 200 > 180 days
        self.assertAlmostEqual(self.d.engagement_score, 15.0, places=2)
        self.assertTrue(self.d.churn_risk)
        self.assertFalse(self.e.churn_risk, "a new customer is not churning")

    def test_12_months_are_calendar_months_before_the_given_instant(self):
        """Over a 29 February, the last 12 months are 366 days; `now` fixes the instant."""
        leap = self._create_partners(["Leap"])
        for when in (
            datetime(2027, 3, 1, 11, 59, 59),  # 12 months and 1 second before: outside
            datetime(2027, 3, 1, 12, 0, 0),  # exactly 12 months before: inside
            datetime(2027, 3, 1, 18, 0, 0),  # 365.75 days before: inside
        ):
            self._log(leap, "phone", when)
        leap._crm_recompute_profile(now=datetime(2028, 3, 1, 12, 0, 0))
        self.assertEqual(leap.interaction_count_12m, 2)
        self.assertEqual(leap.inbound_count_12m, 2)
        self.assertEqual(leap.last_interaction_date, datetime(2027, 3, 1, 18, 0, 0))

    def test_engagement_signals_hook(self):
        original = ResPartner._crm_engagement_signal_sql

        def with_support(partners, measures, now):
            # Another addon's signal (no declared weight: DEFAULT_SIGNAL_WEIGHT) for everyone.
            return [
                *original(partners, measures, now),
                SQL("SELECT partner_id, company_id, 'support_satisfaction', 1.0 FROM %s", measures),
            ]

        with patch.object(ResPartner, "_crm_engagement_signal_sql", with_support):
            self.d._crm_recompute_profile()
        # (30 * 0.5 + 10 * 1.0) / (40 + 30 + 30 + 10) * 100
        self.assertAlmostEqual(self.d.engagement_score, 22.73, places=2)

    def test_new_interaction_marks_profile_dirty_and_cron_recomputes(self):
        self.assertFalse(self.e.crm_profile_dirty)
        self._log(self.e, "sms", NOW - timedelta(hours=1))
        self.assertTrue(self.e.crm_profile_dirty)
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("crm_unified.ir_cron_recompute_profile").id}
        )
        self.env["ir.config_parameter"].set_param("crm_unified.profile_batch_size", 5)
        Partner = self.env["res.partner"].with_context(ir_cron_progress_id=progress.id)
        # The first run of the day queues every customer: batches of 5, progress reported.
        Partner._cron_recompute_profile()
        self.assertEqual(progress.done, 5)
        self.assertGreater(progress.remaining, 0)
        for _run in range(1000):
            if not progress.remaining:
                break
            Partner._cron_recompute_profile()
        self.assertFalse(self.e.crm_profile_dirty)
        self.assertEqual(self.e.last_interaction_channel_id, self.channel["sms"])
        self.assertEqual(self.e.interaction_channel_counts, {"sms": 1})

    def test_recompute_query_count_independent_of_batch_size(self):
        """The profile recompute of 50 customers costs the queries of 5."""
        many = self._create_partners([f"Batch {i}" for i in range(50)])
        self._confirm_orders([(partner, 5, 100) for partner in many[:25]])
        for partner in many:
            self._log(partner, "phone", NOW - timedelta(days=2))
        many[:5]._crm_recompute_profile()  # warm caches
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        many[5:10]._crm_recompute_profile()
        five = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        with self.assertQueryCount(five):
            many._crm_recompute_profile()
        self.assertEqual(many[49].last_interaction_channel_id, self.channel["phone"])
        self.assertEqual(many[0].crm_order_count, 1)

    def test_overdue_invoices(self):
        company = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        partner = env["res.partner"].create({"name": "Late Payer"})
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": NOW.date() - timedelta(days=60),
                "invoice_date_due": NOW.date() - timedelta(days=30),
                "invoice_line_ids": [
                    (0, 0, {"name": "Service", "quantity": 1, "price_unit": 250, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        partner._crm_recompute_profile()
        self.assertEqual(partner.overdue_invoice_amount, 250)

    def test_confirmed_order_marks_profile_dirty(self):
        self.assertFalse(self.e.crm_profile_dirty)
        self._confirm_orders([(self.e, 0, 50)])
        self.assertTrue(self.e.crm_profile_dirty, "order capture queues the profile")
        self.e._crm_recompute_profile()
        self.assertEqual(self.e.crm_order_count, 2)
        self.assertFalse(self.e.crm_profile_dirty)

    def test_manager_recompute_all_runs_in_background(self):
        cron = self.env.ref("crm_unified.ir_cron_recompute_profile")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        action = self.env["res.config.settings"].create({}).action_crm_recompute_all_profiles()
        self.assertEqual(action["tag"], "display_notification")
        self.assertTrue(self.a.crm_profile_dirty)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        settings = self.env["res.config.settings"].create({})
        self.assertGreaterEqual(settings.crm_profile_pending_count, 6)

    def test_crm_user_reads_profile_but_cannot_recompute_all(self):
        user = new_test_user(self.env, login="profile_user", groups="crm_unified.group_user")
        self.assertEqual(self.a.with_user(user).rfm_segment, "Champions")
        self.a.with_user(user).action_crm_recompute_profile()
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(user).action_crm_recompute_all_profiles()

    def test_heatmap_and_monthly_trend_render(self):
        heatmap = str(self.a.contact_heatmap_html)
        self.assertIn("Monday", heatmap)
        self.assertIn('title="4"', heatmap, "Monday 09:00 holds the 4 emails")
        trend = str(self.a.channel_trend_html)
        self.assertIn("Phone", trend)
        self.assertIn(">4</td>", trend, "4 calls in June 2026")
        self.assertFalse(self.g.contact_heatmap_html)
        self.assertIn(">M5</td>", str(self.a.rfm_position_html), "A sits at R4 F5 with M5")
        self.assertFalse(self.g.rfm_position_html)

    def test_rfm_quintiles_are_per_company(self):
        """A big spender of another company does not move this company's ranking."""
        main = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[main.id]))
        whale = env["res.partner"].create({"name": "Other Company Whale", "is_company": True})
        order = env["sale.order"].create(
            {
                "partner_id": whale.id,
                "company_id": main.id,
                "order_line": [
                    (0, 0, {"product_id": self.product.id, "price_unit": 1e6, "tax_id": []})
                ],
            }
        )
        order.action_confirm()
        whale._crm_recompute_profile()
        self.assertEqual((self.a.rfm_recency, self.a.rfm_frequency, self.a.rfm_monetary), (4, 5, 5))
        self.assertEqual(self.e.rfm_segment, "New")
        buyers = self.env["res.partner"].search(
            [
                ("crm_order_count", ">", 0),
                ("id", "!=", whale.id),
                ("company_id", "!=", self.company.id),
            ]
        )
        others = buyers.filtered(lambda p: p.commercial_partner_id not in self.partners)
        self.assertTrue(whale.rfm_monetary, "ranked in its own company")
        self.assertGreaterEqual(whale.rfm_monetary, max(others.mapped("rfm_monetary"), default=0))

    def test_big_selection_recompute_goes_to_background(self):
        with patch("odoo.addons.crm_unified.models.res_partner.SYNC_RECOMPUTE_LIMIT", 1):
            action = (self.a | self.b).action_crm_recompute_profile()
        self.assertEqual(action["tag"], "display_notification")
        self.assertTrue(self.a.crm_profile_dirty and self.b.crm_profile_dirty)
        self.assertTrue(self.c.action_crm_recompute_profile(), "one customer: done at once")
