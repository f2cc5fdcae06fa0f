from datetime import timedelta

from odoo import api, fields, models


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["calendar.event", "crm.interaction.source.mixin"]
    _crm_capture_messages = False
    # Meetings that ended longer ago than this are not captured any more.
    _crm_meeting_lookback_days = 30

    # ---- Capture ----

    @api.model
    def _cron_log_meetings_held(self):
        """Log the meetings with customers that have ended since the last run."""
        now = fields.Datetime.now()
        events = self.search(
            [
                ("stop", "<=", now),
                ("stop", ">=", now - timedelta(days=self._crm_meeting_lookback_days)),
                ("partner_ids", "!=", False),
            ]
        )
        events._crm_log_meetings_held()

    def _crm_log_meetings_held(self):
        """One interaction per meeting and customer company, never twice."""
        if not self:
            return self.env["crm.interaction"]
        # sudo: only checks which meetings were already captured.
        logged_ids = set(
            self.env["crm.interaction"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("capture_event", "=", "meeting_held"),
                ]
            )
            .mapped("res_id")
        )
        events = self.filtered(lambda event: event.id not in logged_ids)
        customers = events.partner_ids._crm_filter_customers()
        vals_list = []
        for event in events:
            seen = set()
            for partner in event.partner_ids & customers:
                if partner.commercial_partner_id in seen:
                    continue
                seen.add(partner.commercial_partner_id)
                vals_list.append(event._prepare_meeting_held_interaction_values(partner))
        return self.env["crm.interaction"]._log_interactions(vals_list)

    # ---- Interaction values ----

    def _prepare_meeting_held_interaction_values(self, partner):
        self.ensure_one()
        values = self._prepare_crm_interaction_values(
            "meeting_held",
            self.env._("Meeting: %(name)s", name=self.name),
            channel_code="meeting",
            partner_id=partner.id,
            kind="touch",
            date=self.start,
            duration=self.duration,
            summary=self.description,
            company_id=(partner.company_id or self.env.company).id,
        )
        return values

    def _crm_interaction_partner(self):
        self.ensure_one()
        customers = self.partner_ids._crm_filter_customers()
        return customers[:1]
