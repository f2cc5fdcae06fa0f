import json
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .profile_common import NOW, ProfileCommon


@tagged("post_install", "-at_install")
class TestCustomerCard(ProfileCommon):
    """res.partner.get_customer_card_data: the one RPC of the customer card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_partners(["Card Bakery"], is_company=True, tz="Europe/Kyiv")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Card Baker", "parent_id": cls.customer.id, "company_id": cls.company.id}
        )
        cls.small = cls._create_partners(["Card Kiosk"], is_company=True)
        cls._confirm_orders([(cls.customer, 10, 1200.0), (cls.contact, 400, 800.0)])
        cls.quotation = cls.env["sale.order"].create(
            {"partner_id": cls.contact.id, "company_id": cls.company.id}
        )
        for days in range(6):
            cls._log(cls.contact, "phone", NOW - timedelta(days=7 * days, hours=2))
        cls._log(cls.customer, "email", NOW - timedelta(days=3))
        cls.segment = cls.env["crm.segment"].create(
            {
                "name": "Card Regulars",
                "company_id": cls.company.id,
                "segment_type": "static",
                "partner_ids": [(6, 0, (cls.customer | cls.small).ids)],
            }
        )
        cls.customer._crm_set_consent({"email": "opt_in", "sms": "opt_out"})
        # The newcomer has one of everything, the bakery a longer history.
        cls.small._crm_set_consent({"email": "opt_in"})
        cls._confirm_orders([(cls.small, 5, 10.0)])
        cls._log(cls.small, "email", NOW - timedelta(days=1))
        (cls.customer | cls.small)._crm_recompute_profile()

    def test_contact_card_shows_company_figures(self):
        data = self.contact.get_customer_card_data()
        self.assertEqual(data["partner_id"], self.contact.id)
        self.assertEqual(data["commercial_partner_id"], self.customer.id)
        self.assertAlmostEqual(data["revenue_total"], 2000.0)
        self.assertAlmostEqual(data["revenue_12m"], 1200.0)
        self.assertEqual(data["order_count"], 2)
        self.assertEqual(data["open_quotations"], 1)
        self.assertEqual(data["currency_id"], self.company.currency_id.id)
        self.assertEqual([s["name"] for s in data["segments"]], ["Card Regulars"])
        consents = {c["code"]: c["state"] for c in data["consents"]}
        self.assertEqual(consents, {"email": "opt_in", "sms": "opt_out", "phone": "unknown"})
        self.assertEqual(data["preferred_channel"]["name"], self.channel["phone"].name)
        # The company has no tz of its own here: the card takes the contact's or the company's.
        self.assertEqual(data["tz"], "Europe/Kyiv")
        self.assertTrue(data["best_slots"])
        slot = data["best_slots"][0]
        self.assertTrue(0 <= slot["weekday"] <= 6 and 0 <= slot["hour"] <= 23)

    def test_card_of_a_customer_with_nothing_is_plain_json(self):
        """A customer without label, channel or contact gets False for those
        figures, not an empty recordset that the client shows as a badge."""
        empty = self._create_partners(["Blank Kiosk"], is_company=True)
        empty._crm_recompute_profile()
        data = empty.get_customer_card_data()
        dumped = json.dumps(data)
        self.assertNotIn("()", dumped)
        for key in ("rfm", "preferred_channel", "last_contact", "quiet_hours"):
            self.assertIs(data[key], False, key)
        self.assertIs(data["churn_risk"], False)
        self.assertIs(data["do_not_contact"], False)
        self.assertEqual(data["segments"], [])
        self.assertEqual(data["best_slots"], [])
        charts = empty.get_customer_charts()
        self.assertNotIn("()", json.dumps(charts))
        self.assertEqual(charts["trend"], [])
        self.assertEqual(charts["heatmap"], {})

    def test_card_is_fresh_right_after_logging_a_call(self):
        """A new interaction is counted in the profile at once; the card recomputes the
        document figures of the queued profile and leaves the full recompute (whose
        cost grows with the history) to the background job."""
        wizard = self.env["crm.interaction.log"].create(
            {
                "partner_id": self.small.id,
                "channel_id": self.channel["phone"].id,
                "subject": "Fresh call",
                "date": NOW,
            }
        )
        wizard.action_log()
        data = self.small.get_customer_card_data()
        self.assertEqual(data["last_contact"]["date"], "2026-06-15 12:00:00")
        self.assertEqual(data["last_contact"]["channel"], self.channel["phone"].name)
        self.assertEqual(data["order_count"], 1)
        self.assertTrue(self.small.crm_profile_dirty, "still queued for the background job")
        self.assertTrue(self.small._crm_history_is_current())
        self.small._crm_recompute_profile()
        self.assertEqual(self.small.get_customer_card_data()["last_contact"], data["last_contact"])

    def test_card_query_count_does_not_grow_with_history(self):
        """Same queries for a customer with a long history as for a newcomer, and for
        a contact (who shows the figures of its company)."""

        def count_queries(partner):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            partner.get_customer_card_data()
            return self.cr.sql_log_count - before

        self.small.get_customer_card_data()  # warm the registry caches
        baseline = count_queries(self.small)
        self.assertLessEqual(baseline, 20, "the card reads in a small, fixed number of queries")
        self.env.invalidate_all()
        with self.assertQueryCount(baseline):
            self.customer.get_customer_card_data()
        self.assertLessEqual(count_queries(self.contact), baseline + 3)

    def test_each_figure_opens_its_records(self):
        def records(figure):
            action = self.contact.action_open_customer_card_figure(figure)
            return self.env[action["res_model"]].search(action["domain"])

        self.assertEqual(len(records("orders")), 2)
        self.assertEqual(records("quotations"), self.quotation)
        history = self.env["crm.interaction"].search(
            [("commercial_partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(history), 9)  # 7 logged + 2 captured order confirmations
        self.assertEqual(records("interactions"), history)
        self.assertEqual(records("segments"), self.segment)
        self.assertIn(self.customer, records("rfm"))
        self.assertEqual(records("consents").mapped("state"), ["opt_in", "opt_out"])
        self.assertFalse(records("overdue"))
        with self.assertRaises(UserError):
            self.contact.action_open_customer_card_figure("unlink")

    def test_card_is_for_crm_users_only(self):
        employee = new_test_user(
            self.env, login="card_employee", groups="base.group_user", company_id=self.company.id
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(employee).get_customer_card_data()

    def test_rfm_label_explains_it_ranks_purchases_not_contacts(self):
        """A customer called yesterday can be "Hibernating": the card says why (its last
        order, the scores) and the segment's rule, so the label is not read as contact."""
        data = self.customer.get_customer_card_data()
        label = self.customer.rfm_label_id
        self.assertTrue(label, "the bakery has orders, so it has an RFM label")
        basis, figures, segment = data["rfm"]["explanation"]
        self.assertIn("purchases, not contacts", basis)
        self.assertIn(format_date(self.env, self.customer.last_order_date), figures)
        self.assertIn(f"recency score {self.customer.rfm_recency}", figures)
        self.assertTrue(segment.startswith(f"Segment {label.name}: {label._rule_text()}."))

    def test_rfm_rule_in_words(self):
        rule = {
            xmlid: self.env.ref(f"crm_unified.rfm_label_{xmlid}")._rule_text()
            for xmlid in ("hibernating", "at_risk", "champions", "need_attention")
        }
        self.assertEqual(
            rule,
            {
                "hibernating": "Recency score 1\u20132 · Frequency score 1\u20132",
                "at_risk": "Recency score 1\u20132 · Frequency score 3\u20135",
                "champions": "Recency score 4\u20135 · Frequency score 4\u20135 · "
                "Monetary score 4\u20135",
                "need_attention": "Every customer that no earlier segment took",
            },
        )
