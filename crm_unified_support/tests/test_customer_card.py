from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSupportCustomerCard(SupportCommon):
    """Support adds open tickets, SLA breaches and satisfaction to the customer card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.open_ticket = cls._create_ticket()
        cls.breached = cls._create_ticket(partner_id=cls.customer_colleague.id)
        cls.breached.sla_failed = True
        cls.closed = cls._create_ticket()
        cls.closed.stage_id = cls.stage_solved
        cls.closed.rating_apply(4, token=cls.closed._rating_get_access_token())
        (cls.customer_company | cls.other_customer)._crm_recompute_profile()

    def test_card_has_support_figures_of_the_whole_company(self):
        data = self.customer.get_customer_card_data()
        self.assertEqual(data["support"], {"open": 2, "total": 3, "breaches": 1, "rating_avg": 4.0})
        data = self.other_customer.get_customer_card_data()
        self.assertEqual(
            data["support"], {"open": 0, "total": 0, "breaches": 0, "rating_avg": None}
        )

    def test_support_figures_open_their_records(self):
        def records(figure):
            action = self.customer.action_open_customer_card_figure(figure)
            return (
                self.env[action["res_model"]]
                .with_context(active_test=False)
                .search(action["domain"])
            )

        self.assertEqual(records("tickets"), self.open_ticket | self.breached | self.closed)
        self.assertEqual(records("sla_breaches"), self.breached)
        self.assertEqual(records("ratings").mapped("rating"), [4.0])

    def test_card_query_count_does_not_grow_with_tickets(self):
        def count_queries(partner):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            partner.get_customer_card_data()
            return self.cr.sql_log_count - before

        self.customer.get_customer_card_data()
        baseline = count_queries(self.customer)
        for _i in range(5):
            self._create_ticket().sla_failed = True
        self.customer_company._crm_recompute_profile()
        self.env.invalidate_all()
        with self.assertQueryCount(baseline):
            self.customer.get_customer_card_data()
