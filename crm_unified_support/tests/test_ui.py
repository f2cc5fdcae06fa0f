from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestUi(HttpCase, SupportCommon):
    def test_customer_opens_agent_answers_customer_rates(self):
        self.user_portal_carla.password = "sup_portal_carla"
        self.queue.member_ids = [(4, self.env.ref("base.user_admin").id)]
        self.start_tour("/my/tickets", "crm_support_portal_new_ticket", login="sup_portal_carla")
        ticket = self.env["crm.support.ticket"].search(
            [("name", "=", "Tour: the app crashes on start")]
        )
        self.assertEqual(ticket.partner_id, self.customer)

        self.start_tour(
            "/odoo/action-crm_unified_support.crm_support_ticket_action",
            "crm_support_agent_answer",
            login="admin",
        )
        self.assertTrue(
            ticket.first_response_date, "The agent's chatter answer is the first response"
        )

        ticket.stage_id = self.stage_solved
        self.start_tour("/my/tickets", "crm_support_portal_rate", login="sup_portal_carla")
        self.assertEqual(ticket.rating_last_value, 5)
        self.assertEqual(ticket.rating_ids.filtered("consumed").feedback, "Fixed, thank you!")

    def test_dashboard_kpi_opens_its_tickets(self):
        self.queue.member_ids = [(4, self.env.ref("base.user_admin").id)]
        self._create_ticket(name="Tour unassigned ticket")
        self._create_ticket(name="Tour assigned ticket", user_id=self.user_support.id)
        self.start_tour(
            "/odoo/action-crm_unified_support.crm_support_queue_action_dashboard",
            "crm_support_dashboard",
            login="admin",
        )

    def test_customer_card_on_ticket_form(self):
        ticket = self._create_ticket(name="Card printer")
        self._create_ticket(name="Breached printer").sla_failed = True
        closed = self._create_ticket(name="Closed printer")
        closed.stage_id = self.stage_solved
        closed.rating_apply(4, token=closed._rating_get_access_token())
        self.start_tour(
            f"/odoo/action-crm_unified_support.crm_support_ticket_action/{ticket.id}",
            "crm_support_customer_card",
            login="admin",
        )

    def test_sla_countdown_on_kanban_list_and_form(self):
        # A round-the-clock calendar: the tour does not depend on the day and hour it runs.
        self.queue.resource_calendar_id = self.env["resource.calendar"].create(
            {
                "name": "Round the clock",
                "tz": "UTC",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 0,
                            "hour_to": 24,
                            "day_period": "morning",
                        },
                    )
                    for day in range(7)
                ],
            }
        )
        self.queue.member_ids = [(4, self.env.ref("base.user_admin").id)]
        self.env["crm.support.sla"].create(
            {
                "name": "Tour SLA",
                "queue_id": self.queue.id,
                "first_response_hours": 4,
                "resolution_hours": 40,
            }
        )
        self._create_ticket(name="Countdown fresh")
        self._create_ticket_at(fields.Datetime.now() - timedelta(hours=10), name="Countdown late")
        self.start_tour(
            "/odoo/action-crm_unified_support.crm_support_ticket_action",
            "crm_support_sla_countdown",
            login="admin",
        )

    def test_merge_wizard_keeps_the_chosen_ticket(self):
        self.queue.member_ids = [(4, self.env.ref("base.user_admin").id)]
        older = self._create_ticket(name="Merge older")
        newer = self._create_ticket(name="Merge newer")
        self.start_tour(
            "/odoo/action-crm_unified_support.crm_support_ticket_action?view_type=list",
            "crm_support_merge",
            login="admin",
        )
        self.assertFalse(older.active)
        self.assertEqual(older.merged_into_id, newer)
        self.assertTrue(newer.active)

    def test_agent_sees_own_figures_on_dashboard(self):
        agent = self.user_support
        agent.password = agent.login
        self._create_ticket(name="My calm ticket", user_id=agent.id)
        self._create_ticket(name="My breached ticket", user_id=agent.id).sla_failed = True
        self._create_ticket(name="Someone else's ticket", user_id=self.user_support_2.id)
        self.start_tour(
            "/odoo/action-crm_unified_support.crm_support_queue_action_dashboard",
            "crm_support_my_figures",
            login=agent.login,
        )

    def test_support_block_in_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.support_queue_count, self.env["crm.support.queue"].search_count([])
        )
        settings.support_calendar_id = self.calendar
        settings.execute()
        self.assertEqual(self.env.company.resource_calendar_id, self.calendar)
        self.start_tour(
            "/odoo/action-crm_unified.res_config_settings_action",
            "crm_support_settings",
            login="admin",
        )
