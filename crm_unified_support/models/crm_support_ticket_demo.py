from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

# What happened to the demo tickets, cycled ticket by ticket:
# (first response after N working-day hours or None, outcome, rating or None).
# "late_response" misses the first-response target, "late_close" the resolution
# target, "reopened" is closed, reopened by the customer and closed again,
# "forgotten" stays open without an answer until its targets fail.
DEMO_STORIES = (
    (1, "closed", 5),
    (2, "closed", 4),
    (1, "reopened", 4),
    (30, "late_response", 2),
    (3, "closed", 5),
    (2, "late_close", 1),
    (1, "closed", 3),
    (None, "forgotten", None),
    (4, "closed", None),
    (2, "closed", 5),
)
DEMO_SUBJECTS = (
    ("Order arrived incomplete", "ticket_type_incident_demo"),
    ("How do I change my delivery address?", "ticket_type_question_demo"),
    ("Invoice shows the wrong VAT number", "ticket_type_billing_demo"),
    ("Oven thermometer reads 20 degrees too high", "ticket_type_incident_demo"),
    ("Can we pay in two instalments?", "ticket_type_billing_demo"),
    ("Flour bags arrived wet", "ticket_type_incident_demo"),
    ("Which flour suits sourdough?", "ticket_type_question_demo"),
    ("Portal password does not work", "ticket_type_incident_demo"),
)
DEMO_FEEDBACK = {
    1: "Two weeks without a solution.",
    2: "The answer came late.",
    5: "Quick and friendly, thank you!",
}


