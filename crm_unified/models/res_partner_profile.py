import json

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Preferred channel: half-life (days) of an inbound interaction's weight, and the
# weight of a touch point attached to a sale order (a purchase counts double).
PREFERRED_CHANNEL_HALF_LIFE = 90.0
PREFERRED_CHANNEL_PURCHASE_WEIGHT = 2.0
# Profile columns written in one UPDATE per batch, with their SQL type.
PROFILE_COLUMNS = {
    "last_interaction_date": "timestamp",
    "last_interaction_channel_id": "int",
    "interaction_count_12m": "int",
    "inbound_count_12m": "int",
    "last_touch_date": "timestamp",
    "interaction_channel_counts": "jsonb",
    "contact_time_histogram": "jsonb",
    "preferred_channel_computed_id": "int",
    "crm_order_count": "int",
    "crm_order_count_12m": "int",
    "sale_revenue_total": "numeric",
    "sale_revenue_12m": "numeric",
    "average_order_value": "numeric",
    "open_quotation_count": "int",
    "overdue_invoice_amount": "numeric",
    "last_order_date": "timestamp",
}


class ResPartner(models.Model):
    """Batch engine of the customer 360 profile.

    Every measure is computed for a whole batch of customers with one query
    (SQL or _read_group), and written back with one UPDATE; see
    _crm_recompute_profile. Fields are declared in res_partner.py.
    """

    _inherit = "res.partner"

    # ---- Profile recompute ----

    def _crm_mark_profile_dirty(self):
        """Queue the commercial entities of these partners for a background recompute."""
        partner_ids = self.commercial_partner_id.ids
        if not partner_ids:
            return
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = TRUE "
                "WHERE id = ANY(%s) AND crm_profile_dirty IS NOT TRUE",
                partner_ids,
            )
        )
        self.invalidate_model(["crm_profile_dirty"])
        cron = self.env.ref("crm_unified.ir_cron_recompute_profile", raise_if_not_found=False)
        if cron:
            cron._trigger()

    def _crm_write_rows(self, rows, columns, key):
        """Write per-partner values in ONE UPDATE.

        key "commercial_partner_id" spreads a commercial entity's values to its
        contacts, key "id" writes each partner only.
        """
        if not rows:
            return
        column_defs = SQL(", ").join(
            SQL("%s %s", SQL.identifier(name), SQL(sql_type))
            for name, sql_type in [("id", "int"), *columns.items()]
        )
        assignments = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in columns
        )
        self.env.execute_query(
            SQL(
                "UPDATE res_partner p SET %s FROM jsonb_to_recordset(%s::jsonb) AS v(%s) "
                "WHERE p.%s = v.id",
                assignments,
                json.dumps(rows, default=str),
                column_defs,
                SQL.identifier(key),
            )
        )
        self.invalidate_model(list(columns))

    def _crm_recompute_profile(self, rfm=True):
        """Recompute the 360 profile of the commercial entities of these partners.

        A fixed number of queries whatever the batch size: one query per measure
        for the whole batch, one UPDATE for all measures, one for the scores, and
        one set-based RFM statement for all customers (RFM ranks are relative).
        """
        # sudo: the profile is a system aggregate over all the customer's history,
        # the same whoever triggers it; the fields it writes are internal ones.
        self = self.sudo()
        commercial = self.commercial_partner_id
        if not commercial:
            return
        self.env["crm.interaction"].flush_model()
        self.env["sale.order"].flush_model()
        self.flush_model()
        ids = commercial.ids
        values = {pid: self._crm_empty_profile_values(pid) for pid in ids}
        self._crm_profile_interaction_measures(ids, values)
        self._crm_profile_sale_measures(ids, values)
        self._crm_profile_invoice_measures(ids, values)
        for row in values.values():
            orders = row["crm_order_count"]
            row["average_order_value"] = row["sale_revenue_total"] / orders if orders else 0.0
        self._crm_write_rows(list(values.values()), PROFILE_COLUMNS, key="commercial_partner_id")
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = FALSE, crm_profile_date = %s, "
                "preferred_channel_id = COALESCE(preferred_channel_stated_id, "
                "preferred_channel_manual_id, preferred_channel_computed_id) "
                "WHERE commercial_partner_id = ANY(%s)",
                fields.Datetime.now(),
                ids,
            )
        )
        self.invalidate_model(["crm_profile_dirty", "crm_profile_date", "preferred_channel_id"])
        partners = self.with_context(active_test=False).search(
            [("commercial_partner_id", "in", ids)]
        )
        partners._crm_compute_scores()
        if rfm:
            self._crm_compute_rfm()

    @api.model
    def _crm_empty_profile_values(self, partner_id):
        return {
            "id": partner_id,
            "last_interaction_date": None,
            "last_interaction_channel_id": None,
            "interaction_count_12m": 0,
            "inbound_count_12m": 0,
            "last_touch_date": None,
            "interaction_channel_counts": {},
            "contact_time_histogram": {},
            "preferred_channel_computed_id": None,
            "crm_order_count": 0,
            "crm_order_count_12m": 0,
            "sale_revenue_total": 0.0,
            "sale_revenue_12m": 0.0,
            "average_order_value": 0.0,
            "open_quotation_count": 0,
            "overdue_invoice_amount": 0.0,
            "last_order_date": None,
        }

    @api.model
    def _crm_profile_interaction_measures(self, ids, values):
        # sudo: profile figures are aggregates over the whole history, whoever
        # triggers the recompute; no interaction content is exposed.
        Interaction = self.env["crm.interaction"].sudo()
        now = fields.Datetime.now()
        since = now - relativedelta(months=12)
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT ON (commercial_partner_id) commercial_partner_id, date, channel_id"
                " FROM crm_interaction WHERE commercial_partner_id = ANY(%s)"
                " ORDER BY commercial_partner_id, date DESC, id DESC",
                ids,
            )
        )
        for partner_id, date, channel_id in rows:
            values[partner_id]["last_interaction_date"] = date
            values[partner_id]["last_interaction_channel_id"] = channel_id
        domain = [("commercial_partner_id", "in", ids), ("date", ">=", since)]
        groups = Interaction._read_group(
            domain, ["commercial_partner_id", "channel_id"], ["__count"]
        )
        for partner, channel, count in groups:
            row = values[partner.id]
            row["interaction_count_12m"] += count
            counts = row["interaction_channel_counts"]
            counts[channel.code] = counts.get(channel.code, 0) + count
        # The customer's habits (contact times, touch count and last touch for
        # engagement, preferred channel) are learned from the customer's own
        # touches only, never from business events: see _crm_customer_touch_domain.
        groups = Interaction._read_group(
            [*domain, *Interaction._crm_customer_touch_domain()],
            ["commercial_partner_id", "weekday", "hour"],
            ["__count", "date:max"],
        )
        for partner, weekday, hour, count, last_date in groups:
            row = values[partner.id]
            row["inbound_count_12m"] += count
            if not row["last_touch_date"] or last_date > row["last_touch_date"]:
                row["last_touch_date"] = last_date
            if weekday and hour:
                row["contact_time_histogram"][f"{int(weekday)}-{int(hour)}"] = count
        # Preferred channel: sum over the customer's touches of the last 12 months of
        # 0.5 ^ (age in days / half-life), doubled for touch points of a sale order;
        # the highest sum wins, ties go to the channel listed first. The "other"
        # channel says nothing.
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (crm_interaction.commercial_partner_id)
                       crm_interaction.commercial_partner_id, crm_interaction.channel_id
                  FROM crm_interaction
                  JOIN crm_interaction_channel c ON c.id = crm_interaction.channel_id
                 WHERE crm_interaction.commercial_partner_id = ANY(%(ids)s)
                   AND %(touch)s AND crm_interaction.date >= %(since)s
                   AND c.code != 'other'
              GROUP BY crm_interaction.commercial_partner_id, crm_interaction.channel_id,
                       c.sequence
              ORDER BY crm_interaction.commercial_partner_id,
                       SUM(POWER(0.5, EXTRACT(EPOCH FROM (%(now)s - crm_interaction.date))
                                      / 86400.0 / %(half_life)s)
                           * CASE WHEN crm_interaction.res_model = 'sale.order'
                                  THEN %(purchase)s ELSE 1 END
                       ) DESC,
                       c.sequence, crm_interaction.channel_id
                """,
                ids=ids,
                touch=Interaction._crm_customer_touch_sql(),
                since=since,
                now=now,
                half_life=PREFERRED_CHANNEL_HALF_LIFE,
                purchase=PREFERRED_CHANNEL_PURCHASE_WEIGHT,
            )
        )
        for partner_id, channel_id in rows:
            values[partner_id]["preferred_channel_computed_id"] = channel_id

    @api.model
    def _crm_profile_sale_measures(self, ids, values):
        """Confirmed sales in company currency (untaxed amount / order currency rate)."""
        since = fields.Datetime.now() - relativedelta(months=12)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id,
                       COUNT(*) FILTER (WHERE so.state = 'sale'),
                       COUNT(*) FILTER (WHERE so.state = 'sale' AND so.date_order >= %(since)s),
                       COALESCE(SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                                FILTER (WHERE so.state = 'sale'), 0),
                       COALESCE(SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                                FILTER (WHERE so.state = 'sale' AND so.date_order >= %(since)s), 0),
                       MAX(so.date_order) FILTER (WHERE so.state = 'sale'),
                       COUNT(*) FILTER (WHERE so.state IN ('draft', 'sent'))
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE p.commercial_partner_id = ANY(%(ids)s)
              GROUP BY p.commercial_partner_id
                """,
                ids=ids,
                since=since,
            )
        )
        for partner_id, count, count_12m, revenue, revenue_12m, last_date, quotations in rows:
            values[partner_id].update(
                crm_order_count=count,
                crm_order_count_12m=count_12m,
                sale_revenue_total=float(revenue),
                sale_revenue_12m=float(revenue_12m),
                last_order_date=last_date,
                open_quotation_count=quotations,
            )

    @api.model
    def _crm_profile_invoice_measures(self, ids, values):
        # sudo: only the overdue total per customer is read, not the invoices.
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("commercial_partner_id", "in", ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                ],
                ["commercial_partner_id"],
                ["amount_residual_signed:sum"],
            )
        )
        for partner, amount in groups:
            if partner.id in values:
                values[partner.id]["overdue_invoice_amount"] = amount or 0.0

    @api.model
    def _crm_compute_rfm(self):
        """RFM scores and label of every customer, in one set-based statement.

        Per company, over the confirmed orders of the company's RFM period:
        recency = last order date, frequency = number of orders, monetary =
        untaxed revenue in company currency. Each is split into quintiles with
        NTILE(5) (5 = best). Ties share one score: customers whose last order
        is on the same day get the best recency quintile of their group (they
        are equally recent), equal frequencies/amounts get the lowest one (so
        that the mass of one-order customers is not ranked "frequent"). A
        customer buying from several companies is ranked in the company where
        they spent most. The label is the first
        active crm.rfm.label (by sequence) whose ranges contain the three scores.
        Contacts carry the scores of their commercial entity; non-buyers get 0.
        """
        self.env["sale.order"].flush_model()
        self.env["crm.rfm.label"].flush_model()
        self.flush_model(["commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """
                WITH orders AS (
                    SELECT p.commercial_partner_id AS partner_id, so.company_id,
                           MAX(so.date_order) AS last_date, COUNT(*) AS frequency,
                           SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                               AS monetary
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                      JOIN res_company c ON c.id = so.company_id
                     WHERE so.state = 'sale'
                       AND so.date_order >= %(now)s
                           - make_interval(months => COALESCE(c.crm_rfm_months, 24))
                  GROUP BY p.commercial_partner_id, so.company_id
                ), main AS (
                    SELECT DISTINCT ON (partner_id) *
                      FROM orders ORDER BY partner_id, monetary DESC, company_id
                ), ranked AS (
                    SELECT partner_id, company_id, last_date, frequency, monetary,
                           NTILE(5) OVER (PARTITION BY company_id ORDER BY last_date, partner_id)
                               AS r,
                           NTILE(5) OVER (PARTITION BY company_id ORDER BY frequency, partner_id)
                               AS f,
                           NTILE(5) OVER (PARTITION BY company_id ORDER BY monetary, partner_id)
                               AS m
                      FROM main
                ), scored AS (
                    SELECT partner_id,
                           MAX(r) OVER (PARTITION BY company_id, last_date::date) AS r,
                           MIN(f) OVER (PARTITION BY company_id, frequency) AS f,
                           MIN(m) OVER (PARTITION BY company_id, monetary) AS m
                      FROM ranked
                ), labelled AS (
                    SELECT s.partner_id, s.r, s.f, s.m, l.id AS label_id,
                           l.name->>'en_US' AS label_name
                      FROM scored s
                 LEFT JOIN LATERAL (
                        SELECT id, name FROM crm_rfm_label
                         WHERE active
                           AND s.r BETWEEN recency_min AND recency_max
                           AND s.f BETWEEN frequency_min AND frequency_max
                           AND s.m BETWEEN monetary_min AND monetary_max
                      ORDER BY sequence, id LIMIT 1
                    ) l ON TRUE
                )
                UPDATE res_partner p
                   SET rfm_recency = COALESCE(x.r, 0), rfm_frequency = COALESCE(x.f, 0),
                       rfm_monetary = COALESCE(x.m, 0), rfm_label_id = x.label_id,
                       rfm_segment = x.label_name
                  FROM res_partner cp
             LEFT JOIN labelled x ON x.partner_id = cp.id
                 WHERE p.commercial_partner_id = cp.id
                   AND (p.rfm_recency, p.rfm_frequency, p.rfm_monetary, p.rfm_label_id,
                        p.rfm_segment)
                       IS DISTINCT FROM
                       (COALESCE(x.r, 0), COALESCE(x.f, 0), COALESCE(x.m, 0), x.label_id,
                        x.label_name)
                """,
                now=fields.Datetime.now(),
            )
        )
        self.invalidate_model(
            ["rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_label_id", "rfm_segment"]
        )

    @api.model
    def _crm_profile_batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: technical tuning parameter, read only
            .get_param("crm_unified.profile_batch_size", 500)
        )

    @api.model
    def _crm_mark_all_profiles_dirty(self):
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = TRUE "
                "WHERE id = commercial_partner_id AND active AND crm_profile_dirty IS NOT TRUE"
            )
        )
        self.invalidate_model(["crm_profile_dirty"])

    @api.model
    def _cron_recompute_profile(self):
        """Recompute queued profiles by batches, reporting progress to ir.cron.

        Once a day every customer is queued (daily figures such as "last 12
        months" move with time). Each call handles one batch and tells the
        scheduler how many remain, so that it calls again; RFM is recomputed
        once the queue is empty. Safe to run twice: a batch only clears the
        flags it recomputed.
        """
        ICP = self.env["ir.config_parameter"].sudo()  # sudo: cron bookkeeping parameter
        today = fields.Date.to_string(fields.Date.context_today(self))
        if ICP.get_param("crm_unified.profile_full_date") != today:
            self._crm_mark_all_profiles_dirty()
            ICP.set_param("crm_unified.profile_full_date", today)
        Partner = self.with_context(active_test=False)
        batch = Partner.search(
            [("crm_profile_dirty", "=", True)], limit=self._crm_profile_batch_size(), order="id"
        )
        batch._crm_recompute_profile(rfm=False)
        remaining = Partner.search_count([("crm_profile_dirty", "=", True)])
        if not remaining:
            self._crm_compute_rfm()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return True
