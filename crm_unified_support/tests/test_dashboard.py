from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestDashboard(SupportCommon):
    """KPIs of the queue dashboard on a small data set (Tuesday 10 March 2026,
    calendar Mon-Fri 09:00-17:00 UTC, user in UTC).

    Queue "Test Care", SLA policy "High" (priority High or more, first
    response in 4 working hours):

    * t_due: High, unassigned, opened 10:00 -> first-response deadline 14:00 today;
    * t_tomorrow: High, unassigned, opened 16:00 -> deadline Wednesday 12:00;
    * t_failed: Normal, assigned, SLA failed;
    * t_rated_4, t_rated_2: closed, rated 4 and 2 (average 3.0).

    Queue "Second Line": t_other, Normal, unassigned; nothing closed or rated.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.queue_2 = cls.env["crm.support.queue"].create(
            {
                "name": "Second Line",
                "resource_calendar_id": cls.calendar.id,
                "stage_ids": [(6, 0, cls.stages.ids)],
            }
        )
        cls.env["crm.support.sla"].create(
            {
                "name": "High",
                "queue_id": cls.queue.id,
                "priority": "2",
                "first_response_hours": 4,
            }
        )
        cls.env.user.tz = "UTC"

    def _build_data_set(self):
        t_due = self._create_ticket_at(datetime(2026, 3, 10, 10, 0), name="due", priority="2")
        t_tomorrow = self._create_ticket_at(
            datetime(2026, 3, 10, 16, 0), name="tomorrow", priority="2"
        )
        t_failed = self._create_ticket_at(
            datetime(2026, 3, 9, 10, 0), name="failed", user_id=self.user_support.id
        )
        t_failed.sla_failed = True
        rated = self.env["crm.support.ticket"]
        for name, rate in (("rated 4", 4), ("rated 2", 2)):
            ticket = self._create_ticket_at(datetime(2026, 3, 9, 11, 0), name=name)
            with freeze_time("2026-03-10 12:00:00"):
                ticket.stage_id = self.stage_solved
            ticket.rating_apply(rate, token=ticket._rating_get_access_token())
            rated |= ticket
        t_other = self._create_ticket_at(
            datetime(2026, 3, 10, 9, 0), name="other", queue_id=self.queue_2.id
        )
        self.assertEqual(t_due.sla_deadline, datetime(2026, 3, 10, 14, 0))
        self.assertEqual(t_tomorrow.sla_deadline, datetime(2026, 3, 11, 12, 0))
        return t_due, t_tomorrow, t_failed, rated, t_other

    def _count_kpi_queries(self, queues):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        queues._compute_ticket_counts()
        queues._compute_rating_percentage_satisfaction()
        return self.cr.sql_log_count - before

    def test_dashboard_kpis_of_each_queue(self):
        t_due, t_tomorrow, t_failed, _rated, t_other = self._build_data_set()
        queues = self.queue | self.queue_2
        self.env.flush_all()
        with freeze_time("2026-03-10 16:30:00"):
            # One grouped count per KPI plus one for the ratings, for all
            # queues at once: two queues cost what one costs (after a first
            # run that fills the registry caches).
            self._count_kpi_queries(queues)
            self.assertEqual(self._count_kpi_queries(queues), self._count_kpi_queries(self.queue))
            self.assertLessEqual(self._count_kpi_queries(queues), 8)
            kpis = {
                queue: (
                    queue.open_ticket_count,
                    queue.unassigned_ticket_count,
                    queue.sla_failed_ticket_count,
                    queue.due_today_ticket_count,
                    queue.rating_avg,
                    queue.rating_count,
                )
                for queue in queues
            }
            self.assertEqual(kpis[self.queue], (3, 2, 1, 1, 3.0, 2))
            self.assertEqual(kpis[self.queue_2], (1, 1, 0, 0, 0.0, 0))

            Ticket = self.env["crm.support.ticket"]
            expected = {
                "open": t_due | t_tomorrow | t_failed,
                "unassigned": t_due | t_tomorrow,
                "sla_failed": t_failed,
                "due_today": t_due,
            }
            for kpi, tickets in expected.items():
                action = self.queue.with_context(dashboard_kpi=kpi).action_view_tickets()
                self.assertEqual(Ticket.search(action["domain"]), tickets, kpi)
            action = self.queue_2.with_context(dashboard_kpi="unassigned").action_view_tickets()
            self.assertEqual(Ticket.search(action["domain"]), t_other)

    def test_due_today_follows_user_time_zone(self):
        self._build_data_set()
        # 16:30 UTC is 01:30 on Wednesday in Tokyo: t_tomorrow (12:00 UTC
        # Wednesday = 21:00 Tokyo) is due "today", t_due (Tuesday) is not.
        with freeze_time("2026-03-10 16:30:00"):
            queue = self.queue.with_context(tz="Asia/Tokyo")
            queue.invalidate_recordset()
            self.assertEqual(queue.due_today_ticket_count, 1)
            action = queue.with_context(dashboard_kpi="due_today").action_view_tickets()
            self.assertEqual(
                self.env["crm.support.ticket"].search(action["domain"]).name, "tomorrow"
            )

    def test_created_vs_closed_per_day(self):
        self._build_data_set()
        self.env.flush_all()
        groups = self.env["crm.support.ticket.flow.report"]._read_group(
            [("queue_id", "=", self.queue.id)],
            ["date:day"],
            ["created_count:sum", "closed_count:sum", "backlog_change:sum"],
        )
        by_day = {day.date(): (created, closed, change) for day, created, closed, change in groups}
        # 9 March: t_failed and both rated tickets opened; 10 March: t_due and
        # t_tomorrow opened, the two rated tickets closed.
        self.assertEqual(
            by_day,
            {
                datetime(2026, 3, 9).date(): (3, 0, 3),
                datetime(2026, 3, 10).date(): (2, 2, 0),
            },
        )

    def test_flow_report_is_for_managers(self):
        Report = self.env["crm.support.ticket.flow.report"]
        self.assertTrue(Report.with_user(self.user_support_manager).has_access("read"))
        self.assertFalse(Report.with_user(self.user_support).has_access("read"))
        action = self.queue.with_user(self.user_support_manager).action_view_ticket_flow()
        self.assertEqual(action["res_model"], "crm.support.ticket.flow.report")
        self.assertEqual(action["domain"], [("queue_id", "=", self.queue.id)])

    def test_satisfaction_counts_the_period_only(self):
        """Queue ratings come from rating.parent.mixin: the last 30 days by
        default, any period through the ``rating_period_days`` context key."""
        _t_due, _t_tomorrow, _t_failed, rated, _t_other = self._build_data_set()
        old_rating = rated.rating_ids.filtered(lambda r: r.rating == 2)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE rating_rating SET write_date = now() - interval '45 days' WHERE id = %s",
                old_rating.id,
            )
        )
        self.env.invalidate_all()
        self.assertEqual((self.queue.rating_avg, self.queue.rating_count), (4.0, 1))
        self.assertEqual(self.queue.rating_percentage_satisfaction, 100)
        queue = self.queue.with_context(rating_period_days=60)
        self.assertEqual((queue.rating_avg, queue.rating_count), (3.0, 2))
        queue = self.queue.with_context(rating_period_days=0)
        self.assertEqual((queue.rating_avg, queue.rating_count), (3.0, 2), "0 = every rating")
