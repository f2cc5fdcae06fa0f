from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestReport(SupportCommon):
    def test_analysis_by_queue(self):
        self.env["crm.support.sla"].create(
            {"name": "R", "queue_id": self.queue.id, "first_response_hours": 4}
        )
        ok = self._create_ticket(name="ok")
        late = self._create_ticket(name="late")
        late.sla_failed = True
        ok.stage_id = self.stage_solved
        ok.rating_apply(5, token=ok._rating_get_access_token())
        self.env.flush_all()
        Report = self.env["crm.support.ticket.report"]
        [(nbr, open_count, failed, compliance, rating)] = Report._read_group(
            [("queue_id", "=", self.queue.id)],
            [],
            [
                "nbr:sum",
                "open_count:sum",
                "sla_failed_count:sum",
                "sla_compliance:avg",
                "rating_avg:avg",
            ],
        )
        self.assertEqual(nbr, 2)
        self.assertEqual(open_count, 1)
        self.assertEqual(failed, 1)
        self.assertAlmostEqual(compliance, 50.0)
        self.assertAlmostEqual(rating, 5.0)
        self.assertFalse(
            Report.with_user(self.user_support_manager).search(
                [("queue_id", "=", self.queue.id), ("company_id", "!=", self.queue.company_id.id)]
            )
        )
