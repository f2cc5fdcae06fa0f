from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """A fresh demo database shows support at work over the past weeks: tickets
    answered, closed, reopened, rated, SLA targets met and failed (support dashboard,
    SLA and ticket analysis, ratings, the agent's own figures)."""

    def test_demo_tickets_over_past_weeks_with_failures_ratings_reopenings(self):
        self.assertTrue(
            self.env["ir.module.module"].search([("name", "=", "crm_unified_support")]).demo,
            "the support tests run on a database installed with demo data",
        )
        now = fields.Datetime.now()
        Ticket = self.env["crm.support.ticket"]
        weeks = Ticket._read_group(
            [("create_date", ">=", now - relativedelta(weeks=11))],
            ["create_date:week"],
            ["__count"],
        )
        self.assertGreaterEqual(len(weeks), 8, "tickets were opened over the past weeks")
        closed = Ticket.search([("is_closed", "=", True), ("close_date", "<", now)])
        self.assertGreater(len(closed), 10)
        self.assertTrue(all(t.close_date > t.create_date for t in closed))
        self.assertGreater(sum(closed.mapped("close_working_hours")), 0)
        Line = self.env["crm.support.ticket.sla"]
        self.assertGreater(Line.search_count([("state", "=", "failed")]), 0)
        self.assertGreater(Line.search_count([("state", "=", "reached_late")]), 0)
        self.assertGreater(Line.search_count([("state", "=", "reached")]), 0)
        ratings = self.env["rating.rating"].search(
            [("res_model", "=", Ticket._name), ("consumed", "=", True), ("rating", ">", 0)]
        )
        self.assertGreater(len(ratings), 5)
        self.assertGreater(len(set(ratings.mapped("rating"))), 2, "good and bad ratings")
        # reopened: the stage went from a closing stage back to an open one
        reopened = self.env["mail.tracking.value"].search_count(
            [
                ("field_id.model", "=", Ticket._name),
                ("field_id.name", "=", "stage_id"),
                ("old_value_integer", "=", self.env.ref("crm_unified_support.stage_solved").id),
            ]
        )
        self.assertGreater(reopened, 0)
        [(failed_count, rating_avg)] = self.env["crm.support.ticket.report"]._read_group(
            [], [], ["sla_failed_count:sum", "rating_avg:avg"]
        )
        self.assertGreater(failed_count, 0)
        self.assertTrue(rating_avg)

    def test_demo_dashboard_and_agent_figures(self):
        queue = self.env.ref("crm_unified_support.queue_customer_care_demo")
        self.assertGreater(queue.open_ticket_count, 0)
        self.assertGreater(queue.sla_failed_ticket_count, 0)
        figures = (
            self.env["crm.support.ticket"]
            .with_user(self.env.ref("base.user_admin"))
            .get_my_support_figures()
        )
        self.assertGreater(figures["open"], 0)
        self.assertGreater(figures["rating_count"], 0)
        self.assertTrue(figures["csat"])
        card = self.env.ref("crm_unified.partner_kvitka_demo").get_customer_card_data()
        self.assertGreater(card["support"]["total"], 0)
        self.assertTrue(card["support"]["rating_avg"])
