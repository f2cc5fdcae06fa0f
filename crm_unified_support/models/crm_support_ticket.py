import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.mail import email_normalize, email_normalize_all, email_split_tuples

_logger = logging.getLogger(__name__)

TICKET_PRIORITIES = [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")]
# Changing one of these may change which SLA policies apply to a ticket.
SLA_TRIGGER_FIELDS = {"priority", "queue_id", "type_id", "tag_ids", "partner_id"}


class CrmSupportTicket(models.Model):
    _name = "crm.support.ticket"
    _description = "Support Ticket"
    _inherit = [
        "mail.thread.cc",
        "mail.activity.mixin",
        "mail.tracking.duration.mixin",
        "portal.mixin",
        "rating.mixin",
        "utm.mixin",
    ]
    _order = "priority desc, id desc"
    _primary_email = "partner_email"
    # Department of the interactions logged from a ticket (crm.interaction.log).
    _crm_interaction_department = "support"
    # Copies of the customer's data found and erased by the privacy lookup (crm_unified).
    _crm_privacy_fields = {"partner_email": "email", "partner_phone": "phone"}
    # Time spent in each stage, from the stage tracking (platform mixin).
    _track_duration_field = "stage_id"
    _check_company_auto = True
    _rec_names_search = ["name", "reference"]
    # Portal customers who can read a ticket may answer in its chatter.
    _mail_post_access = "read"

    def _default_queue_id(self):
        queue_id = self.env.context.get("default_queue_id")
        if queue_id:
            return self.env["crm.support.queue"].browse(queue_id)
        queues = self.env["crm.support.queue"].search(
            [("company_id", "in", self.env.companies.ids)], order="sequence, id"
        )
        return queues.filtered(lambda q: self.env.user in q.member_ids)[:1] or queues[:1]

    name = fields.Char(string="Subject", required=True, tracking=True)
    reference = fields.Char(readonly=True, copy=False, index="btree_not_null", default="/")
    description = fields.Html(sanitize_style=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    queue_id = fields.Many2one(
        "crm.support.queue",
        required=True,
        index=True,
        tracking=True,
        default=_default_queue_id,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company",
        related="queue_id.company_id",
        store=True,
        index=True,
        precompute=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", index=True, tracking=True, check_company=True
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        related="partner_id.commercial_partner_id",
        string="Customer Company",
        store=True,
        index=True,
    )
    partner_email = fields.Char(
        string="Email",
        compute="_compute_partner_contact",
        store=True,
        readonly=False,
        precompute=True,
    )
    partner_phone = fields.Char(
        string="Phone",
        compute="_compute_partner_contact",
        store=True,
        readonly=False,
        precompute=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        index=True,
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    date_assign = fields.Datetime(string="Assigned on", readonly=True, copy=False)
    stage_id = fields.Many2one(
        "crm.support.stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
        domain="[('queue_ids', 'in', queue_id)]",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True, index=True)
    date_last_stage_update = fields.Datetime(
        string="Last Stage Update", default=fields.Datetime.now, readonly=True, copy=False
    )
    close_date = fields.Datetime(string="Closed on", readonly=True, copy=False)
    priority = fields.Selection(TICKET_PRIORITIES, default="1", required=True, tracking=True)
    type_id = fields.Many2one("crm.support.ticket.type", tracking=True)
    tag_ids = fields.Many2many("crm.support.tag", string="Tags")
    sale_order_id = fields.Many2one("sale.order", check_company=True, index="btree_not_null")
    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        check_company=True,
        index="btree_not_null",
        copy=False,
        help="Sales opportunity created from this ticket, or the one this ticket was opened from.",
    )
    channel_id = fields.Many2one(
        "crm.interaction.channel",
        string="Received via",
        # An id from the cached xmlid lookup: no query per new ticket.
        default=lambda self: self.env["ir.model.data"]._xmlid_to_res_id(
            "crm_unified.interaction_channel_phone", raise_if_not_found=False
        ),
    )
    parent_id = fields.Many2one(
        "crm.support.ticket",
        check_company=True,
        string="Follow-up of",
        index="btree_not_null",
        copy=False,
        help="Closed ticket the customer wrote back to after the reopen grace period.",
    )
    child_ids = fields.One2many("crm.support.ticket", "parent_id", string="Follow-up Tickets")
    merged_into_id = fields.Many2one(
        "crm.support.ticket",
        check_company=True,
        string="Merged into",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The ticket this one was merged into; the customer still sees this one on the "
        "portal, pointing there.",
    )
    first_response_date = fields.Datetime(readonly=True, copy=False)
    first_response_working_hours = fields.Float(
        string="Working Hours to First Response",
        compute="_compute_working_durations",
        store=True,
        copy=False,
        aggregator="avg",
        help="Working hours of the queue's calendar (holidays excluded) from creation to "
        "the first agent answer.",
    )
    close_working_hours = fields.Float(
        string="Working Hours to Close",
        compute="_compute_working_durations",
        store=True,
        copy=False,
        aggregator="avg",
        help="Working hours of the queue's calendar (holidays excluded) from creation to "
        "closing; 0 while open.",
    )
    last_customer_message_date = fields.Datetime(readonly=True, copy=False)
    auto_close_notice_date = fields.Datetime(
        readonly=True, copy=False, help="When the customer was told the ticket will auto-close."
    )
    sla_status_ids = fields.One2many(
        "crm.support.ticket.sla", "ticket_id", string="SLA Status", copy=False
    )
    sla_deadline = fields.Datetime(
        string="SLA Deadline", compute="_compute_sla_summary", store=True, index=True
    )
    sla_failed = fields.Boolean(
        string="SLA Failed", compute="_compute_sla_summary", store=True, index=True
    )
    use_rating = fields.Boolean(related="queue_id.use_rating")
    allow_portal_close = fields.Boolean(related="queue_id.allow_portal_close")

    # ---- Compute methods ----

    @api.depends("partner_id")
    def _compute_partner_contact(self):
        for ticket in self:
            if ticket.partner_id.email:
                ticket.partner_email = ticket.partner_id.email
            if ticket.partner_id.phone or ticket.partner_id.mobile:
                ticket.partner_phone = ticket.partner_id.phone or ticket.partner_id.mobile

    @api.depends("queue_id")
    def _compute_stage_id(self):
        for ticket in self:
            if not ticket.queue_id:
                ticket.stage_id = False
            elif not ticket.stage_id or ticket.stage_id not in ticket.queue_id.stage_ids:
                ticket.stage_id = ticket.queue_id.stage_ids.filtered(lambda s: not s.is_closed)[:1]

    @api.depends("sla_status_ids.deadline", "sla_status_ids.state")
    def _compute_sla_summary(self):
        for ticket in self:
            lines = ticket.sla_status_ids
            open_lines = lines.filtered(lambda line: line.state in ("ongoing", "failed"))
            deadlines = [line.deadline for line in open_lines if line.deadline]
            ticket.sla_deadline = min(deadlines) if deadlines else False
            ticket.sla_failed = any(line.state in ("failed", "reached_late") for line in lines)

    @api.depends(
        "create_date",
        "first_response_date",
        "close_date",
        "queue_id.resource_calendar_id",
        "queue_id.company_id",
    )
    def _compute_working_durations(self):
        """Both durations of the batch from one working-interval computation
        per calendar; recomputed too when the calendar's working hours or
        holidays change (see ``crm.support.ticket.sla._sla_follow_calendars``)."""
        requests = []
        for ticket in self:
            calendar = ticket.queue_id.resource_calendar_id
            company = ticket.queue_id.company_id
            for end in (ticket.first_response_date, ticket.close_date):
                start = min(ticket.create_date or end, end) if end else False
                requests.append((calendar, company, start, end))
        hours = iter(self.env["resource.calendar"]._support_hours_between(requests))
        for ticket in self:
            ticket.first_response_working_hours = next(hours)
            ticket.close_working_hours = next(hours)

    def _recompute_working_durations(self):
        """Compute the working-hours durations again at the next flush."""
        for fname in ("first_response_working_hours", "close_working_hours"):
            self.env.add_to_compute(self._fields[fname], self)

    def _compute_access_url(self):  # pylint: disable=missing-return
        # compute methods return nothing: there is no result of super() to pass on
        super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"

    def _compute_display_name(self):
        for ticket in self:
            if ticket.reference and ticket.reference != "/":
                ticket.display_name = f"{ticket.reference} {ticket.name or ''}".strip()
            else:
                ticket.display_name = ticket.name or ""

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        queue_id = self.env.context.get("default_queue_id")
        if not queue_id:
            return stages
        return self.env["crm.support.stage"].search(
            ["|", ("id", "in", stages.ids), ("queue_ids", "in", [queue_id])]
        )

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        queues = self.env["crm.support.queue"].browse(
            [vals["queue_id"] for vals in vals_list if vals.get("queue_id")]
        )
        company_by_queue = {queue.id: queue.company_id for queue in queues}
        needing = defaultdict(list)
        for vals in vals_list:
            if vals.get("reference", "/") == "/":
                company = company_by_queue.get(vals.get("queue_id"), self.env.company)
                needing[company].append(vals)
            vals.setdefault("date_last_stage_update", now)
        for company, company_vals in needing.items():
            references = self._next_references(company, len(company_vals))
            for vals, reference in zip(company_vals, references, strict=True):
                vals["reference"] = reference
        # mail.thread subscribes each new ticket on its own (queue followers, assigned
        # agent: three queries per ticket); they are subscribed here by groups of
        # tickets sharing the same queue and agent instead.
        tickets = (
            super(CrmSupportTicket, self.with_context(crm_support_grouped_auto_subscribe=True))
            .create(vals_list)
            .with_env(self.env)
        )
        tickets._auto_subscribe_grouped(vals_list)
        tickets._subscribe_salespersons()
        tickets._sla_apply()
        tickets.filtered("is_closed")._set_close_date(now)
        if not self._is_machine_message():
            tickets._log_support_event("created")
        return tickets

    def _message_auto_subscribe(self, updated_values, followers_existing_policy="skip"):
        if self.env.context.get("crm_support_grouped_auto_subscribe"):
            return True  # done for the whole batch by _auto_subscribe_grouped after create
        return super()._message_auto_subscribe(
            updated_values, followers_existing_policy=followers_existing_policy
        )

    def _auto_subscribe_grouped_fields(self):
        """Create values that decide the auto-subscription of a new ticket.

        mail.thread reads the fields linking to a parent whose followers' subtypes
        propagate (the queue) and ``user_id`` (the assigned agent follows); an
        override of ``_message_auto_subscribe_followers`` reading other values adds
        them here.

        :return: list of field names
        """
        relation = self.env["mail.message.subtype"]._get_auto_subscription_subtypes(self._name)[4]
        return sorted({fname for fnames in relation.values() for fname in fnames} | {"user_id"})

    def _auto_subscribe_grouped(self, vals_list):
        """Auto-subscribe new tickets as mail.thread's create does, one call per group
        of tickets whose deciding values (see _auto_subscribe_grouped_fields) are equal:
        the follower queries grow with the number of queues and agents, not tickets.

        :param vals_list: the create values, in the order of ``self``
        """
        key_fields = self._auto_subscribe_grouped_fields()
        defaults = {
            key[8:]: value for key, value in self.env.context.items() if key.startswith("default_")
        }
        groups = defaultdict(list)
        for ticket, vals in zip(self, vals_list, strict=True):
            values = {**defaults, **vals}
            key = tuple(repr(values.get(fname)) for fname in key_fields)
            groups[key].append((ticket.id, values))
        for members in groups.values():
            self.browse([ticket_id for ticket_id, _values in members])._message_auto_subscribe(
                members[0][1], followers_existing_policy="update"
            )

    @api.model
    def _next_references(self, company, count):
        """``count`` ticket references of the company's ticket sequence, as
        ``ir.sequence.next_by_code`` would give them one by one, but with one
        query for all the numbers of a standard (gap-allowed) sequence.

        :return: list of ``count`` strings ("/" when the company has no sequence)
        """
        Sequence = self.env["ir.sequence"].with_company(company)
        Sequence.check_access("read")
        sequence = Sequence.search(
            [("code", "=", "crm.support.ticket"), ("company_id", "in", [company.id, False])],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return ["/"] * count
        date = self.env.context.get("ir_sequence_date", fields.Date.today())
        if sequence.implementation != "standard":
            return [sequence._next(sequence_date=date) for _i in range(count)]
        pg_name = f"ir_sequence_{sequence.id:03d}"
        formatter = sequence.with_context(ir_sequence_date=date)
        if sequence.use_date_range:
            date_range = sequence._get_current_sequence(sequence_date=date)
            pg_name = f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}"
            formatter = formatter.with_context(ir_sequence_date_range=date_range.date_from)
        self.env.cr.execute(SQL("SELECT nextval(%s) FROM generate_series(1, %s)", pg_name, count))
        numbers = sorted(row[0] for row in self.env.cr.fetchall())
        return [formatter.get_next_char(number) for number in numbers]

    def write(self, vals):
        if "stage_id" in vals:
            vals.setdefault("date_last_stage_update", fields.Datetime.now())
            vals.setdefault("auto_close_notice_date", False)
        stage_changed = self.browse()
        old_stages = {}
        if "stage_id" in vals:
            stage_changed = self.filtered(lambda t: t.stage_id.id != vals["stage_id"])
            old_stages = {ticket.id: ticket.stage_id for ticket in stage_changed}
        if vals.get("user_id") and "date_assign" not in vals:
            vals["date_assign"] = fields.Datetime.now()
        res = super().write(vals)
        if stage_changed:
            stage_changed._on_stage_changed(old_stages)
        if SLA_TRIGGER_FIELDS & set(vals):
            self._sla_apply()
        if "partner_id" in vals:
            self._subscribe_salespersons()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_history(self):
        if not self.env.user.has_group("crm_unified_support.group_support_manager"):
            raise UserError(
                self.env._("Only support managers can delete tickets; archive them instead.")
            )

    # ---- Stage changes ----

    def _on_stage_changed(self, old_stages):
        """Close, reopen, pause or resume the SLA clocks of tickets whose stage
        changed. SLA lines are system records (read-only for support users):
        they are updated with sudo, on tickets the user just wrote."""
        now = fields.Datetime.now()
        closing = self.filtered(lambda t: t.is_closed and not old_stages[t.id].is_closed)
        reopening = self.filtered(lambda t: not t.is_closed and old_stages[t.id].is_closed)
        pausing = self.filtered(lambda t: t.stage_id.pause_sla and not old_stages[t.id].pause_sla)
        resuming = self.filtered(lambda t: not t.stage_id.pause_sla and old_stages[t.id].pause_sla)
        if closing:
            closing._set_close_date(now)
            closing.sla_status_ids.sudo()._reach(("resolution",), now)
            closing._log_support_event("closed")
            closing.filtered(lambda t: t.use_rating and t.partner_id)._send_rating_request()
        if reopening:
            reopening.write({"close_date": False})
            reopening.sla_status_ids.sudo().filtered(
                lambda line: line.target_type == "resolution"
            )._unreach()
        if pausing:
            pausing.sla_status_ids.sudo()._pause(now)
        if resuming:
            resuming.sla_status_ids.sudo()._resume(now)

    def _send_rating_request(self):
        template = self.env.ref(
            "crm_unified_support.mail_template_ticket_rating", raise_if_not_found=False
        )
        if not template:
            return
        for ticket in self:
            ticket.rating_send_request(template, lang=ticket.partner_id.lang, force_send=False)

    def _track_template(self, changes):
        res = super()._track_template(changes)
        ticket = self[0]
        if "stage_id" in changes and ticket.stage_id.template_id and ticket.partner_id:
            res["stage_id"] = (
                ticket.stage_id.template_id,
                {
                    "auto_delete_keep_log": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                    "email_layout_xmlid": "mail.mail_notification_light",
                },
            )
        return res

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "stage_id" in init_values:
            return self.env.ref("crm_unified_support.mt_ticket_stage")
        return super()._track_subtype(init_values)

    # ---- Routing ----

    def _routing_after_assign(self, user):
        """Hook run after routing gave this ticket to ``user``."""
        self.ensure_one()
        self.message_subscribe(partner_ids=user.partner_id.ids)

    # ---- Followers ----

    def _subscribe_salespersons(self):
        """The customer's salesperson follows the ticket when the queue asks
        for it or when the customer (contact or company) belongs to a segment
        whose tickets the salesperson always follows."""
        tickets = self.filtered("partner_id")
        followed = tickets._get_salesperson_segment_tickets()
        # One subscription per salesperson for all their tickets of the batch: the
        # follower queries do not grow with the number of tickets.
        by_salesperson = defaultdict(list)
        for ticket in tickets.filtered(lambda t: t.queue_id.follow_salesperson or t in followed):
            salesperson = ticket.commercial_partner_id.user_id or ticket.partner_id.user_id
            if salesperson and not salesperson.share:
                by_salesperson[salesperson.partner_id.id].append(ticket.id)
        for partner_id, ticket_ids in by_salesperson.items():
            self.browse(ticket_ids).message_subscribe(partner_ids=[partner_id])

    def _get_salesperson_segment_tickets(self):
        """Tickets whose customer is in a segment, of the ticket's company or of
        all companies, where the salesperson follows support tickets."""
        # sudo: segments are sales configuration support users may not read;
        # only their follow flag and members are checked, nothing is shown.
        segments = (
            self.env["crm.segment"]
            .sudo()
            .search(
                [
                    ("support_follow_salesperson", "=", True),
                    ("company_id", "in", [False, *self.company_id.ids]),
                ]
            )
        )
        if not segments:
            return self.browse()
        # One read of the customers' segments for the whole batch (prefetch).
        # sudo: only segment membership is read, to decide followers; a support
        # agent needs no access to the customer's segments for that.
        customers = (self.partner_id | self.commercial_partner_id).sudo()
        customers.mapped("segment_ids")
        return self.filtered(
            lambda t: any(
                not segment.company_id or segment.company_id == t.company_id
                for segment in (t.partner_id | t.commercial_partner_id).sudo().segment_ids
                & segments
            )
        )

    # ---- SLA ----

    def _get_first_response_target_hours(self):
        """First response target of the SLA policy governing the ticket (the
        matching policy whose first response deadline comes first).

        :return: target in working hours of the queue's calendar (float), 0.0
            when no matching policy sets a first response target
        """
        self.ensure_one()
        # Status lines are ordered by deadline: the first one governs.
        lines = self.sla_status_ids.filtered(lambda line: line.target_type == "first_response")
        return lines[:1].target_hours or 0.0

    def _sla_apply(self):
        """Create the SLA status lines of the policies that now apply and drop
        the open lines of policies that no longer apply."""
        if not self:
            return
        now = fields.Datetime.now()
        policies = self.env["crm.support.sla"].search([("queue_id", "in", self.queue_id.ids)])
        matches = policies._match_tickets(self)
        # sudo: SLA lines are system records, read-only for support users; they
        # follow the policies matching tickets the user may write.
        to_drop = self.env["crm.support.ticket.sla"].sudo()
        to_create = []
        for ticket in self:
            matching = matches.get(ticket.id, policies.browse())
            lines = ticket.sla_status_ids
            to_drop |= lines.filtered(
                lambda line, matching=matching: (
                    not line.reached_date and line.sla_id not in matching
                )
            )
            existing = {(line.sla_id.id, line.target_type) for line in lines}
            for policy in matching:
                for target_type, hours in policy._get_ticket_targets():
                    if (policy.id, target_type) in existing:
                        continue
                    if target_type == "first_response" and ticket.first_response_date:
                        continue
                    to_create.append(
                        ticket._prepare_sla_status_values(policy, target_type, hours, now)
                    )
        to_drop.unlink()
        if to_create:
            # sudo: SLA lines are read-only for agents; they are derived from the
            # policies, not entered by the user who changed the ticket.
            self.env["crm.support.ticket.sla"].sudo().create(to_create)

    def _prepare_sla_status_values(self, policy, target_type, hours, now, start=None):
        self.ensure_one()
        return {
            "ticket_id": self.id,
            "sla_id": policy.id,
            "target_type": target_type,
            "target_hours": hours,
            # create_date is the transaction's start; never later than now.
            "start_date": start or min(self.create_date or now, now),
            "paused_since": now if self.stage_id.pause_sla else False,
        }

    # ---- Working time ----

    def _set_close_date(self, when):
        """Close time (naive UTC) of the batch; the working hours to close follow."""
        self.write({"close_date": when})

    # ---- Messages ----

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if (
            len(self) == 1
            and message.message_type in ("email", "comment")
            and not message.subtype_id.internal
            and message.author_id
        ):
            # sudo: SLA clocks, reply dates and the customer history are
            # bookkeeping of a message the author was allowed to post (a portal
            # customer may post on their ticket without write access).
            ticket = self.sudo()
            if message.author_id.user_ids.filtered(lambda u: not u._is_public() and not u.share):
                ticket._on_agent_reply(message.sudo())
            else:
                ticket._on_customer_message(message.sudo())
        return res

    def _on_agent_reply(self, message):
        self.ensure_one()
        now = message.date or fields.Datetime.now()
        first = not self.first_response_date
        if first:
            self.write({"first_response_date": now})
        self.sla_status_ids._reach(("first_response", "next_reply"), now)
        self._log_support_event("first_answer" if first else "agent_message", message=message)

    def _on_customer_message(self, message):
        """A customer wrote: note the date, cancel a pending auto-close notice,
        start the next-reply clock and log it in the history. Nothing of this
        for mail sent by a machine (see ``_is_machine_message``)."""
        self.ensure_one()
        if self._is_machine_message():
            return
        now = message.date or fields.Datetime.now()
        self.write({"last_customer_message_date": now, "auto_close_notice_date": False})
        if self._sla_next_reply_starts(message):
            self._sla_open_next_reply(now)
        self._log_support_event("customer_message", message=message)

    def _sla_next_reply_starts(self, message):
        """Whether a customer message starts a next-reply clock: the ticket has
        had a first answer and is open. Extension point for messages that must
        not start it (a message sent by a machine, for instance).

        :param message: the customer's mail.message
        :return: bool
        """
        self.ensure_one()
        return bool(self.first_response_date) and not self.is_closed

    def _sla_open_next_reply(self, now):
        self.ensure_one()
        waiting = self.sla_status_ids.filtered(
            lambda line: line.target_type == "next_reply" and not line.reached_date
        )
        if waiting:
            return
        policies = self.env["crm.support.sla"].search([("queue_id", "=", self.queue_id.id)])
        matching = policies._match_tickets(self).get(self.id, policies.browse())
        vals_list = [
            self._prepare_sla_status_values(policy, "next_reply", policy.next_reply_hours, now, now)
            for policy in matching.filtered("next_reply_hours")
        ]
        if vals_list:
            # sudo: system record, see _sla_apply.
            self.env["crm.support.ticket.sla"].sudo().create(vals_list)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        for ticket in self.filtered("partner_id"):
            ticket._message_add_suggested_recipient(
                recipients, partner=ticket.partner_id, reason=self.env._("Customer")
            )
        return recipients

    def _message_get_default_recipients(self):
        return {
            ticket.id: {
                "partner_ids": ticket.partner_id.ids,
                "email_to": ",".join(email_normalize_all(ticket.partner_email or ""))
                if not ticket.partner_id
                else False,
                "email_cc": False,
            }
            for ticket in self
        }

    # ---- Mail gateway ----

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Create a ticket from an email, in a savepoint: a failure leaves
        neither a ticket nor a new contact behind. Mail sent by a machine gets
        no new contact and no acknowledgement."""
        values = dict(custom_values or {})
        with self.env.cr.savepoint():
            partner = self._find_or_create_email_customer(
                msg_dict.get("email_from"), create=not self._is_machine_message()
            )
            values.update(self._prepare_ticket_values_from_email(msg_dict, partner, values))
            ticket = super().message_new(msg_dict, custom_values=values)
            if not self._is_machine_message():
                ticket._subscribe_cc(msg_dict.get("cc"))
        if self._should_acknowledge(msg_dict):
            ticket._send_acknowledgement()
        return ticket

    def message_update(self, msg_dict, update_vals=None):
        """A reply lands on the ticket; a customer's reply within the grace
        period reopens a closed ticket, a machine's never does."""
        with self.env.cr.savepoint():
            if not self._is_machine_message():
                reopen = self.filtered(lambda t: t.is_closed and t._in_reopen_grace())
                for ticket in reopen:
                    stage = ticket.queue_id.stage_ids.filtered(lambda s: not s.is_closed)[:1]
                    if stage:
                        ticket.stage_id = stage
            res = super().message_update(msg_dict, update_vals=update_vals)
            if not self._is_machine_message():
                self._subscribe_cc(msg_dict.get("cc"))
        return res

    @api.model
    def _prepare_ticket_values_from_email(self, msg_dict, partner, custom_values):
        values = {
            "name": (msg_dict.get("subject") or "").strip()[:250] or self.env._("(no subject)"),
            "description": msg_dict.get("body") or False,
            "channel_id": self.env.ref("crm_unified.interaction_channel_email").id,
        }
        if partner:
            values["partner_id"] = partner.id
        return values

    @api.model
    def _find_or_create_email_customer(self, email_from, create=True):
        """The customer of an incoming email, found by the mail gateway's own
        partner lookup (followers, users, then contacts, by normalised email;
        our aliases excluded).

        :param str email_from: the From header, e.g. ``"Name" <a@b.com>``
        :param bool create: create a contact for an unknown address
        :return: res.partner (empty when the sender has no usable address, or
            is unknown and ``create`` is False)
        """
        Partner = self.env["res.partner"]
        if not email_normalize(email_from or "", strict=True):
            return Partner
        return self._mail_find_partner_from_emails([email_from], force_create=create)[0]

    def _subscribe_cc(self, cc):
        """Known contacts in CC follow the ticket. Unknown CC addresses do not
        become contacts: they stay in the ticket's CC (``email_cc``) and are
        offered as suggested recipients; our own aliases are left out by the
        gateway helper."""
        emails = [email for _name, email in email_split_tuples(cc or "") if email_normalize(email)]
        if not emails:
            return
        partners = self.env["res.partner"].concat(
            *self._mail_find_partner_from_emails(emails, records=self, force_create=False)
        )
        if partners:
            for ticket in self:
                ticket.message_subscribe(partner_ids=partners.ids)

    @api.model
    def _is_machine_message(self):
        """Whether the message being processed was sent by a machine
        (auto-reply, vacation notice, list or bulk mail, bounce, loop) or went
        over the sender's hourly limit: such mail lands on the ticket but the
        product does not react to it as to a customer (no acknowledgement, no
        reopening, no next-reply clock, no auto-close reset, no history entry).
        Set by the mail gateway, see ``mail.thread._detect_is_machine_sent``.

        :return: bool
        """
        return bool(self.env.context.get("crm_support_machine_mail"))

    @api.model
    def _should_acknowledge(self, msg_dict):
        """No acknowledgement to auto-replies, lists, bulk mail or bounces:
        answering them risks mail loops."""
        if msg_dict.get("is_bounce") or not msg_dict.get("email_from"):
            return False
        return not self._is_machine_message()

    def _send_acknowledgement(self):
        # The gateway runs as the sender's user when the sender has one: post as
        # OdooBot so the sender is a recipient, not the author, of the notice.
        odoobot = self.env.ref("base.user_root")
        for ticket in self.filtered(lambda t: t.partner_id and t.queue_id.ack_template_id):
            ticket.with_user(odoobot).message_post_with_source(
                ticket.queue_id.ack_template_id,
                message_type="auto_comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=ticket.partner_id.ids,
            )

    def _in_reopen_grace(self):
        self.ensure_one()
        if not self.close_date:
            return True
        limit = self.close_date + timedelta(days=self.queue_id.reopen_grace_days)
        return fields.Datetime.now() <= limit

    def _get_followup_route_values(self):
        """Values of the new ticket opened by a late reply to this closed ticket."""
        self.ensure_one()
        return {
            "queue_id": self.queue_id.id,
            "parent_id": self.id,
            "partner_id": self.partner_id.id,
            "type_id": self.type_id.id,
        }

    # ---- Auto-close ----

    @api.model
    def _cron_auto_close(self, batch_size=500):
        """Tickets waiting for the customer (SLA-paused stage) with no news for
        the queue's auto-close delay get a notice; one day after the notice,
        still silent, they are closed.

        Only tickets with an action due are read (see ``_auto_close_due_sql``),
        the longest overdue first; a handled ticket leaves the due set (notice
        sent, or closed), so no ticket can starve. Rows are locked with
        ``SKIP LOCKED``: a concurrent run skips them. Queues without a closing
        stage are left out (they could never close what they announce).

        :param batch_size: tickets handled by this run; the real number of due
            tickets left is reported to ``ir.cron`` so it runs again at once
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        rows = self._lock_auto_close_due(now, batch_size)
        if rows is None:
            return
        to_notify = self.browse([ticket_id for ticket_id, noticed in rows if not noticed])
        to_close = self.browse([ticket_id for ticket_id, noticed in rows if noticed])
        # Notices go through the mail queue instead of one send per ticket.
        for ticket in to_notify.with_context(mail_notify_force_send=False):
            ticket._auto_close_send_notice(now)
        for queue, tickets in to_close.grouped("queue_id").items():
            stage = queue.stage_ids.filtered("is_closed")[:1]
            tickets.write({"stage_id": stage.id})
        self.env.flush_all()
        self.env["ir.cron"]._notify_progress(
            done=len(rows), remaining=self._count_auto_close_due(now)
        )

    def _auto_close_send_notice(self, now):
        """Tell the customer the ticket closes tomorrow without an answer."""
        self.ensure_one()
        self.message_post(
            body=self.env._(
                "We have not heard from you for a while. Without an answer, "
                "ticket %(ref)s will be closed tomorrow.",
                ref=self.reference,
            ),
            partner_ids=self.partner_id.ids,
            message_type="auto_comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.auto_close_notice_date = now

    @api.model
    def _auto_close_due_sql(self, now):
        """FROM/WHERE of tickets with an auto-close action due at ``now``, and
        the SQL expression of when it became due."""
        due_at = SQL(
            "CASE WHEN ticket.auto_close_notice_date IS NOT NULL "
            "THEN ticket.auto_close_notice_date + interval '1 day' "
            "ELSE GREATEST(ticket.date_last_stage_update, ticket.last_customer_message_date) "
            "+ make_interval(days => queue.auto_close_days) END"
        )
        from_where = SQL(
            "FROM crm_support_ticket ticket "
            "JOIN crm_support_queue queue ON queue.id = ticket.queue_id "
            "JOIN crm_support_stage stage ON stage.id = ticket.stage_id "
            "WHERE ticket.active AND ticket.is_closed IS NOT TRUE AND stage.pause_sla "
            "AND queue.auto_close_days > 0 AND %(due_at)s <= %(now)s "
            "AND EXISTS (SELECT 1 FROM crm_support_queue_stage_rel rel "
            "JOIN crm_support_stage closing ON closing.id = rel.stage_id "
            "WHERE rel.queue_id = queue.id AND closing.is_closed)",
            due_at=due_at,
            now=now,
        )
        return from_where, due_at

    @api.model
    def _lock_auto_close_due(self, now, limit):
        """``[(ticket id, notice already sent)]`` of due tickets, longest
        overdue first, locked; None when a concurrent run changed them."""
        from_where, due_at = self._auto_close_due_sql(now)
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT ticket.id, ticket.auto_close_notice_date IS NOT NULL %s "
                        "ORDER BY %s, ticket.id LIMIT %s FOR NO KEY UPDATE OF ticket SKIP LOCKED",
                        from_where,
                        due_at,
                        limit,
                    ),
                    log_exceptions=False,
                )
                return self.env.cr.fetchall()
        except pg_errors.SerializationFailure:
            _logger.info("Auto-close: tickets changed by a concurrent run, retry later")
            return None

    @api.model
    def _count_auto_close_due(self, now):
        from_where, _due_at = self._auto_close_due_sql(now)
        self.env.cr.execute(SQL("SELECT count(*) %s", from_where))
        return self.env.cr.fetchone()[0]

    # ---- Interactions (customer history) ----

    def _log_support_event(self, event, message=None):
        vals_list = [
            vals
            for ticket in self
            if (vals := ticket._prepare_support_interaction_values(event, message=message))
        ]
        if vals_list:
            self.env["crm.interaction"]._log_interactions(vals_list)

    def _prepare_support_interaction_values(self, event, message=None, extra=None):
        """Values of the interaction logged for one ticket event, or {} to skip."""
        self.ensure_one()
        if not self.partner_id:
            return {}
        subjects = {
            "created": self.env._("Ticket %(ref)s opened: %(name)s"),
            "first_answer": self.env._("First answer on ticket %(ref)s: %(name)s"),
            "agent_message": self.env._("Answer on ticket %(ref)s: %(name)s"),
            "customer_message": self.env._("Customer message on ticket %(ref)s: %(name)s"),
            "closed": self.env._("Ticket %(ref)s solved: %(name)s"),
            "rated": self.env._("Ticket %(ref)s rated: %(name)s"),
            "sla_breach": self.env._("SLA breached on ticket %(ref)s: %(name)s"),
        }
        directions = {
            "created": "inbound",
            "customer_message": "inbound",
            "rated": "inbound",
            "first_answer": "outbound",
            "agent_message": "outbound",
            "closed": "internal",
            "sla_breach": "internal",
        }
        channel = self.channel_id
        if message is not None:
            code = "email" if message.message_type == "email" else "portal"
            if message.author_id.user_ids.filtered(lambda u: not u.share):
                code = "email"
            channel = self.env["crm.interaction.channel"]._get_by_code(code)
        if event in ("closed", "sla_breach", "rated") or not channel:
            channel = self.env["crm.interaction.channel"]._get_by_code(
                "portal" if event == "rated" else "other"
            )
        values = {
            "partner_id": self.partner_id.id,
            "date": (message.date if message else None) or fields.Datetime.now(),
            "channel_id": channel.id,
            # Closing and SLA breaches are things the company did, not contacts.
            "kind": "event" if event in ("closed", "sla_breach") else "touch",
            "direction": directions[event],
            "department_id": self.env["ir.model.data"]._xmlid_to_res_id(
                "crm_unified.interaction_department_support"
            ),
            "user_id": (
                message.author_id.user_ids[:1].id
                if message and event != "customer_message"
                else False
            )
            or self.user_id.id,
            "subject": subjects[event] % {"ref": self.reference, "name": self.name},
            # Shown in the reader's language (crm.interaction._crm_event_subject_templates);
            # no capture key: a ticket has many answers and messages.
            "capture_event": f"support_{event}",
            "capture_key": False,
            "subject_params": {"ref": self.reference, "name": self.name},
            "summary": message.body if message else False,
            "res_model": self._name,
            "res_id": self.id,
            "source": "automatic",
            "company_id": self.company_id.id,
        }
        values.update(extra or {})
        return values

    # ---- Rating ----

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        rating = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        for ticket in self:
            vals = ticket._prepare_support_interaction_values(
                "rated", extra={"outcome": f"{rate:g}/5", "summary": feedback or False}
            )
            if vals:
                self.env["crm.interaction"]._log_interactions([vals])
        return rating

    def _rating_get_parent_field_name(self):
        return "queue_id"

    # ---- Actions ----

    def action_view_customer_history(self):
        self.ensure_one()
        if not self.partner_id:
            raise UserError(self.env._("Set a customer on the ticket first."))
        return self.partner_id.action_view_interactions()

    def action_create_opportunity(self):
        self.ensure_one()
        if self.lead_id:
            raise UserError(self.env._("An opportunity is already linked to this ticket."))
        lead = self.env["crm.lead"].create(self._prepare_opportunity_values())
        self.lead_id = lead
        lead.message_post(
            body=self.env._("Opportunity created from support ticket %(ref)s.", ref=self.reference)
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _prepare_opportunity_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "type": "opportunity",
            "partner_id": self.partner_id.id,
            "email_from": self.partner_email,
            "phone": self.partner_phone,
            "user_id": (self.commercial_partner_id.user_id or self.partner_id.user_id).id,
            "company_id": self.company_id.id,
            "description": self.description,
        }

    def action_merge(self):
        """Open the merge dialog, where the agent picks the ticket to keep and confirms.

        :return: an ir.actions.act_window of crm.support.ticket.merge (a dialog)
        :raise UserError: fewer than two tickets, several customers or companies
        """
        self._check_mergeable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge Tickets"),
            "res_model": "crm.support.ticket.merge",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _check_mergeable(self):
        if len(self) < 2:
            raise UserError(self.env._("Select at least two tickets to merge."))
        if len(self.commercial_partner_id) != 1 or not all(self.mapped("partner_id")):
            raise UserError(self.env._("Only tickets of the same customer can be merged."))
        if len(self.company_id) != 1:
            raise UserError(self.env._("Only tickets of the same company can be merged."))
        if self.filtered("merged_into_id"):
            raise UserError(self.env._("A ticket that was already merged cannot be merged again."))

    def _merge_needs_reopen(self, others):
        """Whether this (kept) ticket is closed while one of ``others`` is open."""
        self.ensure_one()
        return self.is_closed and any(not ticket.is_closed for ticket in others)

    def _merge_into(self, target):
        """Merge these tickets into ``target`` (one of them).

        Messages, attachments, followers and tags move over; the others are
        archived, marked "merged into" the target (their customers still see
        them on the portal, pointing to the kept ticket) and their open SLA
        targets are dropped.

        When the kept ticket is closed and a merged one is still open, the
        kept ticket is reopened (moved to its queue's first open stage, which
        reopens its resolution SLA as a customer's reply does): the customer's
        open request must not end inside a closed ticket.

        :return: the kept ticket
        :raise UserError: target missing or not among the tickets, see
            _check_mergeable, or the kept ticket must reopen and its queue has
            no open stage
        """
        if target not in self:
            raise UserError(self.env._("Keep one of the tickets being merged."))
        self._check_mergeable()
        self.check_access("write")
        others = self - target
        if target._merge_needs_reopen(others):
            stage = target.queue_id.stage_ids.filtered(lambda s: not s.is_closed)[:1]
            if not stage:
                raise UserError(
                    self.env._(
                        "The ticket to keep is closed and must be reopened for the open tickets "
                        "merged into it, but the queue %(queue)s has no open stage.",
                        queue=target.queue_id.name,
                    )
                )
            # The stage write runs the usual reopening (close date cleared,
            # resolution SLA running again).
            target.stage_id = stage
        # sudo: messages and attachments are moved between tickets the user may
        # write (checked above); mail.message itself is not writable by users.
        self.env["mail.message"].sudo().search(
            [("model", "=", self._name), ("res_id", "in", others.ids)]
        ).write({"res_id": target.id})
        self.env["ir.attachment"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", others.ids)]
        ).write({"res_id": target.id})
        target.message_subscribe(partner_ids=(others.message_partner_ids | others.partner_id).ids)
        target.tag_ids |= others.tag_ids
        # sudo: system records of tickets the user may write (checked above).
        others.sla_status_ids.sudo().filtered(lambda line: not line.reached_date).unlink()
        others.write({"active": False, "parent_id": target.id, "merged_into_id": target.id})
        target.message_post(
            body=self.env._("Merged tickets: %(refs)s", refs=", ".join(others.mapped("reference"))),
            subtype_xmlid="mail.mt_note",
        )
        return target

    def action_split(self):
        """Open a new ticket for another question of the same customer,
        linked to this one."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Split Ticket"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_parent_id": self.id,
                "default_queue_id": self.queue_id.id,
                "default_partner_id": self.partner_id.id,
                "default_type_id": self.type_id.id,
                "default_sale_order_id": self.sale_order_id.id,
                "default_name": self.env._("Split of %(ref)s: ", ref=self.reference),
            },
        }

    def action_close_by_customer(self):
        """Close the ticket on the customer's request (portal)."""
        for ticket in self:
            if not ticket.queue_id.allow_portal_close:
                raise UserError(
                    self.env._("Tickets of this queue cannot be closed from the portal.")
                )
            stage = ticket.queue_id.stage_ids.filtered("is_closed")[:1]
            if not stage:
                raise UserError(
                    self.env._(
                        "The queue %(queue)s has no closing stage.", queue=ticket.queue_id.name
                    )
                )
            ticket.stage_id = stage

    @api.model
    def _search_domain_portal(self, partner):
        """Tickets a portal partner may see: their own, and their company's when
        the queue shares company tickets."""
        return expression.AND(
            [
                [("queue_id.visibility", "=", "portal")],
                [
                    "|",
                    ("partner_id", "=", partner.id),
                    "&",
                    ("queue_id.portal_company_visibility", "=", True),
                    ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ],
            ]
        )

    @api.model
    def _route_followup_ticket(self, route):
        """A reply to a ticket closed longer than the grace period opens a new,
        linked ticket instead of landing on the closed one."""
        model, thread_id, custom_values, user_id, alias = route
        if model != self._name or not thread_id or self._is_machine_message():
            # A machine's reply (out-of-office...) stays on the closed ticket.
            return route
        # sudo: routing runs as the mail gateway; we only read the ticket's state.
        ticket = self.sudo().browse(thread_id).exists()
        if not ticket or not ticket.is_closed or ticket._in_reopen_grace():
            return route
        values = dict(custom_values or {}, **ticket._get_followup_route_values())
        return (model, False, values, user_id, alias)

    @api.model
    def _route_sender_rate_limit(self, route, message_dict):
        """Last guard against mail loops: a sender who opened the queue's
        hourly limit of tickets within the last hour opens no new ticket and
        gets no acknowledgement; the email is added to their latest ticket.

        :param tuple route: a gateway route (model, thread_id, custom_values, user_id, alias)
        :param dict message_dict: the parsed email
        :return: (route, limited) where ``limited`` tells the route was changed
        """
        model, thread_id, custom_values, user_id, alias = route
        email = email_normalize(message_dict.get("email_from") or "")
        if model != self._name or thread_id or not email:
            return route, False
        # sudo: the gateway routes mail before any user is known; only the
        # sender's recent tickets are counted and the latest one is picked.
        Ticket = self.sudo().with_context(active_test=False)
        queue = Ticket.env["crm.support.queue"].browse((custom_values or {}).get("queue_id"))
        queue = queue.exists() or Ticket._default_queue_id()
        limit = queue.sender_hourly_limit
        if not limit:
            return route, False
        domain = [("queue_id", "=", queue.id), ("partner_email", "ilike", email)]
        since = self.env.cr.now() - timedelta(hours=1)
        if Ticket.search_count([*domain, ("create_date", ">=", since)], limit=limit) < limit:
            return route, False
        latest = Ticket.search([*domain, ("active", "=", True)], order="id desc", limit=1)
        latest = latest or Ticket.search(domain, order="id desc", limit=1)
        _logger.info(
            "Mail from %s, Message-Id %s: over the hourly limit of queue %s, added to ticket %s",
            email,
            message_dict.get("message_id"),
            queue.id,
            latest.id,
        )
        return (model, latest.id, custom_values, user_id, alias), True
