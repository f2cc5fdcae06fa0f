from datetime import timedelta

from odoo import api, fields, models

CALL_RESULTS = [
    ("answered", "Answered"),
    ("no_answer", "No answer"),
    ("voicemail", "Left a voicemail"),
    ("busy", "Busy"),
    ("wrong_number", "Wrong number"),
]


class CrmInteractionLog(models.TransientModel):
    """Quick logging of a call, visit or email, with an optional follow-up activity."""

    _name = "crm.interaction.log"
    _description = "Log a Customer Interaction"

    def _default_channel_id(self):
        return self.env.ref("crm_unified.interaction_channel_phone", raise_if_not_found=False)

    def _default_department_id(self):
        """Department of the logged interaction (crm.interaction.department).

        The source document's department when there is one (support on a
        ticket, accounting on an invoice), else the user's own when they work
        in exactly one department, else sales (a contact logged on a customer).
        """
        Department = self.env["crm.interaction.department"]
        res_model = self.env.context.get("default_res_model")
        if res_model and res_model in self.env:
            code = getattr(self.env[res_model], "_crm_interaction_department", None)
            if code and Department._get_by_code(code):
                return Department._get_by_code(code)
        own = self.env.user.crm_department_ids
        if len(own) == 1:
            return own
        return Department._get_by_code("sales")

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    channel_id = fields.Many2one(
        "crm.interaction.channel", required=True, default=_default_channel_id
    )
    channel_code = fields.Char(related="channel_id.code")
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")],
        required=True,
        default="outbound",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    subject = fields.Char(required=True)
    summary = fields.Html()
    call_result = fields.Selection(CALL_RESULTS)
    outcome = fields.Char(compute="_compute_outcome", store=True, readonly=False)
    duration = fields.Float(help="Duration in hours.")
    department_id = fields.Many2one("crm.interaction.department", default=_default_department_id)
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user)
    confidential = fields.Boolean()
    res_model = fields.Char(string="Source Document Model")
    res_id = fields.Many2oneReference(string="Source Document ID", model_field="res_model")
    # ---- Follow-up ----
    schedule_followup = fields.Boolean(string="Schedule a follow-up")
    followup_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Follow-up Activity",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    followup_date = fields.Date(
        string="Follow-up Due Date",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=3),
    )
    followup_summary = fields.Char(string="Follow-up Summary")
    followup_user_id = fields.Many2one(
        "res.users", string="Follow-up Assigned to", default=lambda self: self.env.user
    )

    @api.depends("call_result")
    def _compute_outcome(self):
        labels = dict(self._fields["call_result"]._description_selection(self.env))
        for wizard in self:
            if wizard.call_result:
                wizard.outcome = labels[wizard.call_result]

    # ---- Actions ----

    def action_log(self):
        self.ensure_one()
        interaction = self.env["crm.interaction"].create(self._prepare_interaction_values())
        if self.schedule_followup and self.followup_activity_type_id:
            self._schedule_followup()
        return {"type": "ir.actions.act_window_close", "infos": {"interaction_id": interaction.id}}

    def _prepare_interaction_values(self):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "channel_id": self.channel_id.id,
            "direction": self.direction,
            "date": self.date,
            "subject": self.subject,
            "summary": self.summary,
            "outcome": self.outcome,
            "duration": self.duration,
            "department_id": self.department_id.id,
            "user_id": self.user_id.id,
            "confidential": self.confidential,
            "res_model": self.res_model or False,
            "res_id": self.res_id or False,
            "source": "manual",
            "company_id": (self.partner_id.company_id or self.env.company).id,
        }

    def _schedule_followup(self):
        """Follow-up on the source document when it has activities, else on the customer."""
        self.ensure_one()
        record = self.partner_id
        if self.res_model and self.res_id and self.res_model in self.env:
            document = self.env[self.res_model].browse(self.res_id).exists()
            if document and hasattr(document, "activity_schedule"):
                record = document
        return record.activity_schedule(
            activity_type_id=self.followup_activity_type_id.id,
            date_deadline=self.followup_date,
            summary=self.followup_summary or self.subject,
            user_id=(self.followup_user_id or self.env.user).id,
        )
