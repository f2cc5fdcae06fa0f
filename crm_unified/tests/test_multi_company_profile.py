from datetime import timedelta

from odoo.tests import tagged

from .multi_company_common import MC_NOW, MultiCompanyCommon


@tagged("post_install", "-at_install")
class TestProfileCurrencies(MultiCompanyCommon):
    """Issue 14 §1: every amount in one currency, at each document's date rate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "MC Buyer", "is_company": True})
        cls._order(cls.customer, cls.company_a, 1000)  # 1,000 USD
        cls._order(cls.customer, cls.company_a, 100, currency=cls.eur)  # 100 EUR = 200 USD
        cls._order(cls.customer, cls.company_b, 1000)  # 1,000 EUR
        cls._order(cls.customer, cls.company_a, 5000, state="draft")
        cls._order(cls.customer, cls.company_b, 7000, state="cancel")
        cls.customer._crm_recompute_profile()

    def test_revenue_across_companies_and_currencies_is_converted(self):
        customer = self.customer.with_env(self._env_for(self.company_a, self.company_b))
        self.assertEqual(customer.crm_currency_id, self.usd)
        self.assertAlmostEqual(customer.sale_revenue_total, 3200.0)
        self.assertEqual(customer.crm_order_count, 3, "draft and cancelled orders left out")
        self.assertAlmostEqual(customer.average_order_value, 3200.0 / 3, places=2)
        self.assertEqual(customer.open_quotation_count, 1)

    def test_each_company_shows_its_own_figures_in_its_currency(self):
        in_a = self.customer.with_env(self._env_for(self.company_a))
        self.assertAlmostEqual(in_a.sale_revenue_total, 1200.0)
        in_b = self.customer.with_env(self._env_for(self.company_b))
        self.assertEqual(in_b.crm_currency_id, self.eur)
        self.assertAlmostEqual(in_b.sale_revenue_total, 1000.0)
        both_from_b = self.customer.with_env(self._env_for(self.company_b, self.company_a))
        self.assertAlmostEqual(both_from_b.sale_revenue_total, 1600.0, msg="1,000 + 1,200/2 EUR")
        profiles = self.env["crm.partner.profile"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            {(p.company_id, p.currency_id, p.sale_revenue_total) for p in profiles},
            {(self.company_a, self.usd, 1200.0), (self.company_b, self.eur, 1000.0)},
        )

    def test_document_date_rate_is_used(self):
        """A later rate change does not move the value of an earlier order."""
        self.env["res.currency.rate"].create(
            {
                "name": (MC_NOW - timedelta(days=2)).date(),
                "currency_id": self.eur.id,
                "company_id": self.company_a.id,
                "rate": 0.25,  # 1 EUR = 4 USD from two days ago
            }
        )
        late = self._order(self.customer, self.company_a, 10, currency=self.eur, days_ago=1)
        self.assertAlmostEqual(late.currency_rate, 0.25)
        self.customer._crm_recompute_profile()
        in_a = self.customer.with_env(self._env_for(self.company_a))
        self.assertAlmostEqual(in_a.sale_revenue_total, 1240.0, msg="100 EUR at 2, 10 EUR at 4")

    def test_revenue_search_matches_shown_figures(self):
        Partner = self.env["res.partner"]
        both = Partner.with_env(self._env_for(self.company_a, self.company_b))
        only_a = Partner.with_env(self._env_for(self.company_a))
        domain = [("id", "=", self.customer.id), ("sale_revenue_total", ">", 3000)]
        self.assertEqual(both.search(domain), self.customer)
        self.assertFalse(only_a.search(domain))
        self.assertEqual(
            only_a.search([("id", "=", self.customer.id), ("sale_revenue_total", "=", 1200)]),
            self.customer,
        )
        nobody = Partner.create({"name": "MC Nobody"})
        for env_partner in (both, only_a):
            found = env_partner.search(
                [("id", "in", (nobody | self.customer).ids), ("sale_revenue_total", "<", 100)]
            )
            self.assertEqual(found, nobody, "a customer without profile has revenue 0")

    def test_segment_of_a_company_uses_that_company_figures(self):
        Segment = self.env["crm.segment"]
        rule = repr([("id", "=", self.customer.id), ("sale_revenue_total", ">", 1100)])
        in_a = Segment.create({"name": "MC A", "domain": rule, "company_id": self.company_a.id})
        in_b = Segment.create({"name": "MC B", "domain": rule, "company_id": self.company_b.id})
        (in_a | in_b)._refresh_members()
        self.assertEqual(in_a.partner_ids, self.customer, "1,200 USD in A")
        self.assertFalse(in_b.partner_ids, "1,000 EUR in B")


@tagged("post_install", "-at_install")
class TestProfileVisibility(MultiCompanyCommon):
    """Issue 14 §3: no figure reveals records the reader cannot open."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order_b = cls._order(cls.shared_customer, cls.company_b, 4321, days_ago=20)
        cls.env["crm.interaction"].search(
            [("commercial_partner_id", "=", cls.shared_customer.id)]
        ).unlink()
        cls._interaction(cls.shared_customer, cls.company_b, days_ago=3)
        cls._interaction(cls.shared_customer, cls.company_b, days_ago=40)
        cls.shared_customer._crm_recompute_profile()

    def test_salesperson_of_other_company_sees_no_figure(self):
        customer_a = self._as(self.user_a, self.shared_customer)
        self.assertFalse(self._as(self.user_a, self.order_b).has_access("read"))
        self.assertEqual(customer_a.sale_revenue_total, 0)
        self.assertEqual(customer_a.crm_order_count, 0)
        self.assertFalse(customer_a.last_order_date)
        self.assertEqual(customer_a.interaction_count_12m, 0)
        self.assertFalse(customer_a.last_interaction_date)
        self.assertEqual(customer_a.rfm_recency, 0)
        self.assertFalse(customer_a.rfm_label_id)
        self.assertFalse(customer_a.preferred_channel_id)
        self.assertFalse(customer_a.contact_time_histogram)
        self.assertFalse(customer_a.channel_trend_html)
        self.assertFalse(self._as(self.user_a, self.env["crm.partner.profile"]).search([]))
        found = self._as(self.user_a, self.env["res.partner"]).search(
            [("id", "=", self.shared_customer.id), ("sale_revenue_total", ">", 0)]
        )
        self.assertFalse(found, "searching does not reveal the figure either")

    def test_salesperson_of_the_company_sees_its_figures(self):
        customer_b = self._as(self.user_b, self.shared_customer)
        self.assertEqual(customer_b.sale_revenue_total, 4321)
        self.assertEqual(customer_b.crm_currency_id, self.eur)
        self.assertEqual(customer_b.crm_order_count, 1)
        self.assertEqual(customer_b.last_order_date, MC_NOW - timedelta(days=20))
        self.assertEqual(customer_b.interaction_count_12m, 2)
        self.assertEqual(customer_b.preferred_channel_id, self.channel_phone)
        self.assertTrue(customer_b.rfm_recency)
        self.assertIn("Phone", str(customer_b.channel_trend_html))

    def test_rfm_and_segment_membership_per_company(self):
        rule = repr([("id", "=", self.shared_customer.id), ("crm_order_count", ">", 0)])
        Segment = self.env["crm.segment"]
        in_a = Segment.create(
            {"name": "MC buyers A", "domain": rule, "company_id": self.company_a.id}
        )
        in_b = Segment.create(
            {"name": "MC buyers B", "domain": rule, "company_id": self.company_b.id}
        )
        (in_a | in_b)._refresh_members()
        self.assertFalse(in_a.partner_ids)
        self.assertEqual(in_b.partner_ids, self.shared_customer)

    def test_partner_merge_settles_profiles(self):
        """Two customers with a profile in the same company merge into one profile."""
        duplicate = self.env["res.partner"].create(
            {"name": "MC Shared Customer (old)", "is_company": True}
        )
        self._order(duplicate, self.company_b, 79, days_ago=5)
        duplicate._crm_recompute_profile()
        Profile = self.env["crm.partner.profile"]
        self.assertEqual(Profile.search_count([("partner_id", "=", duplicate.id)]), 1)
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((self.shared_customer | duplicate).ids, self.shared_customer)
        self.assertFalse(duplicate.exists())
        self.assertTrue(self.shared_customer.crm_profile_dirty)
        self.shared_customer._crm_recompute_profile()
        profiles = Profile.search([("partner_id", "=", self.shared_customer.id)])
        self.assertEqual(len(profiles), 1, "one profile per customer and company")
        self.assertEqual(profiles.sale_revenue_total, 4400)
        self.assertEqual(profiles.crm_order_count, 2)


