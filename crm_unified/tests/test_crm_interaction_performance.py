from odoo.tests import new_test_user, tagged, users
from odoo.tools import SQL

from .crm_interaction_common import CrmInteractionCommon

# The fields the timeline list view asks for (see crm_interaction_view_list).
LIST_SPECIFICATION = {
    "date": {},
    "partner_id": {"fields": {"display_name": {}}},
    "channel_id": {"fields": {"display_name": {}}},
    "direction": {},
    "department_id": {"fields": {"display_name": {}}},
    "subject": {},
    "outcome": {},
    "user_id": {"fields": {"display_name": {}}},
    "res_model": {},
    "res_id": {},
}


@tagged("post_install", "-at_install")
class TestCrmInteractionPerformance(CrmInteractionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(cls.env, login="hist_perf", groups="crm_unified.group_user")
        cls.big_customer = cls.env["res.partner"].create({"name": "Big Co", "is_company": True})
        cls.mid_customer = cls.env["res.partner"].create({"name": "Mid Co", "is_company": True})
        cls.small_customer = cls.env["res.partner"].create({"name": "Small Co", "is_company": True})
        cls._insert_interactions(cls.big_customer, 10_000)
        cls._insert_interactions(cls.mid_customer, 100)
        cls._insert_interactions(cls.small_customer, 10)

    @classmethod
    def _insert_interactions(cls, partner, count):
        """Insert `count` interactions with one SQL statement (fast fixture)."""
        cls.env.flush_all()
        channels = (cls.channel_phone | cls.channel_email).ids
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_interaction (
                    partner_id, commercial_partner_id, date, channel_id, direction, subject,
                    department_id, user_id, source, company_id,
                    create_uid, create_date, write_uid, write_date)
                SELECT %(partner)s, %(partner)s, now() - n * interval '1 hour',
                       (%(channels)s::int[])[1 + mod(n, 2)], 'outbound', 'Interaction ' || n,
                       %(department)s, %(user)s, 'import', %(company)s,
                       %(user)s, now(), %(user)s, now()
                  FROM generate_series(1, %(count)s) AS n
                """,
                partner=partner.id,
                channels=channels,
                department=cls.department_sales.id,
                user=cls.env.user.id,
                company=cls.env.company.id,
                count=count,
            )
        )
        cls.env.invalidate_all()

    def _reset_cache(self):
        """Empty the cache but keep the current user loaded, as after a request's authentication."""
        self.env.cr.flush()  # flush and run the pending precommit hooks (bus notifications)
        self.env.invalidate_all()
        self.env.user.read(["login", "partner_id", "company_id", "company_ids"])

    def _load_first_page(self, partner):
        return self.env["crm.interaction"].web_search_read(
            [("commercial_partner_id", "=", partner.id)], LIST_SPECIFICATION, limit=80
        )

    @users("hist_perf")
    def test_first_page_query_count_independent_of_history_size(self):
        # Warm the caches (rules, ormcache, prefetch of channels and users).
        for partner in (self.small_customer, self.mid_customer, self.big_customer):
            self._load_first_page(partner)
        self._reset_cache()
        # search_fetch (2), partner, channel, department, user and its partner, count.
        with self.assertQueryCount(hist_perf=8):
            result = self._load_first_page(self.big_customer)
        self.assertEqual(len(result["records"]), 80)
        self.assertEqual(result["length"], 10_000)
        self.assertEqual(result["records"][0]["subject"], "Interaction 1", "newest first")
        self._reset_cache()
        with self.assertQueryCount(hist_perf=8):
            result = self._load_first_page(self.mid_customer)
        self.assertEqual(result["length"], 100)
        self._reset_cache()
        # A page that is not full needs no count query: one query less.
        with self.assertQueryCount(hist_perf=7):
            result = self._load_first_page(self.small_customer)
        self.assertEqual(result["length"], 10)

    @users("hist_perf")
    def test_customer_360_tab_query_count_independent_of_history_size(self):
        partners = self.env["res.partner"].browse(self.big_customer.id)
        # Warm the caches (and check both tabs have something to show).
        self.assertTrue(partners.latest_interaction_ids)
        self.assertTrue(
            self.env["res.partner"].browse(self.small_customer.id).latest_interaction_ids
        )
        self._reset_cache()
        with self.assertQueryCount(hist_perf=2):
            self.assertEqual(len(partners.latest_interaction_ids), 10)
        self._reset_cache()
        small = self.env["res.partner"].browse(self.small_customer.id)
        with self.assertQueryCount(hist_perf=2):
            self.assertEqual(len(small.latest_interaction_ids), 10)

    @users("hist_perf")
    def test_latest_interactions_of_a_batch_are_each_customers_newest(self):
        customers = (self.big_customer | self.mid_customer | self.small_customer).with_env(self.env)
        Interaction = self.env["crm.interaction"]
        expected = {
            customer: Interaction.search(
                [("commercial_partner_id", "=", customer.id)], limit=10
            ).ids
            for customer in customers
        }
        self._reset_cache()
        for customer in customers:
            self.assertEqual(customer.latest_interaction_ids.ids, expected[customer])

    def test_latest_interactions_read_from_the_index_not_the_whole_history(self):
        """The newest rows come from the (customer, date, id) index: no sort of 10,000 rows."""
        self.env.flush_all()
        self.env.cr.execute("ANALYZE crm_interaction")
        plan = self.env.execute_query(
            SQL(
                "EXPLAIN (FORMAT JSON) SELECT id FROM crm_interaction "
                "WHERE commercial_partner_id = %s ORDER BY date DESC, id DESC LIMIT 10",
                self.big_customer.id,
            )
        )[0][0]
        # The planner may also walk the date index when one customer owns most rows:
        # either way, no node sorts the customer's whole history.
        self.assertNotIn("'Node Type': 'Sort'", str(plan))
        index = self.env.execute_query(
            SQL(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                "crm_interaction_commercial_partner_date_rules_index",
            )
        )
        self.assertIn("(commercial_partner_id, date DESC, id DESC)", index[0][0])
        # The record rules' columns are in the index: counting what a user may see
        # needs no visit of the rows.
        self.assertIn("INCLUDE (company_id, confidential, department_id)", index[0][0])