class CrmSupportTicket(models.Model):
    _inherit = "crm.support.ticket"

    @api.model
    def _demo_generate_history(self, partner_ids, weeks=10, count=40):
        """Demo data only: tickets of the past weeks, lived through the real hooks.

        Each step (creation, agent answer, customer message, closing, reopening,
        rating, SLA escalation) runs through the same methods as in production and
        what it wrote (messages, customer history, rating) is then given the step's
        past date; SLA clocks start at the ticket's past creation, so the policies'
        working-hours calendar decides what was met and what failed.

        :param partner_ids: customers (contacts) the tickets come from, cycled
        :param weeks: the tickets are spread over this many past weeks
        :param count: number of tickets
        :return: the tickets
        """
        partners = self.env["res.partner"].browse(partner_ids).exists()
        if not partners:
            return self.browse()
        # the notices of the story (assignment, answers, closing, rating requests) go to the
        # mail queue instead of being sent one by one while the demo data loads
        self = self.with_context(mail_notify_force_send=False)
        care = self.env.ref("crm_unified_support.queue_customer_care_demo")
        billing = self.env.ref("crm_unified_support.queue_billing_demo")
        agents = self.env.ref("base.user_admin") | self.env.ref("base.user_demo")
        now = fields.Datetime.now().replace(microsecond=0)
        tickets = self.browse()
        for index in range(count):
            partner = partners[index % len(partners)]
            subject, type_xmlid = DEMO_SUBJECTS[index % len(DEMO_SUBJECTS)]
            ticket_type = self.env.ref(f"crm_unified_support.{type_xmlid}")
            queue = billing if ticket_type.skill_ids.name == "Billing" else care
            agent = agents[index % len(agents)] if queue == care else agents[:1]
            # oldest first, at a working hour of the customer's own clock
            days_ago = 2 + (weeks * 7 - 3) * (count - 1 - index) // max(count - 1, 1)
            created = self._demo_local_moment(partner, now, days_ago, 8 + index % 8)
            ticket = self._demo_step(
                created,
                lambda vals=None: self.create(vals),
                {
                    "name": subject,
                    "queue_id": queue.id,
                    "partner_id": partner.id,
                    "type_id": ticket_type.id,
                    "user_id": agent.id,
                    "priority": str(index % 3),
                },
            )
            self._demo_backdate_creation(ticket, created)
            ticket._demo_live_story(DEMO_STORIES[index % len(DEMO_STORIES)], created, now)
            tickets |= ticket
        tickets._recompute_working_durations()
        # Demo records carry xml ids, so that uninstalling the addon deletes these tickets
        # before the demo queues and stages they point to (Odoo deletes by xml id first).
        self.env["ir.model.data"].create(
            [
                {
                    "module": "crm_unified_support",
                    "name": f"ticket_history_{number:02d}_demo",
                    "model": self._name,
                    "res_id": ticket.id,
                    "noupdate": True,
                }
                for number, ticket in enumerate(tickets, 1)
            ]
        )
        self.env.flush_all()
        # the history rows were dated after they were counted in the profiles
        tickets.partner_id._crm_mark_profile_dirty()
        return tickets

    @api.model
    def _demo_local_moment(self, partner, now, days_ago, hour):
        """Naive UTC moment ``days_ago`` days before ``now`` at ``hour`` of the
        customer's time zone, moved back to the Friday before a weekend."""
        day = (now - timedelta(days=days_ago)).date()
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        tz = pytz.timezone(partner.tz or partner.commercial_partner_id.tz or "UTC")
        moment = tz.localize(datetime.combine(day, time(hour, 0))).astimezone(pytz.utc)
        return min(moment.replace(tzinfo=None), now - timedelta(hours=1))

    @api.model
    def _demo_step(self, when, action, *args):
        """Run ``action(*args)`` and date what it wrote on tickets at ``when``
        (messages, customer history rows, ratings): the step happened then.

        :return: what ``action`` returned
        """
        self.env.flush_all()
        marks = {
            table: self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM %s", SQL(table)))[
                0
            ][0]
            for table in ("mail_message", "crm_interaction", "rating_rating")
        }
        result = action(*args)
        self.env.flush_all()
        # sudo: demo loading dates its own freshly written records
        self.env["mail.message"].sudo().search(
            [("id", ">", marks["mail_message"]), ("model", "=", self._name)]
        ).write({"date": when})
        self.env["crm.interaction"].sudo().search(
            [("id", ">", marks["crm_interaction"]), ("res_model", "=", self._name)]
        ).write({"date": when})
        ratings = (
            self.env["rating.rating"]
            .sudo()
            .search([("id", ">", marks["rating_rating"]), ("res_model", "=", self._name)])
        )
        if ratings:
            self.env.flush_all()
            self.env.execute_query(
                SQL(
                    "UPDATE rating_rating SET create_date = %s, write_date = %s WHERE id IN %s",
                    when,
                    when,
                    tuple(ratings.ids),
                )
            )
            ratings.invalidate_recordset(["create_date", "write_date"])
        return result

    def _demo_backdate_creation(self, ticket, created):
        """The ticket and its SLA clocks start at ``created`` (create_date is
        written by the ORM at the real creation)."""
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE crm_support_ticket SET create_date = %s, date_last_stage_update = %s,"
                " date_assign = CASE WHEN date_assign IS NULL THEN NULL ELSE %s END"
                " WHERE id = %s",
                created,
                created,
                created,
                ticket.id,
            )
        )
        ticket.invalidate_recordset(["create_date", "date_last_stage_update", "date_assign"])
        # sudo: SLA lines are system records; the clocks follow the queue calendar
        ticket.sla_status_ids.sudo().write({"start_date": created})

    def _demo_live_story(self, story, created, now):
        """Play one ticket's story from ``created`` on, each step at its past date."""
        self.ensure_one()
        response_hours, outcome, rating = story
        solved = self.env.ref("crm_unified_support.stage_solved")
        in_progress = self.env.ref("crm_unified_support.stage_in_progress")
        agent = self.user_id.partner_id
        customer = self.partner_id
        recent = (now - created).days < 4
        if response_hours is None or created + timedelta(hours=response_hours) >= now:
            self._demo_escalate(now)
            return
        responded = created + timedelta(hours=response_hours)
        self._demo_step(responded, self._demo_post, agent, "answer", responded)
        self._demo_step(responded, self.write, {"stage_id": in_progress.id})
        if recent:
            return
        close_days = 6 if outcome == "late_close" else 1 + response_hours % 3
        closed = min(created + timedelta(days=close_days), now - timedelta(hours=2))
        self._demo_close(closed, solved)
        if outcome == "reopened":
            reopened = min(closed + timedelta(days=1), now - timedelta(hours=1))
            self._demo_step(reopened, self._demo_post, customer, "reopen", reopened)
            self._demo_step(reopened, self.write, {"stage_id": in_progress.id})
            closed = min(reopened + timedelta(hours=4), now)
            self._demo_step(closed, self._demo_post, agent, "fixed", closed)
            self._demo_close(closed, solved)
        if rating and self.use_rating:
            token = self.rating_ids.filtered(lambda r: not r.consumed)[:1].access_token
            if token:
                rated = min(closed + timedelta(hours=5), now)
                self._demo_step(
                    rated,
                    self.rating_apply,
                    rating,
                    token,
                    None,
                    DEMO_FEEDBACK.get(rating),
                )
                # the rating request was made at closing: date its answer too
                self.env.flush_all()
                self.env.execute_query(
                    SQL(
                        "UPDATE rating_rating SET write_date = %s WHERE access_token = %s",
                        rated,
                        token,
                    )
                )
                self.rating_ids.invalidate_recordset(["write_date"])
        self._demo_escalate(now)

    def _demo_close(self, closed, solved):
        # The resolution target is reached when the agent closes the ticket, at
        # that past moment; the stage change then stamps the closing time.
        self._demo_step(closed, self._demo_solve, closed, solved)
        self._set_close_date(closed)
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE crm_support_ticket SET date_last_stage_update = %s WHERE id = %s",
                closed,
                self.id,
            )
        )
        self.invalidate_recordset(["date_last_stage_update"])

    def _demo_solve(self, closed, solved):
        # sudo: SLA lines are system records.
        self.sla_status_ids.sudo()._reach(("resolution", "next_reply"), closed)
        self.write({"stage_id": solved.id})

    def _demo_escalate(self, now):
        """Fail the targets whose deadline passed, as the escalation job would
        have done at the deadline."""
        # sudo: SLA lines are system records.
        lines = self.sla_status_ids.sudo().filtered(
            lambda line: (
                line.state == "ongoing"
                and not line.reached_date
                and line.deadline
                and line.deadline <= now
            )
        )
        for line in lines.sorted("deadline"):
            self._demo_step(
                line.deadline,
                lambda line=line: line.with_context(mail_notify_force_send=False)._escalate(now),
            )

    def _demo_post(self, author, kind, when):
        texts = {
            "answer": "Thank you for your message: we are looking into it and come back to "
            "you shortly.",
            "reopen": "The problem is back since this morning, could you have another look?",
            "fixed": "We replaced the faulty part: it should work again now.",
        }
        return self.message_post(
            body=texts[kind],
            author_id=author.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            date=when,
        )