@tagged("post_install", "-at_install")
class TestCommercialEntity(MultiCompanyCommon):
    """Issue 14 §2: a customer is its commercial entity, counted once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company = Partner.create(
            {"name": "MC Bakery", "is_company": True, "email": "info@bakery.example.com"}
        )
        cls.buyer = Partner.create(
            {
                "name": "MC Olena (buyer)",
                "parent_id": cls.company.id,
                "function": "Buyer",
                "email": "olena@bakery.example.com",
            }
        )
        cls.invoice_address = Partner.create(
            {
                "name": "MC Accounting",
                "parent_id": cls.company.id,
                "type": "invoice",
                "email": "accounting@bakery.example.com",
            }
        )
        cls.delivery_address = Partner.create(
            {
                "name": "MC Warehouse gate",
                "parent_id": cls.company.id,
                "type": "delivery",
                "email": "gate@bakery.example.com",
            }
        )
        cls.people = cls.company | cls.buyer | cls.invoice_address | cls.delivery_address
        cls._order(cls.buyer, cls.company_a, 1500)
        cls._order(cls.company, cls.company_a, 500)
        cls.company._crm_recompute_profile()
        cls.env = cls._env_for(cls.company_a)

    def _segment(self, rule):
        segment = self.env["crm.segment"].create(
            {"name": "MC revenue", "domain": repr(rule), "company_id": self.company_a.id}
        )
        segment._refresh_members()
        return segment

    def test_figures_belong_to_the_commercial_partner(self):
        profiles = self.env["crm.partner.profile"].search([("partner_id", "in", self.people.ids)])
        self.assertEqual(profiles.partner_id, self.company, "one profile, on the company")
        for person in self.people:
            self.assertEqual(person.sale_revenue_total, 2000, "the card shows the customer's")

    def test_revenue_segment_counts_the_customer_once(self):
        segment = self._segment([("id", "in", self.people.ids), ("sale_revenue_total", ">", 1000)])
        self.assertEqual(segment.member_count, 1)
        self.assertEqual(segment.partner_ids, self.company)

    def test_rule_targeting_a_contact_addresses_that_contact(self):
        segment = self._segment(
            [
                ("id", "in", self.people.ids),
                ("function", "=", "Buyer"),
                ("sale_revenue_total", ">", 1000),
            ]
        )
        self.assertEqual(segment.partner_ids, self.buyer)

    def test_addresses_only_when_the_rule_asks(self):
        segment = self._segment([("parent_id", "=", self.company.id)])
        self.assertEqual(segment.partner_ids, self.buyer, "never the invoice or delivery address")
        segment = self._segment([("parent_id", "=", self.company.id), ("type", "=", "invoice")])
        self.assertEqual(segment.partner_ids, self.invoice_address)
