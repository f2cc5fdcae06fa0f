from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestHistory(SupportCommon):
    def _logs(self, ticket):
        return self.env["crm.interaction"].search(
            [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)], order="id"
        )

    def test_ticket_events_logged_to_customer_history(self):
        ticket = self._create_ticket(user_id=self.user_support.id)
        ticket.message_post(
            body="customer writes",
            author_id=self.customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        ticket.with_user(self.user_support).message_post(
            body="first answer", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        ticket.with_user(self.user_support).message_post(
            body="second answer", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        ticket.message_post(body="internal only", subtype_xmlid="mail.mt_note")
        ticket.stage_id = self.stage_solved
        ticket.rating_apply(5, token=ticket._rating_get_access_token(), feedback="great")
        logs = self._logs(ticket)
        subjects = logs.mapped("subject")
        self.assertEqual(len(logs), 6, subjects)
        self.assertTrue(subjects[0].startswith(f"Ticket {ticket.reference} opened"))
        self.assertIn("Customer message", subjects[1])
        self.assertIn("First answer", subjects[2])
        self.assertIn("Answer on ticket", subjects[3])
        self.assertIn("solved", subjects[4])
        self.assertIn("rated", subjects[5])
        self.assertEqual(logs[5].outcome, "5/5")
        self.assertEqual(
            logs.department_id, self.env.ref("crm_unified.interaction_department_support")
        )
        self.assertEqual(
            logs.mapped("direction"),
            ["inbound", "inbound", "outbound", "outbound", "internal", "inbound"],
        )
        self.assertEqual(set(logs.mapped("res_id")), {ticket.id})

    def test_ticket_event_subjects_read_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        ticket = self._create_ticket()
        ticket.with_context(lang="uk_UA").stage_id = self.stage_solved
        solved = self._logs(ticket).filtered(lambda log: log.capture_event == "support_closed")
        self.assertEqual(solved.subject, f"Звернення {ticket.reference} вирішено: {ticket.name}")
        self.assertEqual(
            solved.with_context(lang="en_US").subject_display,
            f"Ticket {ticket.reference} solved: {ticket.name}",
        )
        opened = self._logs(ticket).filtered(lambda log: log.capture_event == "support_created")
        self.assertEqual(
            opened.with_context(lang="uk_UA").display_name,
            f"Відкрито звернення {ticket.reference}: {ticket.name}",
        )

    def test_partner_support_figures_and_one_click_timeline(self):
        ticket = self._create_ticket()
        self._create_ticket(partner_id=self.customer_colleague.id)
        closed = self._create_ticket()
        closed.stage_id = self.stage_solved
        closed.rating_apply(4, token=closed._rating_get_access_token())
        ticket.sla_failed = True
        self.customer_company.invalidate_recordset()
        self.assertEqual(
            self.customer_company.support_ticket_count, 2, "Open tickets of all contacts"
        )
        self.assertEqual(self.customer.support_ticket_count, 2)
        self.assertEqual(self.customer_company.support_sla_breach_count, 1)
        self.assertEqual(self.customer_company.support_rating_avg, 4.0)
        action = ticket.action_view_customer_history()
        self.assertEqual(action["res_model"], "crm.interaction")
        self.assertIn(("commercial_partner_id", "=", self.customer_company.id), action["domain"])
        tickets_action = self.customer.action_view_support_tickets()
        self.assertEqual(
            self.env["crm.support.ticket"].search(tickets_action["domain"]).commercial_partner_id,
            self.customer_company,
        )

    def test_handoff_ticket_to_opportunity_and_back(self):
        salesperson = self.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sup_sam_sales",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.customer_company.user_id = salesperson
        ticket = self._create_ticket(name="Wants the premium plan")
        action = ticket.action_create_opportunity()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(ticket.lead_id, lead)
        self.assertEqual(lead.support_ticket_ids, ticket)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(
            lead.user_id, salesperson, "The customer's salesperson gets the opportunity"
        )
        # From the opportunity, open a ticket: linked both ways.
        ctx = lead.action_open_support_ticket()["context"]
        with Form(self.env["crm.support.ticket"].with_context(**ctx)) as form:
            form.queue_id = self.queue
        new_ticket = form.record
        self.assertEqual(new_ticket.lead_id, lead)
        self.assertEqual(lead.support_ticket_count, 2)

    def test_handoff_from_sale_order(self):
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        ctx = order.action_open_support_ticket()["context"]
        with Form(self.env["crm.support.ticket"].with_context(**ctx)) as form:
            form.queue_id = self.queue
        ticket = form.record
        self.assertEqual(ticket.sale_order_id, order)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(order.support_ticket_count, 1)

    def test_salesperson_follows_when_queue_says_so(self):
        salesperson = self.env["res.users"].create(
            {
                "name": "Sue Sales",
                "login": "sup_sue_sales",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.customer_company.user_id = salesperson
        ticket = self._create_ticket()
        self.assertNotIn(salesperson.partner_id, ticket.message_partner_ids)
        self.queue.follow_salesperson = True
        ticket = self._create_ticket()
        self.assertIn(salesperson.partner_id, ticket.message_partner_ids)

    def test_stage_template_and_rating_request_on_close(self):
        template = self.env.ref("crm_unified_support.mail_template_ticket_solved")
        self.stage_solved.template_id = template
        ticket = self._create_ticket()
        with self.mock_mail_gateway():
            ticket.stage_id = self.stage_solved
            self.flush_tracking()
        self.assertTrue(ticket.rating_ids, "A rating request was prepared")
        bodies = ticket.message_ids.mapped("body")
        self.assertTrue(any("solved" in (b or "") for b in bodies))

    def test_auto_close_after_notice(self):
        self.queue.auto_close_days = 3
        with freeze_time("2026-03-02 10:00:00"):
            ticket = self._create_ticket()
            ticket.stage_id = self.stage_waiting
        with freeze_time("2026-03-04 10:00:00"):
            self.env["crm.support.ticket"]._cron_auto_close()
        self.assertFalse(ticket.auto_close_notice_date)
        with freeze_time("2026-03-05 11:00:00"):
            self.env["crm.support.ticket"]._cron_auto_close()
        self.assertTrue(ticket.auto_close_notice_date)
        self.assertFalse(ticket.is_closed)
        with freeze_time("2026-03-06 12:00:00"):
            self.env["crm.support.ticket"]._cron_auto_close()
        self.assertTrue(ticket.is_closed)

    def test_support_feeds_engagement_signals(self):
        ticket = self._create_ticket()
        self._create_ticket().sla_failed = True
        ticket.stage_id = self.stage_solved
        ticket.rating_apply(4, token=ticket._rating_get_access_token())
        signals = self.customer._crm_engagement_signals()[self.customer.id]
        self.assertAlmostEqual(signals["support_csat"], 0.8)
        self.assertAlmostEqual(signals["support_sla_experience"], 0.5)
        self.assertNotIn(
            "support_csat",
            self.other_customer._crm_engagement_signals().get(self.other_customer.id, {}),
        )
        weights = self.env["res.partner"]._crm_engagement_signal_weights()
        self.assertEqual(weights["support_csat"], 15)

    def test_time_in_stage_is_tracked(self):
        """Time in stage comes from the platform's tracking-duration mixin
        (it reads the tracking rows' create_date, so the values themselves
        cannot be frozen in a test: we check the stages are accounted)."""
        ticket = self._create_ticket()
        self.flush_tracking()
        ticket.stage_id = self.stage_progress
        self.flush_tracking()
        ticket.invalidate_recordset(["duration_tracking"])
        self.assertEqual(
            set(ticket.duration_tracking), {str(self.stage_new.id), str(self.stage_progress.id)}
        )

    def test_merge_tickets_of_one_customer(self):
        tag = self.env["crm.support.tag"].create({"name": "T merge"})
        first = self._create_ticket(name="first")
        second = self._create_ticket(
            name="second", partner_id=self.customer_colleague.id, tag_ids=[(6, 0, tag.ids)]
        )
        second.message_post(
            body="detail from the second ticket",
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            author_id=self.customer_colleague.id,
        )
        attachment = self.env["ir.attachment"].create(
            {"name": "log.txt", "raw": b"x", "res_model": second._name, "res_id": second.id}
        )
        action = (first | second).with_user(self.user_support).action_merge()
        self.assertEqual(action["res_model"], "crm.support.ticket.merge")
        wizard = (
            self.env["crm.support.ticket.merge"]
            .with_user(self.user_support)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.target_id, first, "the oldest ticket is offered to keep")
        wizard.action_merge()
        self.assertFalse(second.active)
        self.assertEqual(second.parent_id, first)
        self.assertIn(tag, first.tag_ids)
        self.assertEqual(attachment.res_id, first.id)
        self.assertTrue(
            any("detail from the second ticket" in (m.body or "") for m in first.message_ids)
        )
        self.assertIn(self.customer_colleague, first.message_partner_ids)
        self.assertFalse(second.sla_status_ids.filtered(lambda line: not line.reached_date))
        other = self._create_ticket(partner_id=self.other_customer.id)
        with self.assertRaises(UserError):
            (first | other).action_merge()

    def test_split_ticket(self):
        ticket = self._create_ticket(name="Two questions")
        ctx = ticket.action_split()["context"]
        with Form(self.env["crm.support.ticket"].with_context(**ctx)) as form:
            form.name = "Second question"
        split = form.record
        self.assertEqual(split.parent_id, ticket)
        self.assertEqual(split.partner_id, self.customer)
        self.assertEqual(split.queue_id, self.queue)
        self.assertEqual(ticket.child_ids, split)
