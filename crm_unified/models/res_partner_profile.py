from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Preferred channel: half-life (days) of an inbound interaction's weight, and the
# weight of a touch point attached to a sale order (a purchase counts double).
PREFERRED_CHANNEL_HALF_LIFE = 90.0
PREFERRED_CHANNEL_PURCHASE_WEIGHT = 2.0


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

    def _crm_recompute_profile(self, rfm=True, now=None):
        """Recompute the per-company 360 profiles of the commercial entities of these partners.

        :param rfm: also recompute the RFM scores of every customer (ranks are
            relative to all customers of a company)
        :param now: the instant the figures are computed at (naive UTC datetime,
            default: now); "last 12 months" means the 12 calendar months before it

        Set-based: one statement resets the batch's rows, then one
        INSERT ... SELECT ... ON CONFLICT per measure family (interactions,
        contact times, preferred channel, sales, invoices) writes every
        (customer, company) pair of the batch; no value travels through Python
        except the engagement signals (one read per company). The query count
        does not depend on the batch size. RFM (ranks relative to all customers
        of a company) is one more statement over all profiles.
        """
        # sudo: each profile row only holds figures of its own company's records,
        # and is read back only by users of that company (record rule).
        self = self.sudo()
        commercial = self.commercial_partner_id
        if not commercial:
            return
        for model in ("crm.interaction", "sale.order", "account.move", "crm.partner.profile"):
            self.env[model].flush_model()
        self.flush_model()
        ids = commercial.ids
        now = now or fields.Datetime.now()
        Profile = self.env["crm.partner.profile"]
        self.env.execute_query(self._crm_profile_reset_sql(ids))
        for family in self._crm_profile_measure_sql(ids, now=now):
            self.env.execute_query(family)
        Profile._invalidate_figures()
        commercial._crm_compute_scores()
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = FALSE, crm_profile_date = %s "
                "WHERE id = ANY(%s)",
                now,
                ids,
            )
        )
        self.invalidate_model(["crm_profile_dirty", "crm_profile_date"])
        if rfm:
            self._crm_compute_rfm(now=now)

    @api.model
    def _crm_profile_reset_sql(self, ids):
        """Empty figures for the batch's existing rows (measures that vanished go to 0)."""
        return SQL(
            """
            UPDATE crm_partner_profile
               SET last_interaction_date = NULL, last_interaction_channel_id = NULL,
                   interaction_count_12m = 0, inbound_count_12m = 0, last_touch_date = NULL,
                   interaction_channel_counts = '{}'::jsonb, contact_time_histogram = '{}'::jsonb,
                   preferred_channel_computed_id = NULL, crm_order_count = 0,
                   crm_order_count_12m = 0, sale_revenue_total = 0, sale_revenue_12m = 0,
                   average_order_value = 0, open_quotation_count = 0, overdue_invoice_amount = 0,
                   last_order_date = NULL, write_date = %s
             WHERE partner_id = ANY(%s)
            """,
            fields.Datetime.now(),
            ids,
        )

    @api.model
    def _crm_profile_upsert(self, select, columns):
        """INSERT the (partner_id, company_id, *columns) rows of `select`, or UPDATE them."""
        names = SQL(", ").join(SQL.identifier(name) for name in columns)
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in columns
        )
        now = fields.Datetime.now()
        return SQL(
            "INSERT INTO crm_partner_profile (partner_id, company_id, %s, create_uid, "
            "create_date, write_uid, write_date) "
            "SELECT s.*, %s, %s, %s, %s FROM (%s) s "
            "ON CONFLICT (partner_id, company_id) "
            "DO UPDATE SET %s, write_date = EXCLUDED.write_date",
            names,
            self.env.uid,
            now,
            self.env.uid,
            now,
            select,
            updates,
        )

    @api.model
    def _crm_profile_measure_sql(self, ids, now=None):
        """The statements computing each measure family for the commercial partners `ids`.

        :param now: instant of the figures (naive UTC datetime, default: now)

        :return: list of SQL; another addon appends its own family (use
            _crm_profile_upsert with columns of crm.partner.profile).
        """
        now = now or fields.Datetime.now()
        since = now - relativedelta(months=12)
        # The customer's habits (contact times, touch count and last touch for
        # engagement, preferred channel) are learned from the customer's own
        # touches only, never from business events: see _crm_customer_touch_domain.
        touch = self.env["crm.interaction"]._crm_customer_touch_sql()
        interactions = SQL(
            """
            WITH base AS (
                SELECT crm_interaction.id, crm_interaction.commercial_partner_id AS partner_id,
                       crm_interaction.company_id, crm_interaction.date,
                       crm_interaction.channel_id, crm_interaction.weekday,
                       crm_interaction.hour, COALESCE(%(touch)s, FALSE) AS is_touch
                  FROM crm_interaction
                 WHERE crm_interaction.commercial_partner_id = ANY(%(ids)s)
            ), per_channel AS (
                SELECT b.partner_id, b.company_id, jsonb_object_agg(c.code, b.n) AS counts
                  FROM (SELECT partner_id, company_id, channel_id, COUNT(*) AS n FROM base
                         WHERE date >= %(since)s GROUP BY partner_id, company_id, channel_id) b
                  JOIN crm_interaction_channel c ON c.id = b.channel_id
              GROUP BY b.partner_id, b.company_id
            ), per_slot AS (
                SELECT partner_id, company_id, jsonb_object_agg(slot, n) AS histogram
                  FROM (SELECT partner_id, company_id,
                               weekday::int || '-' || hour::int AS slot, COUNT(*) AS n
                          FROM base
                         WHERE date >= %(since)s AND is_touch
                           AND weekday IS NOT NULL AND hour IS NOT NULL
                      GROUP BY 1, 2, 3) s
              GROUP BY partner_id, company_id
            ), totals AS (
                SELECT partner_id, company_id, MAX(date) AS last_date,
                       (ARRAY_AGG(channel_id ORDER BY date DESC, id DESC))[1] AS last_channel,
                       COUNT(*) FILTER (WHERE date >= %(since)s) AS count_12m,
                       COUNT(*) FILTER (WHERE date >= %(since)s AND is_touch) AS inbound_12m,
                       MAX(date) FILTER (WHERE date >= %(since)s AND is_touch) AS last_touch
                  FROM base
              GROUP BY partner_id, company_id
            )
            SELECT t.partner_id, t.company_id, t.last_date, t.last_channel, t.count_12m,
                   t.inbound_12m, t.last_touch, COALESCE(pc.counts, '{}'::jsonb),
                   COALESCE(ps.histogram, '{}'::jsonb)
              FROM totals t
         LEFT JOIN per_channel pc
                ON pc.partner_id = t.partner_id AND pc.company_id = t.company_id
         LEFT JOIN per_slot ps ON ps.partner_id = t.partner_id AND ps.company_id = t.company_id
            """,
            since=since,
            ids=ids,
            touch=touch,
        )
        # Preferred channel: sum over the customer's touches of the last 12 months of
        # 0.5 ^ (age in days / half-life), doubled for touch points of a sale order;
        # the highest sum wins, ties go to the channel listed first. The "other"
        # channel (e.g. an order confirmed with no known channel) says nothing.
        preferred = SQL(
            """
            SELECT DISTINCT ON (crm_interaction.commercial_partner_id, crm_interaction.company_id)
                   crm_interaction.commercial_partner_id, crm_interaction.company_id,
                   crm_interaction.channel_id
              FROM crm_interaction
              JOIN crm_interaction_channel c ON c.id = crm_interaction.channel_id
             WHERE crm_interaction.commercial_partner_id = ANY(%(ids)s) AND %(touch)s
               AND crm_interaction.date >= %(since)s AND c.code != 'other'
          GROUP BY crm_interaction.commercial_partner_id, crm_interaction.company_id,
                   crm_interaction.channel_id, c.sequence
          ORDER BY crm_interaction.commercial_partner_id, crm_interaction.company_id,
                   SUM(POWER(0.5, EXTRACT(EPOCH FROM (%(now)s - crm_interaction.date))
                                  / 86400.0 / %(half_life)s)
                       * CASE WHEN crm_interaction.res_model = 'sale.order'
                              THEN %(purchase)s ELSE 1 END) DESC,
                   c.sequence, crm_interaction.channel_id
            """,
            ids=ids,
            touch=touch,
            since=since,
            now=now,
            half_life=PREFERRED_CHANNEL_HALF_LIFE,
            purchase=PREFERRED_CHANNEL_PURCHASE_WEIGHT,
        )
        # Confirmed sales in the order company's currency: untaxed amount divided by
        # the order's currency rate (the rate of the order date, fixed on the order).
        company_amount = SQL("so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)")
        sales = SQL(
            """
            SELECT p.commercial_partner_id, so.company_id,
                   COUNT(*) FILTER (WHERE so.state = 'sale'),
                   COUNT(*) FILTER (WHERE so.state = 'sale' AND so.date_order >= %(since)s),
                   COALESCE(SUM(%(amount)s) FILTER (WHERE so.state = 'sale'), 0),
                   COALESCE(SUM(%(amount)s) FILTER (WHERE so.state = 'sale'
                                                    AND so.date_order >= %(since)s), 0),
                   COALESCE(SUM(%(amount)s) FILTER (WHERE so.state = 'sale')
                            / NULLIF(COUNT(*) FILTER (WHERE so.state = 'sale'), 0), 0),
                   MAX(so.date_order) FILTER (WHERE so.state = 'sale'),
                   COUNT(*) FILTER (WHERE so.state IN ('draft', 'sent'))
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE p.commercial_partner_id = ANY(%(ids)s) AND so.state IN ('sale', 'draft', 'sent')
          GROUP BY p.commercial_partner_id, so.company_id
            """,
            ids=ids,
            since=since,
            amount=company_amount,
        )
        # Overdue customer invoices: residual in company currency (signed amounts).
        invoices = SQL(
            """
            SELECT commercial_partner_id, company_id, SUM(amount_residual_signed)
              FROM account_move
             WHERE commercial_partner_id = ANY(%s) AND move_type = 'out_invoice'
               AND state = 'posted' AND payment_state IN ('not_paid', 'partial')
               AND invoice_date_due < %s
          GROUP BY commercial_partner_id, company_id
            """,
            ids,
            fields.Date.context_today(self, timestamp=now),
        )
        upsert = self._crm_profile_upsert
        return [
            upsert(
                interactions,
                [
                    "last_interaction_date",
                    "last_interaction_channel_id",
                    "interaction_count_12m",
                    "inbound_count_12m",
                    "last_touch_date",
                    "interaction_channel_counts",
                    "contact_time_histogram",
                ],
            ),
            upsert(preferred, ["preferred_channel_computed_id"]),
            upsert(
                sales,
                [
                    "crm_order_count",
                    "crm_order_count_12m",
                    "sale_revenue_total",
                    "sale_revenue_12m",
                    "average_order_value",
                    "last_order_date",
                    "open_quotation_count",
                ],
            ),
            upsert(invoices, ["overdue_invoice_amount"]),
        ]

    @api.model
    def _crm_compute_rfm(self, now=None):
        """RFM scores and label of every customer profile, in one set-based statement.

        Per company, over the company's confirmed orders of its RFM period:
        recency = last order date, frequency = number of orders, monetary =
        untaxed revenue in company currency. Each is split into quintiles with
        NTILE(5) (5 = best). Ties share one score: customers whose last order
        is on the same day get the best recency quintile of their group (they
        are equally recent), equal frequencies/amounts get the lowest one (so
        that the mass of one-order customers is not ranked "frequent"). The
        label is the first active crm.rfm.label (by sequence) whose ranges
        contain the three scores. Profiles without orders in the period get 0.
        """
        self.env["sale.order"].flush_model()
        self.env["crm.rfm.label"].flush_model()
        self.env["crm.partner.profile"].flush_model()
        self.flush_model(["commercial_partner_id"])
        self.env.execute_query(self._crm_rfm_sql(now or fields.Datetime.now()))
        self.env["crm.partner.profile"]._invalidate_figures()

    @api.model
    def _crm_rfm_score_sql(self, measures):
        """Scores of RFM measures: SELECT partner_id, company_id, r, f, m.

        :param measures: SQL of rows (partner_id, company_id, last_date,
            frequency, monetary), one per customer and company
        :return: SQL; scores are quintiles 1-5 within each company, monotone in
            each measure (a later date, more orders or more revenue never score lower)
        """
        return SQL(
            """
            WITH measures AS (%s), ranked AS (
                SELECT partner_id, company_id, last_date, frequency, monetary,
                       NTILE(5) OVER (PARTITION BY company_id ORDER BY last_date, partner_id) AS r,
                       NTILE(5) OVER (PARTITION BY company_id ORDER BY frequency, partner_id) AS f,
                       NTILE(5) OVER (PARTITION BY company_id ORDER BY monetary, partner_id) AS m
                  FROM measures
            )
            SELECT partner_id, company_id,
                   MAX(r) OVER (PARTITION BY company_id, last_date::date) AS r,
                   MIN(f) OVER (PARTITION BY company_id, frequency) AS f,
                   MIN(m) OVER (PARTITION BY company_id, monetary) AS m
              FROM ranked
            """,
            measures,
        )

    @api.model
    def _crm_rfm_sql(self, now):
        measures = SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, so.company_id,
                   MAX(so.date_order) AS last_date, COUNT(*) AS frequency,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS monetary
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN res_company c ON c.id = so.company_id
             WHERE so.state = 'sale'
               AND so.date_order >= %s - make_interval(months => COALESCE(c.crm_rfm_months, 24))
          GROUP BY p.commercial_partner_id, so.company_id
            """,
            now,
        )
        return SQL(
            """
            WITH scored AS (%s), labelled AS (
                SELECT s.partner_id, s.company_id, s.r, s.f, s.m, l.id AS label_id,
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
            UPDATE crm_partner_profile p
               SET rfm_recency = COALESCE(x.r, 0), rfm_frequency = COALESCE(x.f, 0),
                   rfm_monetary = COALESCE(x.m, 0), rfm_label_id = x.label_id,
                   rfm_segment = x.label_name
              FROM crm_partner_profile pp
         LEFT JOIN labelled x ON x.partner_id = pp.partner_id AND x.company_id = pp.company_id
             WHERE p.id = pp.id
               AND (p.rfm_recency, p.rfm_frequency, p.rfm_monetary, p.rfm_label_id, p.rfm_segment)
                   IS DISTINCT FROM
                   (COALESCE(x.r, 0), COALESCE(x.f, 0), COALESCE(x.m, 0), x.label_id,
                    x.label_name)
            """,
            self._crm_rfm_score_sql(measures),
        )

    @api.model
    def _crm_profile_batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: technical tuning parameter, read only
            .get_param("crm_unified.profile_batch_size", 2000)
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
    def _crm_claim_profile_batch(self, limit):
        """Lock and return up to `limit` queued customers, computed longest ago first.

        Rows locked by another transaction (a concurrent run) are skipped.
        """
        self.flush_model(["crm_profile_dirty", "crm_profile_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE crm_profile_dirty "
                "ORDER BY crm_profile_date NULLS FIRST, id LIMIT %s FOR UPDATE SKIP LOCKED",
                limit,
            )
        )
        return self.with_context(active_test=False).browse([row[0] for row in rows])

    @api.model
    def _cron_recompute_profile(self):
        """Recompute queued profiles by batches, reporting progress to ir.cron.

        Once a day every customer is queued (daily figures such as "last 12
        months" move with time). Each call handles one batch and tells the
        scheduler how many remain, so that it calls again; RFM is recomputed
        once the queue is empty. The batch is the queued customers computed
        longest ago (never computed first), so that none can starve; its rows
        are claimed with FOR UPDATE SKIP LOCKED, so that two runs at once take
        different customers, and a batch only clears the flags it recomputed.
        An error rolls the batch back: its customers stay queued for the rerun.
        """
        ICP = self.env["ir.config_parameter"].sudo()  # sudo: cron bookkeeping parameter
        today = fields.Date.to_string(fields.Date.context_today(self))
        if ICP.get_param("crm_unified.profile_full_date") != today:
            self._crm_mark_all_profiles_dirty()
            ICP.set_param("crm_unified.profile_full_date", today)
        Partner = self.with_context(active_test=False)
        batch = Partner._crm_claim_profile_batch(self._crm_profile_batch_size())
        batch._crm_recompute_profile(rfm=False)
        remaining = Partner.search_count([("crm_profile_dirty", "=", True)])
        if not remaining:
            self._crm_compute_rfm()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return True
