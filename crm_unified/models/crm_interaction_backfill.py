import json
import logging
from datetime import datetime, time, timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from .crm_interaction import BUSINESS_EVENTS

_logger = logging.getLogger(__name__)

# ir.config_parameter holding the queued back-fill: range, current step and cursor.
BACKFILL_PARAM = "crm_unified.backfill_state"
# Transaction-level advisory lock: one back-fill batch at a time in the database.
BACKFILL_LOCK_KEY = 730_091_701
# Placeholder replaced in SQL by the document's name / type in translated subjects.
NAME_MARK = "\x1fname\x1f"
TYPE_MARK = "\x1ftype\x1f"
INVOICE_TYPES = (
    "out_invoice",
    "out_refund",
    "out_receipt",
    "in_invoice",
    "in_refund",
    "in_receipt",
)


class CrmInteraction(models.Model):
    """History back-fill: the interactions the capture hooks would have logged.

    For documents that existed before CRM Unified was installed (or before a
    capture hook existed), one set-based INSERT ... SELECT per event kind and
    batch of source rows, at the documents' real dates. Every row carries the
    same capture_key as live capture, and the unique index on it makes the
    back-fill and live capture log each document event exactly once.
    """

    _inherit = "crm.interaction"

    # ---- Queue ----

    @api.model
    def _crm_backfill_enqueue(self, date_from=None, date_to=None):
        """Queue a back-fill of the history between two dates, run by its scheduled action.

        :param date_from: first day (date, inclusive) or None for no lower bound
        :param date_to: last day (date, inclusive) or None for no upper bound
        :raise UserError: when date_from is after date_to
        """
        if date_from and date_to and date_from > date_to:
            raise UserError(self.env._("The start of the history period is after its end."))
        self._crm_backfill_save_state(
            {
                "date_from": fields.Date.to_string(date_from) if date_from else None,
                "date_to": fields.Date.to_string(date_to) if date_to else None,
                "step": 0,
                "cursor": 0,
            }
        )
        cron = self.env.ref("crm_unified.ir_cron_backfill_history", raise_if_not_found=False)
        if cron:
            cron._trigger()
        return True

    @api.model
    def _crm_backfill_state(self):
        """The queued back-fill (dict) or None, read from the database, not a cache."""
        self.env["ir.config_parameter"].flush_model()
        rows = self.env.execute_query(
            SQL("SELECT value FROM ir_config_parameter WHERE key = %s", BACKFILL_PARAM)
        )
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    @api.model
    def _crm_backfill_save_state(self, state):
        # sudo: technical bookkeeping of the scheduled action, written by managers/cron only.
        self.env["ir.config_parameter"].sudo().set_param(
            BACKFILL_PARAM, json.dumps(state) if state else False
        )

    @api.model
    def _crm_backfill_batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: technical tuning parameter, read only
            .get_param("crm_unified.backfill_batch_size", 5000)
        )

    @api.model
    def _crm_migrate_capture_keys(self):
        """Give interactions captured before capture_key existed their key (18.0.1.2.0).

        One row per key (the oldest); other copies keep no key and stay in the
        history. Messages are matched to their mail.message by document and
        date, calls done to the activity message posted within two minutes.
        Returns the number of rows keyed.
        """
        self.env.flush_all()
        cr = self.env.cr
        statements = [
            SQL(
                """
                SELECT id, res_model || ',' || res_id || ',' || capture_event AS key
                  FROM crm_interaction
                 WHERE capture_key IS NULL AND res_id IS NOT NULL AND capture_event IN %s
                """,
                BUSINESS_EVENTS,
            ),
            SQL(
                """
                SELECT id, res_model || ',' || res_id || ',meeting_held,'
                           || commercial_partner_id AS key
                  FROM crm_interaction
                 WHERE capture_key IS NULL AND res_id IS NOT NULL
                   AND capture_event = 'meeting_held'
                """
            ),
            SQL(
                """
                SELECT i.id, i.res_model || ',' || i.res_id || ',message,' || m.id AS key
                  FROM crm_interaction i
                  JOIN LATERAL (
                        SELECT m.id FROM mail_message m
                         WHERE m.model = i.res_model AND m.res_id = i.res_id
                           AND m.date = i.date
                      ORDER BY m.id LIMIT 1
                  ) m ON TRUE
                 WHERE i.capture_key IS NULL AND i.res_id IS NOT NULL
                   AND i.capture_event = 'message'
                """
            ),
            SQL(
                """
                SELECT i.id, i.res_model || ',' || i.res_id || ',activity_done,' || m.id AS key
                  FROM crm_interaction i
                  JOIN LATERAL (
                        SELECT m.id FROM mail_message m
                         WHERE m.model = i.res_model AND m.res_id = i.res_id
                           AND m.subtype_id = %s
                           AND m.date BETWEEN i.create_date - interval '2 minutes'
                                          AND i.create_date + interval '2 minutes'
                      ORDER BY abs(EXTRACT(EPOCH FROM m.date - i.create_date)), m.id LIMIT 1
                  ) m ON TRUE
                 WHERE i.capture_key IS NULL AND i.res_id IS NOT NULL
                   AND i.capture_event = 'activity_done'
                """,
                self.env.ref("mail.mt_activities").id,
            ),
        ]
        keyed = 0
        for candidates in statements:
            cr.execute(
                SQL(
                    """
                    UPDATE crm_interaction i SET capture_key = c.key
                      FROM (SELECT DISTINCT ON (key) id, key FROM (%s) x ORDER BY key, id) c
                     WHERE i.id = c.id
                       AND NOT EXISTS (SELECT 1 FROM crm_interaction k WHERE k.capture_key = c.key)
                    """,
                    candidates,
                )
            )
            keyed += cr.rowcount
        self.invalidate_model(["capture_key"])
        return keyed

    # ---- Run ----

    @api.model
    def _cron_backfill_history(self):
        """Back-fill one batch and report the real remaining count to the scheduler.

        A batch that meets customers being updated by another job at the same
        moment (the profile recompute, on a first start) is rolled back and left
        for the next call instead of failing the job: nothing of it was written.
        """
        try:
            # The database refuses the batch's statement, not our data: no error to log.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                result = self._crm_backfill_run_batch()
        except pg_errors.SerializationFailure:
            _logger.info("History back-fill: customers were being updated; the batch is retried.")
            self.env.invalidate_all()
            result = (0, self._crm_backfill_remaining())
        done, remaining = result if result else (0, self._crm_backfill_remaining())
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return True

    @api.model
    def _crm_backfill_run_batch(self):
        """Back-fill the next batch of source rows (one step, up to the batch size).

        :return: (source rows scanned, source rows remaining), or None when
            another transaction is running a batch (two runs never process
            the same rows at once)
        """
        if not self.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s)", BACKFILL_LOCK_KEY)
        )[0][0]:
            return None
        state = self._crm_backfill_state()
        if not state:
            return 0, 0
        self.env.flush_all()
        steps = self._crm_backfill_steps()
        step, cursor = state["step"], state["cursor"]
        params = self._crm_backfill_params(state)
        done = 0
        while step < len(steps):
            table, method = steps[step]
            rows = self.env.execute_query(
                SQL(
                    "SELECT id FROM %s WHERE id > %s ORDER BY id LIMIT %s",
                    SQL.identifier(table),
                    cursor,
                    self._crm_backfill_batch_size(),
                )
            )
            if not rows:
                step, cursor = step + 1, 0
                continue
            getattr(self, method)(cursor, rows[-1][0], params)
            done, cursor = len(rows), rows[-1][0]
            break
        self.invalidate_model()
        self.env["res.partner"].invalidate_model(["crm_profile_dirty", "crm_profile_history_dirty"])
        state.update(step=step, cursor=cursor)
        remaining = self._crm_backfill_remaining(state)
        if remaining:
            self._crm_backfill_save_state(state)
        else:
            self._crm_backfill_finish()
        return done, remaining

    @api.model
    def _crm_backfill_remaining(self, state=None):
        """Source rows not scanned yet: the rest of the current step and all later steps."""
        state = state if state is not None else self._crm_backfill_state()
        if not state:
            return 0
        total = 0
        for index, (table, _method) in enumerate(self._crm_backfill_steps()):
            if index < state["step"]:
                continue
            cursor = state["cursor"] if index == state["step"] else 0
            total += self.env.execute_query(
                SQL("SELECT COUNT(*) FROM %s WHERE id > %s", SQL.identifier(table), cursor)
            )[0][0]
        return total

    @api.model
    def _crm_backfill_finish(self):
        """Clear the queue; recompute profiles (already flagged) and segments in the background."""
        self._crm_backfill_save_state(None)
        profile_cron = self.env.ref(
            "crm_unified.ir_cron_recompute_profile", raise_if_not_found=False
        )
        if profile_cron:
            profile_cron._trigger()
        # sudo: queues the dynamic segments for their scheduled refresh, no content exposed.
        segments = self.env["crm.segment"].sudo().search([("segment_type", "=", "dynamic")])
        segments.write({"refresh_state": "queued"})
        segment_cron = self.env.ref(
            "crm_unified.ir_cron_refresh_segments", raise_if_not_found=False
        )
        if segment_cron:
            segment_cron._trigger()

    @api.model
    def _crm_backfill_steps(self):
        """[(source table, method)], in order; a method back-fills ids in (low, high]."""
        return [
            ("sale_order", "_crm_backfill_sale_orders"),
            ("account_move", "_crm_backfill_invoices"),
            ("crm_lead", "_crm_backfill_opportunities"),
            ("calendar_event", "_crm_backfill_meetings"),
            ("mail_message", "_crm_backfill_messages"),
        ]

    @api.model
    def _crm_backfill_params(self, state):
        """Values shared by every statement: range (UTC), channels, departments, subjects."""
        date_from = state.get("date_from")
        date_to = state.get("date_to")
        channels = {
            channel.code: channel.id
            for channel in self.env["crm.interaction.channel"]
            .with_context(active_test=False)
            .search([])
        }
        departments = {
            department.code: department.id
            for department in self.env["crm.interaction.department"]
            .with_context(active_test=False)
            .search([])
        }
        now = fields.Datetime.now()
        upper = (
            datetime.combine(fields.Date.to_date(date_to), time.min) + timedelta(days=1)
            if date_to
            else now
        )
        return {
            "date_from": (
                datetime.combine(fields.Date.to_date(date_from), time.min) if date_from else None
            ),
            "date_to": min(upper, now),
            "channels": channels,
            "departments": departments,
            "uid": self.env.uid,
            "company": self.env.company.id,
            "lang": self.env.lang or "en_US",
        }

    # ---- The set-based INSERT shared by every event kind ----

    @api.model
    def _crm_backfill_insert(self, source, params):
        """Insert the rows of `source` that are in the period and not logged yet.

        :param source: SQL SELECT giving the columns partner_id, date (UTC),
            channel_id, kind, direction, department_id, user_id, subject,
            outcome, summary, duration, res_model, res_id, capture_event,
            capture_key, company_id, subject_params (jsonb: the placeholders of the
            subject template, see _crm_event_subject_templates; NULL when the
            subject is not generated)
        :return: number of interactions inserted; their customers are queued
            for a profile recompute in the same statement
        """
        rows = self.env.execute_query(
            SQL(
                """
                WITH src AS (%(source)s),
                tz AS (SELECT name FROM pg_timezone_names),
                ins AS (
                    INSERT INTO crm_interaction (
                        partner_id, commercial_partner_id, date, channel_id, kind, direction,
                        department_id, user_id, subject, outcome, summary, duration,
                        res_model, res_id, source, capture_event, capture_key, company_id,
                        subject_params, weekday, hour, confidential,
                        create_uid, create_date, write_uid, write_date)
                    SELECT src.partner_id, p.commercial_partner_id, src.date, src.channel_id,
                           src.kind, src.direction, src.department_id, src.user_id,
                           src.subject, src.outcome, src.summary, src.duration,
                           src.res_model, src.res_id, 'automatic', src.capture_event,
                           src.capture_key, COALESCE(src.company_id, p.company_id, %(company)s),
                           src.subject_params,
                           (EXTRACT(ISODOW FROM loc.ts)::int - 1)::varchar,
                           to_char(loc.ts, 'HH24'), FALSE,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM src
                      JOIN res_partner p ON p.id = src.partner_id
                 LEFT JOIN tz ON tz.name = p.tz
                CROSS JOIN LATERAL (
                        SELECT (src.date AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(tz.name, 'UTC')
                               AS ts
                    ) loc
                     WHERE src.date IS NOT NULL
                       AND src.date < %(date_to)s
                       AND (%(date_from)s::timestamp IS NULL
                            OR src.date >= %(date_from)s::timestamp)
                    ON CONFLICT (capture_key) WHERE capture_key IS NOT NULL DO NOTHING
                    RETURNING commercial_partner_id
                ),
                dirty AS (
                    UPDATE res_partner
                       SET crm_profile_dirty = TRUE, crm_profile_history_dirty = TRUE
                     WHERE id IN (SELECT commercial_partner_id FROM ins)
                       AND (crm_profile_dirty IS NOT TRUE
                            OR crm_profile_history_dirty IS NOT TRUE)
                )
                SELECT COUNT(*) FROM ins
                """,
                source=source,
                company=params["company"],
                uid=params["uid"],
                now=fields.Datetime.now(),
                date_from=params["date_from"],
                date_to=params["date_to"],
            )
        )
        return rows[0][0]

    @api.model
    def _crm_backfill_key(self, model, id_sql, event, ref_sql=None):
        """SQL of the capture key, identical to _crm_capture_key()."""
        if ref_sql is None:
            return SQL("%s || %s || %s", f"{model},", id_sql, f",{event}")
        return SQL("%s || %s || %s || %s", f"{model},", id_sql, f",{event},", ref_sql)

    # ---- Sales orders ----

    @api.model
    def _crm_backfill_sale_orders(self, low, high, params):
        """Quotations sent, orders confirmed and cancelled, for orders with id in (low, high]."""
        Order = self.env["sale.order"].with_context(lang=params["lang"])
        env = Order.env
        ch, dep = params["channels"], params["departments"]
        sent_subtype = self.env.ref("sale.mt_order_sent", raise_if_not_found=False)
        confirmed_subtype = self.env.ref("sale.mt_order_confirmed", raise_if_not_found=False)
        state_field = self.env["ir.model.fields"]._get("sale.order", "state")
        in_batch = SQL("so.id > %s AND so.id <= %s", low, high)
        created = 0
        # Quotation sent: the "Quotation sent" tracking message, else a quotation left "sent".
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT so.partner_id, COALESCE(sent.date, so.date_order) AS date,
                       CASE WHEN sent.date IS NULL THEN %(other)s ELSE %(email)s END
                           AS channel_id,
                       'event' AS kind, 'outbound' AS direction, %(dep)s AS department_id,
                       so.user_id, replace(CASE WHEN sent.date IS NULL THEN %(marked)s
                                                ELSE %(sent)s END, %(mark)s, so.name) AS subject,
                       NULL AS outcome, NULL AS summary, 0.0 AS duration,
                       'sale.order' AS res_model, so.id AS res_id,
                       'sale_quotation_sent' AS capture_event, %(key)s AS capture_key,
                       so.company_id,
                       jsonb_build_object('name', so.name, 'template',
                           CASE WHEN sent.date IS NULL THEN 'sale_quotation_marked_sent'
                                ELSE 'sale_quotation_sent' END) AS subject_params
                  FROM sale_order so
             LEFT JOIN LATERAL (
                        SELECT MIN(m.date) AS date FROM mail_message m
                         WHERE m.model = 'sale.order' AND m.res_id = so.id
                           AND m.subtype_id = %(subtype)s
                    ) sent ON TRUE
                 WHERE %(in_batch)s AND (sent.date IS NOT NULL OR so.state = 'sent')
                """,
                other=ch.get("other"),
                email=ch.get("email"),
                dep=dep.get("sales"),
                marked=env._("Quotation %(name)s marked as sent", name=NAME_MARK),
                sent=env._("Quotation %(name)s sent", name=NAME_MARK),
                mark=NAME_MARK,
                key=self._crm_backfill_key("sale.order", SQL("so.id"), "sale_quotation_sent"),
                subtype=sent_subtype.id if sent_subtype else None,
                in_batch=in_batch,
            ),
            params,
        )
        # Order confirmed: by the salesperson (event), or signed by the customer (touch).
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT so.partner_id, COALESCE(conf.date, so.date_order) AS date,
                       CASE WHEN so.signed_on IS NOT NULL THEN %(portal)s ELSE %(other)s END
                           AS channel_id,
                       CASE WHEN so.signed_on IS NOT NULL THEN 'touch' ELSE 'event' END AS kind,
                       CASE WHEN so.signed_on IS NOT NULL THEN 'inbound' ELSE 'outbound' END
                           AS direction,
                       %(dep)s AS department_id, so.user_id,
                       replace(%(confirmed)s, %(mark)s, so.name) AS subject,
                       round(so.amount_total, 2)::text || ' ' || cur.name AS outcome,
                       NULL AS summary, 0.0 AS duration, 'sale.order' AS res_model,
                       so.id AS res_id, 'sale_order_confirmed' AS capture_event,
                       %(key)s AS capture_key, so.company_id,
                       jsonb_build_object('name', so.name) AS subject_params
                  FROM sale_order so
                  JOIN res_currency cur ON cur.id = so.currency_id
             LEFT JOIN LATERAL (
                        SELECT MIN(m.date) AS date FROM mail_message m
                         WHERE m.model = 'sale.order' AND m.res_id = so.id
                           AND m.subtype_id = %(subtype)s
                    ) conf ON TRUE
                 WHERE %(in_batch)s AND (so.state = 'sale' OR conf.date IS NOT NULL)
                """,
                portal=ch.get("portal"),
                other=ch.get("other"),
                dep=dep.get("sales"),
                confirmed=env._("Order %(name)s confirmed", name=NAME_MARK),
                mark=NAME_MARK,
                key=self._crm_backfill_key("sale.order", SQL("so.id"), "sale_order_confirmed"),
                subtype=confirmed_subtype.id if confirmed_subtype else None,
                in_batch=in_batch,
            ),
            params,
        )
        # Order cancelled: the last tracked change of its status, else its last update.
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT so.partner_id, COALESCE(tracked.date, so.write_date) AS date,
                       %(other)s AS channel_id, 'event' AS kind, 'outbound' AS direction,
                       %(dep)s AS department_id, so.user_id,
                       replace(%(cancelled)s, %(mark)s, so.name) AS subject,
                       NULL AS outcome, NULL AS summary, 0.0 AS duration,
                       'sale.order' AS res_model, so.id AS res_id,
                       'sale_order_cancelled' AS capture_event, %(key)s AS capture_key,
                       so.company_id, jsonb_build_object('name', so.name) AS subject_params
                  FROM sale_order so
             LEFT JOIN LATERAL (
                        SELECT MAX(m.date) AS date FROM mail_message m
                          JOIN mail_tracking_value t ON t.mail_message_id = m.id
                         WHERE m.model = 'sale.order' AND m.res_id = so.id
                           AND t.field_id = %(state_field)s
                    ) tracked ON TRUE
                 WHERE %(in_batch)s AND so.state = 'cancel'
                """,
                other=ch.get("other"),
                dep=dep.get("sales"),
                cancelled=env._("Order %(name)s cancelled", name=NAME_MARK),
                mark=NAME_MARK,
                key=self._crm_backfill_key("sale.order", SQL("so.id"), "sale_order_cancelled"),
                state_field=state_field.id,
                in_batch=in_batch,
            ),
            params,
        )
        return created

    # ---- Invoices ----

    @api.model
    def _crm_backfill_invoices(self, low, high, params):
        """Invoices posted and paid, for moves with id in (low, high]."""
        Move = self.env["account.move"].with_context(lang=params["lang"])
        env = Move.env
        ch, dep = params["channels"], params["departments"]
        type_names = {
            move_type: Move.new({"move_type": move_type}).type_name for move_type in INVOICE_TYPES
        }
        state_field = self.env["ir.model.fields"]._get("account.move", "state")
        in_batch = SQL(
            "am.id > %s AND am.id <= %s AND am.move_type IN %s AND am.state = 'posted'"
            " AND am.partner_id IS NOT NULL",
            low,
            high,
            INVOICE_TYPES,
        )
        subject = SQL(
            "replace(replace(%s, %s, COALESCE(%s::jsonb ->> am.move_type, '')), %s, am.name)",
            env._("%(type)s %(name)s posted", type=TYPE_MARK, name=NAME_MARK),
            TYPE_MARK,
            json.dumps(type_names),
            NAME_MARK,
        )
        created = self._crm_backfill_insert(
            SQL(
                """
                SELECT am.partner_id,
                       COALESCE(tracked.date,
                                CASE WHEN am.create_date::date = am.invoice_date
                                     THEN am.create_date
                                     ELSE COALESCE(am.invoice_date, am.date)::timestamp END)
                           AS date,
                       %(other)s AS channel_id, 'event' AS kind, 'outbound' AS direction,
                       %(dep)s AS department_id, am.invoice_user_id AS user_id,
                       %(subject)s AS subject,
                       round(am.amount_total, 2)::text || ' ' || cur.name AS outcome,
                       NULL AS summary, 0.0 AS duration, 'account.move' AS res_model,
                       am.id AS res_id, 'invoice_posted' AS capture_event,
                       %(key)s AS capture_key, am.company_id,
                       jsonb_build_object('name', am.name, 'move_type', am.move_type)
                           AS subject_params
                  FROM account_move am
                  JOIN res_currency cur ON cur.id = am.currency_id
             LEFT JOIN LATERAL (
                        SELECT MIN(m.date) AS date FROM mail_message m
                          JOIN mail_tracking_value t ON t.mail_message_id = m.id
                         WHERE m.model = 'account.move' AND m.res_id = am.id
                           AND t.field_id = %(state_field)s
                    ) tracked ON TRUE
                 WHERE %(in_batch)s
                """,
                other=ch.get("other"),
                dep=dep.get("accounting"),
                subject=subject,
                key=self._crm_backfill_key("account.move", SQL("am.id"), "invoice_posted"),
                state_field=state_field.id,
                in_batch=in_batch,
            ),
            params,
        )
        paid_subject = SQL(
            "replace(replace(%s, %s, COALESCE(%s::jsonb ->> am.move_type, '')), %s, am.name)",
            env._("%(type)s %(name)s paid", type=TYPE_MARK, name=NAME_MARK),
            TYPE_MARK,
            json.dumps(type_names),
            NAME_MARK,
        )
        # Paid: the last tracked change of its payment status, else the date of the
        # last payment reconciled with it (with its time when reconciled that day).
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT am.partner_id,
                       COALESCE(tracked.date,
                                CASE WHEN rec.created::date = rec.day THEN rec.created
                                     ELSE rec.day::timestamp END,
                                am.write_date) AS date,
                       %(other)s AS channel_id, 'event' AS kind, 'inbound' AS direction,
                       %(dep)s AS department_id, am.invoice_user_id AS user_id,
                       %(subject)s AS subject,
                       round(am.amount_total, 2)::text || ' ' || cur.name AS outcome,
                       NULL AS summary, 0.0 AS duration, 'account.move' AS res_model,
                       am.id AS res_id, 'invoice_paid' AS capture_event,
                       %(key)s AS capture_key, am.company_id,
                       jsonb_build_object('name', am.name, 'move_type', am.move_type)
                           AS subject_params
                  FROM account_move am
                  JOIN res_currency cur ON cur.id = am.currency_id
             LEFT JOIN LATERAL (
                        SELECT MAX(apr.create_date) AS created, MAX(apr.max_date) AS day
                          FROM account_move_line l
                          JOIN account_partial_reconcile apr
                            ON apr.debit_move_id = l.id OR apr.credit_move_id = l.id
                         WHERE l.move_id = am.id
                    ) rec ON TRUE
             LEFT JOIN LATERAL (
                        SELECT MAX(m.date) AS date FROM mail_message m
                          JOIN mail_tracking_value t ON t.mail_message_id = m.id
                         WHERE m.model = 'account.move' AND m.res_id = am.id
                           AND t.field_id = %(payment_state_field)s
                    ) tracked ON TRUE
                 WHERE %(in_batch)s AND am.payment_state IN ('paid', 'in_payment')
                """,
                other=ch.get("other"),
                dep=dep.get("accounting"),
                subject=paid_subject,
                key=self._crm_backfill_key("account.move", SQL("am.id"), "invoice_paid"),
                payment_state_field=self.env["ir.model.fields"]
                ._get("account.move", "payment_state")
                .id,
                in_batch=in_batch,
            ),
            params,
        )
        return created

    # ---- Opportunities ----

    @api.model
    def _crm_backfill_opportunities(self, low, high, params):
        """Opportunities created, won and lost, for leads with id in (low, high]."""
        env = self.with_context(lang=params["lang"]).env
        ch, dep = params["channels"], params["departments"]
        common = SQL(
            "%s AS channel_id, 'event' AS kind, 'internal' AS direction,"
            " %s AS department_id, l.user_id",
            ch.get("other"),
            dep.get("sales"),
        )
        in_batch = SQL(
            "l.id > %s AND l.id <= %s AND l.type = 'opportunity' AND l.partner_id IS NOT NULL",
            low,
            high,
        )
        created = self._crm_backfill_insert(
            SQL(
                """
                SELECT l.partner_id, COALESCE(l.date_conversion, l.create_date) AS date, %(common)s,
                       replace(%(subject)s, %(mark)s, l.name) AS subject, NULL AS outcome,
                       NULL AS summary, 0.0 AS duration, 'crm.lead' AS res_model, l.id AS res_id,
                       'opportunity_created' AS capture_event, %(key)s AS capture_key, l.company_id,
                       jsonb_build_object('name', l.name) AS subject_params
                  FROM crm_lead l
                 WHERE %(in_batch)s
                """,
                common=common,
                subject=env._("Opportunity created: %(name)s", name=NAME_MARK),
                mark=NAME_MARK,
                key=self._crm_backfill_key("crm.lead", SQL("l.id"), "opportunity_created"),
                in_batch=in_batch,
            ),
            params,
        )
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT l.partner_id, COALESCE(l.date_closed, l.write_date) AS date, %(common)s,
                       replace(%(subject)s, %(mark)s, l.name) AS subject, %(won)s AS outcome,
                       NULL AS summary, 0.0 AS duration, 'crm.lead' AS res_model, l.id AS res_id,
                       'opportunity_won' AS capture_event, %(key)s AS capture_key, l.company_id,
                       jsonb_build_object('name', l.name) AS subject_params
                  FROM crm_lead l
                  JOIN crm_stage s ON s.id = l.stage_id
                 WHERE %(in_batch)s AND l.active AND s.is_won
                """,
                common=common,
                subject=env._("Opportunity won: %(name)s", name=NAME_MARK),
                won=env._("Won"),
                mark=NAME_MARK,
                key=self._crm_backfill_key("crm.lead", SQL("l.id"), "opportunity_won"),
                in_batch=in_batch,
            ),
            params,
        )
        created += self._crm_backfill_insert(
            SQL(
                """
                SELECT l.partner_id, COALESCE(l.date_closed, l.write_date) AS date, %(common)s,
                       replace(%(subject)s, %(mark)s, l.name) AS subject,
                       COALESCE(r.name ->> %(lang)s, r.name ->> 'en_US', %(lost)s) AS outcome,
                       NULL AS summary, 0.0 AS duration, 'crm.lead' AS res_model, l.id AS res_id,
                       'opportunity_lost' AS capture_event, %(key)s AS capture_key, l.company_id,
                       jsonb_build_object('name', l.name) AS subject_params
                  FROM crm_lead l
             LEFT JOIN crm_lost_reason r ON r.id = l.lost_reason_id
                 WHERE %(in_batch)s AND NOT l.active AND l.probability = 0
                """,
                common=common,
                subject=env._("Opportunity lost: %(name)s", name=NAME_MARK),
                lost=env._("Lost"),
                lang=params["lang"],
                mark=NAME_MARK,
                key=self._crm_backfill_key("crm.lead", SQL("l.id"), "opportunity_lost"),
                in_batch=in_batch,
            ),
            params,
        )
        return created

    # ---- Meetings ----

    @api.model
    def _crm_backfill_meetings(self, low, high, params):
        """Meetings held with customers, for calendar events with id in (low, high].

        Meetings are few: the capture hook itself logs them (same key).
        """
        Event = self.env["calendar.event"].with_context(active_test=False)
        domain = [
            ("id", ">", low),
            ("id", "<=", high),
            ("active", "=", True),
            ("stop", "<=", fields.Datetime.now()),
            ("start", "<", params["date_to"]),
            ("partner_ids", "!=", False),
        ]
        if params["date_from"]:
            domain.append(("start", ">=", params["date_from"]))
        return len(Event.search(domain)._crm_log_meetings_held())

    # ---- Chatter: customer emails, portal messages, calls done ----

    @api.model
    def _crm_backfill_message_models(self):
        """Models whose chatter is captured: {model: (table, department code)}."""
        result = {}
        for name in self.env["crm.interaction.source.mixin"]._inherit_children:
            Model = self.env.get(name)
            if (
                Model is None
                or Model._abstract
                or not getattr(Model, "_crm_capture_messages", False)
                or "partner_id" not in Model._fields
                or not Model._fields["partner_id"].store
            ):
                continue
            result[name] = (Model._table, Model._crm_interaction_department)
        return result

    @api.model
    def _crm_backfill_messages(self, low, high, params):
        """Customer emails/portal messages and calls marked done, for messages in (low, high]."""
        Partner = self.env["res.partner"]
        env = self.with_context(lang=params["lang"]).env
        ch, dep = params["channels"], params["departments"]
        internal_subtypes = self.env["mail.message.subtype"].search([("internal", "=", True)]).ids
        activity_subtype = self.env.ref("mail.mt_activities")
        created = 0
        models_ = self._crm_backfill_message_models()
        for model, (table, department) in models_.items():
            doc = SQL.identifier(table)
            created += self._crm_backfill_insert(
                SQL(
                    """
                    SELECT x.partner_id, m.date,
                           CASE WHEN x.inbound AND m.message_type = 'comment' THEN %(portal)s
                                ELSE %(email)s END AS channel_id,
                           'touch' AS kind,
                           CASE WHEN x.inbound THEN 'inbound' ELSE 'outbound' END AS direction,
                           %(dep)s AS department_id, u.id AS user_id,
                           COALESCE(own.subject,
                                    replace(%(fallback)s, %(mark)s, d.name::varchar)) AS subject,
                           NULL AS outcome, m.body AS summary, 0.0 AS duration,
                           %(model)s AS res_model, m.res_id, 'message' AS capture_event,
                           %(key)s AS capture_key, d.company_id,
                           CASE WHEN own.subject IS NULL
                                THEN jsonb_build_object('name', d.name::varchar) END
                               AS subject_params
                      FROM mail_message m
                      JOIN %(doc)s d ON d.id = m.res_id
                CROSS JOIN LATERAL (
                            SELECT COALESCE(NULLIF(m.subject, ''),
                                   NULLIF(btrim(left(regexp_replace(regexp_replace(
                                       COALESCE(m.body, ''), '<[^>]*>', ' ', 'g'),
                                       '[[:space:]]+', ' ', 'g'), 80)), '')) AS subject
                        ) own
                CROSS JOIN LATERAL (
                            SELECT a.id AS partner_id, TRUE AS inbound
                              FROM res_partner a
                             WHERE a.id = m.author_id AND %(customer_a)s
                            UNION ALL
                            (SELECT r.res_partner_id, FALSE
                               FROM mail_message_res_partner_rel r
                               JOIN res_partner rp ON rp.id = r.res_partner_id
                              WHERE r.mail_message_id = m.id AND %(customer_rp)s
                           ORDER BY (r.res_partner_id = d.partner_id) DESC, r.res_partner_id
                              LIMIT 1)
                             LIMIT 1
                        ) x
                 LEFT JOIN LATERAL (
                            SELECT id FROM res_users WHERE partner_id = m.author_id
                             ORDER BY id LIMIT 1
                        ) u ON TRUE
                     WHERE m.id > %(low)s AND m.id <= %(high)s AND m.model = %(model)s
                       AND m.message_type IN ('email', 'comment')
                       AND (m.subtype_id IS NULL OR NOT m.subtype_id = ANY(%(internal)s))
                    """,
                    portal=ch.get("portal"),
                    email=ch.get("email"),
                    dep=dep.get(department),
                    fallback=env._("Email about %(name)s", name=NAME_MARK),
                    mark=NAME_MARK,
                    model=model,
                    key=self._crm_backfill_key(model, SQL("m.res_id"), "message", SQL("m.id")),
                    doc=doc,
                    customer_a=Partner._crm_customer_partner_sql("a"),
                    customer_rp=Partner._crm_customer_partner_sql("rp"),
                    low=low,
                    high=high,
                    internal=internal_subtypes,
                ),
                params,
            )
        # Calls marked done: the "done" message of the activity, on the customer or a document.
        activity_models = {
            "res.partner": ("res_partner", "sales", SQL("d.id")),
            **{
                model: (table, department, SQL("d.partner_id"))
                for model, (table, department) in models_.items()
            },
        }
        for model, (table, department, partner_sql) in activity_models.items():
            created += self._crm_backfill_insert(
                SQL(
                    """
                    SELECT %(partner)s AS partner_id, m.date, %(phone)s AS channel_id,
                           'touch' AS kind, 'outbound' AS direction, %(dep)s AS department_id,
                           u.id AS user_id,
                           COALESCE(t.name ->> %(lang)s, t.name ->> 'en_US') AS subject,
                           NULL AS outcome, m.body AS summary, 0.0 AS duration,
                           %(model)s AS res_model, m.res_id, 'activity_done' AS capture_event,
                           %(key)s AS capture_key, d.company_id, NULL::jsonb AS subject_params
                      FROM mail_message m
                      JOIN mail_activity_type t ON t.id = m.mail_activity_type_id
                      JOIN %(doc)s d ON d.id = m.res_id
                      JOIN res_partner cp ON cp.id = %(partner)s
                 LEFT JOIN LATERAL (
                            SELECT id FROM res_users WHERE partner_id = m.author_id
                             ORDER BY id LIMIT 1
                        ) u ON TRUE
                     WHERE m.id > %(low)s AND m.id <= %(high)s AND m.model = %(model)s
                       AND m.subtype_id = %(subtype)s AND t.category = 'phonecall'
                       AND %(customer)s
                    """,
                    partner=partner_sql,
                    phone=ch.get("phone"),
                    dep=dep.get(department),
                    lang=params["lang"],
                    model=model,
                    key=self._crm_backfill_key(
                        model, SQL("m.res_id"), "activity_done", SQL("m.id")
                    ),
                    doc=SQL.identifier(table),
                    low=low,
                    high=high,
                    subtype=activity_subtype.id,
                    customer=Partner._crm_customer_partner_sql("cp"),
                ),
                params,
            )
        return created
