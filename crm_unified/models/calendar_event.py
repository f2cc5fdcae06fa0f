from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["calendar.event", "crm.interaction.source.mixin"]
    _crm_capture_messages = False
    # Meetings that ended longer ago than this are not captured any more.
    _crm_meeting_lookback_days = 30
    # Meetings handled per call of the scheduled action.
    _crm_meeting_batch_size = 500

    # ---- Capture ----

    @api.model
    def _crm_meetings_to_log_query(self, date_from, date_to):
        """SQL selecting ids of ended meetings with a customer company not logged yet.

        Only meetings that still need action are selected (a meeting whose
        customers are all logged, or without customers, never is), oldest end
        first, so that a backlog cannot starve.

        :param date_from: UTC datetime or None, lower bound of the meeting end
        :param date_to: UTC datetime, upper bound of the meeting end
        """
        Partner = self.env["res.partner"]
        return SQL(
            """
            SELECT e.id FROM calendar_event e
             WHERE e.active AND e.stop <= %(date_to)s
               AND (%(date_from)s::timestamp IS NULL OR e.stop >= %(date_from)s::timestamp)
               AND EXISTS (
                    SELECT 1 FROM calendar_event_res_partner_rel r
                      JOIN res_partner p ON p.id = r.res_partner_id
                     WHERE r.calendar_event_id = e.id AND %(customer)s
                       AND NOT EXISTS (
                            SELECT 1 FROM crm_interaction i
                             WHERE i.capture_key = 'calendar.event,' || e.id
                                   || ',meeting_held,' || p.commercial_partner_id))
             ORDER BY e.stop, e.id
            """,
            date_from=date_from,
            date_to=date_to,
            customer=Partner._crm_customer_partner_sql("p"),
        )

    @api.model
    def _cron_log_meetings_held(self):
        """Log the meetings with customers that ended in the last 30 days, by batches.

        Each call logs one batch (oldest first) and reports the real number of
        meetings still to log to the scheduler, which calls again. Idempotent
        and safe when two run at once: the capture key of each meeting and
        customer company is unique in the database.
        """
        now = fields.Datetime.now()
        self.env["crm.interaction"].flush_model()
        self.flush_model()
        query = self._crm_meetings_to_log_query(
            now - timedelta(days=self._crm_meeting_lookback_days), now
        )
        ids = [row[0] for row in self.env.execute_query(query)]
        batch = self.browse(ids[: self._crm_meeting_batch_size])
        batch._crm_log_meetings_held()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(ids) - len(batch))
        return True

    def _crm_log_meetings_held(self):
        """One interaction per meeting and customer company, never twice (unique key)."""
        if not self:
            return self.env["crm.interaction"]
        customers = self.partner_ids._crm_filter_customers()
        vals_list = []
        for event in self:
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
            subject_params={"name": self.name},
            channel_code="meeting",
            partner_id=partner.id,
            kind="touch",
            date=self.start,
            duration=self.duration,
            summary=self.description,
            company_id=(partner.company_id or self.env.company).id,
            capture_key=self.env["crm.interaction"]._crm_capture_key(
                self._name, self.id, "meeting_held", partner.commercial_partner_id.id
            ),
        )
        return values

    def _crm_interaction_partner(self):
        self.ensure_one()
        customers = self.partner_ids._crm_filter_customers()
        return customers[:1]
