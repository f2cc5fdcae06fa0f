from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """A fresh demo database shows a year of customer history: the timeline, the
    heatmap, the monthly trend, RFM labels and the churn risk all have something to
    show (the demo data is generated relative to the install date)."""

    def test_demo_history_spans_a_year_of_customer_touches(self):
        self.assertTrue(
            self.env["ir.module.module"].search([("name", "=", "crm_unified")]).demo,
            "the CRM Unified tests run on a database installed with demo data",
        )
        customers = self.env["res.partner"].browse(
            self.env["ir.model.data"]
            .search(
                [
                    ("module", "=", "crm_unified"),
                    ("model", "=", "res.partner"),
                    ("name", "=like", "partner_%_demo"),
                ]
            )
            .mapped("res_id")
        )
        Interaction = self.env["crm.interaction"]
        domain = [
            ("commercial_partner_id", "in", customers.commercial_partner_id.ids),
            *Interaction._crm_customer_touch_domain(),
        ]
        [(first, last, count)] = Interaction._read_group(
            domain, [], ["date:min", "date:max", "__count"]
        )
        now = fields.Datetime.now()
        self.assertGreater(count, 100)
        self.assertLessEqual(last, now, "no customer touch is dated in the future")
        self.assertGreaterEqual(
            relativedelta(last, first).months + 12 * relativedelta(last, first).years, 11
        )
        self.assertGreater(last, now - relativedelta(days=31), "the history reaches today")
        months = Interaction._read_group(domain, ["date:month"], ["__count"])
        self.assertGreaterEqual(len(months), 11, "the monthly trend has a bar almost every month")

    def test_demo_customers_have_profile_rfm_and_churn_risk_at_install(self):
        names = ["kvitka", "dnipro_mills", "lviv_coffee", "spree_kitchen", "sakura_sweets"]
        companies = self.env["res.partner"].browse(
            [self.env.ref(f"crm_unified.partner_{name}_demo").id for name in names]
        )
        for company in companies:
            card = company.get_customer_card_data()
            self.assertTrue(card["rfm"], f"{company.name} has an RFM label on its card")
            self.assertGreater(card["engagement"], 0, company.name)
            self.assertTrue(card["best_slots"], f"{company.name} has a best contact time")
            self.assertTrue(company.contact_time_histogram, company.name)
        # the monthly trend counts the history at its own dates, not at the install date
        profile = self.env["crm.partner.profile"].search(
            [("partner_id", "=", self.env.ref("crm_unified.partner_kvitka_demo").id)], limit=1
        )
        per_month = {}
        for key, count in (profile.interaction_month_counts or {}).items():
            month = key.split(":")[0]
            per_month[month] = per_month.get(month, 0) + count
        self.assertGreaterEqual(len(per_month), 8, per_month)
        self.assertLess(max(per_month.values()), sum(per_month.values()) / 2, per_month)
        silent = self.env.ref("crm_unified.partner_sakura_sweets_demo")
        self.assertTrue(silent.churn_risk, "the silent demo customer is at risk of churn")
        self.assertFalse(self.env.ref("crm_unified.partner_kvitka_demo").churn_risk)
