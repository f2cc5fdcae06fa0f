from contextlib import contextmanager

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_partner_profile import PROFILE_HISTORY_FIELDS, PROFILE_TREND_MONTHS

# Preferred channel: half-life (days) of an inbound interaction's weight, and the
# weight of a touch point attached to a sale order (a purchase counts double).
PREFERRED_CHANNEL_HALF_LIFE = 90.0
PREFERRED_CHANNEL_PURCHASE_WEIGHT = 2.0
# Settings of the one big recompute statement, for it only: PostgreSQL's JIT
# compilation costs it more (tens of seconds at 100,000 customers) than it saves,
# and its sorts and hashes of a whole batch spill to disk with the default work_mem.
PROFILE_STATEMENT_SETTINGS = {"jit": "off", "work_mem": "32MB"}


@contextmanager
def profile_statement_settings(env):
    """Apply PROFILE_STATEMENT_SETTINGS to the statements run inside, then restore them."""
    names = list(PROFILE_STATEMENT_SETTINGS)
    previous = env.execute_query(
        SQL(
            "SELECT %s",
            SQL(", ").join(
                SQL("current_setting(%s), set_config(%s, %s, TRUE)", name, name, value)
                for name, value in PROFILE_STATEMENT_SETTINGS.items()
            ),
        )
    )[0][::2]
    # No try/finally: when a statement inside fails (a deadlock, a serialization
    # failure), the transaction is aborted and any query would only hide that error
    # behind InFailedSqlTransaction; the settings are transaction-local (is_local),
    # so the rollback that follows restores them.
    yield
    env.execute_query(
        SQL(
            "SELECT %s",
            SQL(", ").join(
                SQL("set_config(%s, %s, TRUE)", name, value)
                for name, value in zip(names, previous, strict=True)
            ),
        )
    )


class ResPartner(models.Model):
    """Batch engine of the customer 360 profile.

    Every measure is computed for a whole batch of customers with one query
    (SQL or _read_group), and written back with one UPDATE; see
    _crm_recompute_profile. Fields are declared in res_partner.py.
    """

    _inherit = "res.partner"

    # ---- Profile recompute ----

    def _crm_mark_profile_dirty(self, history=True):
        """Queue the commercial entities of these partners for a background recompute.

        :param history: True when their interaction history changed in a way the
            profile rows do not know yet (merge, back-fill, SQL import): the stored
            history figures are then not read until the full recompute (see
            _crm_history_is_current). False when the change was already added to
            the profile rows (crm.interaction._crm_profile_add_interactions).
        """
        partner_ids = self.commercial_partner_id.ids
        if not partner_ids:
            return
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = TRUE%s "
                "WHERE id = ANY(%s) AND (crm_profile_dirty IS NOT TRUE%s)",
                SQL(", crm_profile_history_dirty = TRUE") if history else SQL(),
                partner_ids,
                SQL(" OR crm_profile_history_dirty IS NOT TRUE") if history else SQL(),
            )
        )
        self.invalidate_model(["crm_profile_dirty", "crm_profile_history_dirty"])
        cron = self.env.ref("crm_unified.ir_cron_recompute_profile", raise_if_not_found=False)
        if cron:
            cron._trigger()

    def _crm_history_is_current(self):
        """Partners of `self` whose commercial entity's stored history figures are exact.

        True once a full recompute ran and no change of the history bypassed the
        incremental update since (see _crm_mark_profile_dirty).

        :return: res.partner recordset (subset of self)
        """
        # sudo: only the profile bookkeeping flags are read, to choose where a figure
        # is read from; nothing of them is returned.
        return self.filtered(
            lambda partner: (
                partner.sudo().commercial_partner_id.crm_profile_date
                and not partner.sudo().commercial_partner_id.crm_profile_history_dirty
            )
        )

    def _crm_refresh_card_profile(self):
        """Make the figures of one customer's card current before they are read.

        A queued profile whose history figures are current (a call was just
        logged) gets its document figures (sales, invoices) and scores
        recomputed, in a number of queries and a time that do not depend on the
        interaction history; it stays queued for the full background recompute
        (preferred channel, 12-month windows moving with time). A profile never
        computed, or whose history changed outside the incremental update,
        is recomputed in full.
        """
        self.ensure_one()
        commercial = self.commercial_partner_id
        if not commercial.crm_profile_dirty:
            return
        if not self._crm_lock_profile_partners(commercial.ids, skip_locked=True):
            # The profile cron is recomputing this customer right now: the card reads
            # the stored figures rather than waiting for (or deadlocking with) it.
            return
        if commercial._crm_history_is_current():
            commercial._crm_recompute_profile(rfm=False, history=False)
        else:
            commercial._crm_recompute_profile(rfm=False)

    @api.model
    def _crm_lock_profile_partners(self, partner_ids, skip_locked=False):
        """Lock the res_partner rows of commercial partners before their profile rows are written.

        Every writer of crm_partner_profile rows (the cron's batch, a recompute
        from the card, the incremental update when an interaction is created)
        locks the customer's res_partner row first, in id order, then its
        profile rows: one lock order for everyone, so a request and the profile
        cron wait for each other at most, never deadlock (the cron claims its
        batch with SKIP LOCKED and never waits for a partner row).

        :param partner_ids: ids of commercial partners
        :param skip_locked: skip rows another transaction holds instead of waiting
        :return: list of the ids locked
        :raise psycopg2.errors.SerializationFailure: a row was changed by a
            transaction committed since this one started (Odoo retries the request)
        """
        if not partner_ids:
            return []
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE%s",
                list(partner_ids),
                SQL(" SKIP LOCKED") if skip_locked else SQL(),
            )
        )
        return [row[0] for row in rows]

    def _crm_recompute_profile(self, rfm=True, now=None, history=True):
        """Recompute the per-company 360 profiles of the commercial entities of these partners.

        Set-based end to end: ONE statement computes every measure family,
        the engagement signals and scores (and, with `rfm`, the RFM scores of
        all customers) for every (customer, company) pair of the batch and
        writes them with INSERT ... ON CONFLICT DO UPDATE, changing only rows
        whose figures changed. Nothing is read into Python: the query count and
        the memory do not depend on the batch size.

        :param rfm: also recompute the RFM scores of every customer (ranks are
            relative to all customers of a company)
        :param now: the instant the figures are computed at (naive UTC datetime,
            default: now); "last 12 months" means the 12 calendar months before it
        :param history: False to recompute only the document families and the
            scores, the interaction figures being kept current incrementally
            (crm.interaction._crm_profile_add_interactions); the customers then
            stay queued for the full recompute
        """
        # sudo: each profile row only holds figures of its own company's records,
        # and is read back only by users of that company (record rule).
        self = self.sudo()
        if not self:
            return
        for model in (
            "crm.interaction",
            "sale.order",
            "account.move",
            "crm.partner.profile",
            "crm.rfm.label",
            "res.company",
        ):
            self.env[model].flush_model()
        self.flush_model()
        # The commercial entities read in SQL: no record of the batch is loaded in Python.
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT commercial_partner_id FROM res_partner "
                    "WHERE id = ANY(%s) AND commercial_partner_id IS NOT NULL",
                    self.ids,
                )
            )
        ]
        if not ids:
            return
        now = now or fields.Datetime.now()
        self._crm_lock_profile_partners(ids)
        with profile_statement_settings(self.env):
            self.env.execute_query(self._crm_profile_upsert_sql(ids, now, rfm=rfm, history=history))
        self.env["crm.partner.profile"]._invalidate_figures()
        if not history:
            return
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET crm_profile_dirty = FALSE, "
                "crm_profile_history_dirty = FALSE, crm_profile_date = %s "
                "WHERE id = ANY(%s)",
                now,
                ids,
            )
        )
        self.invalidate_model(
            ["crm_profile_dirty", "crm_profile_history_dirty", "crm_profile_date"]
        )

    @api.model
    def _crm_profile_empty_sql(self, column):
        """SQL of the empty figure of a profile column (a measure with no data)."""
        field = self.env["crm.partner.profile"]._fields[column]
        if field.type == "json":
            return SQL("'{}'::jsonb")
        if field.type in ("integer", "float", "monetary"):
            return SQL("0")
        if field.type == "boolean":
            return SQL("FALSE")
        return SQL("NULL")

    @api.model
    def _crm_profile_upsert_sql(self, ids, now, rfm=False, history=True):
        """The one statement writing the profiles of the commercial partners `ids`.

        Every (customer, company) pair that has a profile row or any measure
        gets all figures: a measure family without rows for the pair gives its
        empty figures (so measures that vanished go to 0). Engagement and churn
        are computed from the new figures in the same statement.

        :param ids: commercial partner ids
        :param now: instant of the figures (naive UTC datetime)
        :param rfm: also write the RFM scores of every customer of the
            companies (batch rows by the insert, the others by an UPDATE of the
            rows whose scores changed)
        :param history: False to keep the stored history figures (read back as
            they are) and recompute the document families only
        :return: SQL
        """
        if history:
            families = self._crm_profile_measure_sql(ids, now=now)
        else:
            families = [
                self._crm_profile_stored_history_sql(ids),
                *self._crm_profile_document_sql(ids, now=now),
            ]
        columns = [column for _select, family_columns in families for column in family_columns]
        ctes = []
        keys = [
            SQL(
                "SELECT partner_id, company_id FROM crm_partner_profile WHERE partner_id = ANY(%s)",
                ids,
            )
        ]
        joins = []
        values = []
        for index, (select, family_columns) in enumerate(families):
            name = SQL.identifier(f"family_{index}")
            names = SQL(", ").join(
                SQL.identifier(column) for column in ["partner_id", "company_id", *family_columns]
            )
            ctes.append(SQL("%s (%s) AS (%s)", name, names, select))
            keys.append(SQL("SELECT partner_id, company_id FROM %s", name))
            joins.append(
                SQL(
                    "LEFT JOIN %s ON %s.partner_id = k.partner_id AND %s.company_id = k.company_id",
                    name,
                    name,
                    name,
                )
            )
            values += [
                SQL(
                    "COALESCE(%s.%s, %s) AS %s",
                    name,
                    SQL.identifier(column),
                    self._crm_profile_empty_sql(column),
                    SQL.identifier(column),
                )
                for column in family_columns
            ]
        ctes.append(SQL("keys AS (%s)", SQL(" UNION ").join(keys)))
        ctes.append(
            SQL(
                "measures AS (SELECT k.partner_id, k.company_id, %s FROM keys k %s)",
                SQL(", ").join(values),
                SQL(" ").join(joins),
            )
        )
        ctes += self._crm_engagement_score_ctes(SQL.identifier("measures"), now)
        score_columns = ["engagement_score", "churn_risk"]
        written = [*columns, *score_columns]
        final = SQL(
            "SELECT m.partner_id, m.company_id, %s, s.engagement_score, s.churn_risk "
            "FROM measures m JOIN scores s "
            "ON s.partner_id = m.partner_id AND s.company_id = m.company_id",
            SQL(", ").join(SQL("m.%s", SQL.identifier(column)) for column in columns),
        )
        if rfm:
            rfm_columns = [
                "rfm_recency",
                "rfm_frequency",
                "rfm_monetary",
                "rfm_label_id",
                "rfm_segment",
            ]
            ctes.append(SQL("rfm AS (%s)", self._crm_rfm_labelled_sql(now)))
            final = SQL(
                "SELECT f.*, COALESCE(x.r, 0), COALESCE(x.f, 0), COALESCE(x.m, 0), x.label_id, "
                "x.label_name FROM (%s) f LEFT JOIN rfm x "
                "ON x.partner_id = f.partner_id AND x.company_id = f.company_id",
                final,
            )
            written += rfm_columns
            # The other customers' RFM scores, in the same statement (disjoint rows).
            ctes.append(
                SQL(
                    "others AS (%s RETURNING 1)",
                    self._crm_rfm_update_sql(SQL.identifier("rfm"), exclude_ids=ids),
                )
            )
        names = SQL(", ").join(SQL.identifier(column) for column in written)
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(column), SQL.identifier(column))
            for column in written
        )
        current = SQL(", ").join(
            SQL("crm_partner_profile.%s", SQL.identifier(column)) for column in written
        )
        new = SQL(", ").join(SQL("EXCLUDED.%s", SQL.identifier(column)) for column in written)
        return SQL(
            """
            WITH %s
            INSERT INTO crm_partner_profile (partner_id, company_id, %s, create_uid,
                   create_date, write_uid, write_date)
            SELECT f.*, %s, %s, %s, %s FROM (%s) f
            ON CONFLICT (partner_id, company_id) DO UPDATE
               SET %s, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
             WHERE (%s) IS DISTINCT FROM (%s)
            """,
            SQL(", ").join(ctes),
            names,
            self.env.uid,
            now,
            self.env.uid,
            now,
            final,
            updates,
            current,
            new,
        )

    @api.model
    def _crm_profile_measure_sql(self, ids, now=None):
        """The measure families of the commercial partners `ids`.

        :param now: instant of the figures (naive UTC datetime, default: now)
        :return: list of (SQL of rows (partner_id, company_id, *columns), columns),
            columns being crm.partner.profile columns; another addon appends its
            own family. A pair missing from a family gets that family's empty figures.
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
            ), per_month AS (
                SELECT partner_id, company_id, jsonb_object_agg(month, n) AS months
                  FROM (SELECT partner_id, company_id,
                               to_char(date, 'YYYY-MM') || ':' || channel_id AS month,
                               COUNT(*) AS n
                          FROM base
                         WHERE date >= %(month_since)s
                      GROUP BY 1, 2, 3) m
              GROUP BY partner_id, company_id
            ), totals AS (
                SELECT partner_id, company_id, COUNT(*) AS count_all, MAX(date) AS last_date,
                       (ARRAY_AGG(channel_id ORDER BY date DESC, id DESC))[1] AS last_channel,
                       COUNT(*) FILTER (WHERE date >= %(since)s) AS count_12m,
                       COUNT(*) FILTER (WHERE date >= %(since)s AND is_touch) AS inbound_12m,
                       MAX(date) FILTER (WHERE date >= %(since)s AND is_touch) AS last_touch
                  FROM base
              GROUP BY partner_id, company_id
            )
            SELECT t.partner_id, t.company_id, t.count_all, t.last_date, t.last_channel,
                   t.count_12m, t.inbound_12m, t.last_touch, COALESCE(pc.counts, '{}'::jsonb),
                   COALESCE(ps.histogram, '{}'::jsonb), COALESCE(pm.months, '{}'::jsonb)
              FROM totals t
         LEFT JOIN per_channel pc
                ON pc.partner_id = t.partner_id AND pc.company_id = t.company_id
         LEFT JOIN per_slot ps ON ps.partner_id = t.partner_id AND ps.company_id = t.company_id
         LEFT JOIN per_month pm ON pm.partner_id = t.partner_id AND pm.company_id = t.company_id
            """,
            since=since,
            month_since=self._crm_trend_since(now),
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
                   SUM(POWER(0.5::float8,
                             EXTRACT(EPOCH FROM (%(now)s - crm_interaction.date))::float8
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
        return [
            (
                interactions,
                list(PROFILE_HISTORY_FIELDS),
            ),
            (preferred, ["preferred_channel_computed_id"]),
            *self._crm_profile_document_sql(ids, now=now),
        ]

    @api.model
    def _crm_profile_stored_history_sql(self, ids):
        """The history family as stored: the profile rows' own history figures.

        Used when only the document figures are recomputed: the history figures
        (kept current by crm.interaction._crm_profile_add_interactions) are
        written back unchanged and feed the engagement scores.

        :return: (SQL of rows (partner_id, company_id, *columns), columns)
        """
        columns = [*PROFILE_HISTORY_FIELDS, "preferred_channel_computed_id"]
        return (
            SQL(
                "SELECT partner_id, company_id, %s FROM crm_partner_profile "
                "WHERE partner_id = ANY(%s)",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                ids,
            ),
            columns,
        )

    @api.model
    def _crm_profile_document_sql(self, ids, now=None):
        """The measure families read from documents (sales, invoices).

        Their cost grows with the customer's documents, not with the interaction
        history: the customer card runs them for a queued profile, see
        _crm_refresh_card_profile.

        :param now: instant of the figures (naive UTC datetime, default: now)
        :return: list of (SQL, columns) as _crm_profile_measure_sql
        """
        now = now or fields.Datetime.now()
        since = now - relativedelta(months=12)
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
        return [
            (
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
            (invoices, ["overdue_invoice_amount"]),
        ]

    @api.model
    def _crm_trend_since(self, now=None):
        """First day (UTC) of the oldest calendar month of the monthly trend.

        :param now: naive UTC datetime (default: now)
        :return: datetime at midnight
        """
        now = now or fields.Datetime.now()
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return first - relativedelta(months=PROFILE_TREND_MONTHS - 1)

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

        :param now: instant of the scores (naive UTC datetime, default: now)
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
    def _crm_rfm_labelled_sql(self, now):
        """RFM scores and label of every customer with orders in its company's RFM period.

        :return: SQL of rows (partner_id, company_id, r, f, m, label_id, label_name)
        """
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
        # The labels are a handful of rows: each score triple is matched once
        # against them in memory (a hash of at most 125 triples), not per customer.
        return SQL(
            """
            WITH scored AS (%s), triples AS (
                SELECT DISTINCT r, f, m FROM scored
            ), labels AS (
                SELECT t.r, t.f, t.m, l.id AS label_id, l.name->>'en_US' AS label_name
                  FROM triples t
             LEFT JOIN LATERAL (
                    SELECT id, name FROM crm_rfm_label
                     WHERE active
                       AND t.r BETWEEN recency_min AND recency_max
                       AND t.f BETWEEN frequency_min AND frequency_max
                       AND t.m BETWEEN monetary_min AND monetary_max
                  ORDER BY sequence, id LIMIT 1
                ) l ON TRUE
            )
            SELECT s.partner_id, s.company_id, s.r, s.f, s.m, l.label_id, l.label_name
              FROM scored s
              JOIN labels l ON l.r = s.r AND l.f = s.f AND l.m = s.m
            """,
            self._crm_rfm_score_sql(measures),
        )

    @api.model
    def _crm_rfm_update_sql(self, scores, exclude_ids=None):
        """UPDATE of the profiles whose RFM scores differ from `scores`.

        :param scores: SQL name of a relation of _crm_rfm_labelled_sql rows;
            profiles without a row there get 0 and no label
        :param exclude_ids: commercial partner ids whose rows are left alone
        :return: SQL (an UPDATE statement)
        """
        excluded = SQL("TRUE")
        if exclude_ids:
            excluded = SQL("NOT pp.partner_id = ANY(%s)", list(exclude_ids))
        return SQL(
            """
            UPDATE crm_partner_profile p
               SET rfm_recency = v.r, rfm_frequency = v.f, rfm_monetary = v.m,
                   rfm_label_id = v.label_id, rfm_segment = v.label_name
              FROM (SELECT pp.id, COALESCE(x.r, 0) AS r, COALESCE(x.f, 0) AS f,
                           COALESCE(x.m, 0) AS m, x.label_id, x.label_name,
                           pp.rfm_recency, pp.rfm_frequency, pp.rfm_monetary,
                           pp.rfm_label_id, pp.rfm_segment
                      FROM crm_partner_profile pp
                 LEFT JOIN %s x ON x.partner_id = pp.partner_id AND x.company_id = pp.company_id
                     WHERE %s) v
             WHERE p.id = v.id
               AND (v.rfm_recency, v.rfm_frequency, v.rfm_monetary, v.rfm_label_id, v.rfm_segment)
                   IS DISTINCT FROM (v.r, v.f, v.m, v.label_id, v.label_name)
            """,
            scores,
            excluded,
        )

    @api.model
    def _crm_rfm_sql(self, now):
        """The statement writing the RFM scores of every profile (see _crm_compute_rfm)."""
        return SQL(
            "WITH rfm AS (%s) %s",
            self._crm_rfm_labelled_sql(now),
            self._crm_rfm_update_sql(SQL.identifier("rfm")),
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
            # The batches were written by earlier transactions that autovacuum may not
            # have analyzed yet (a first full recompute fills an empty table, whose
            # statistics then say 0 rows): fresh statistics keep the RFM join plans right.
            self.env.execute_query(SQL("ANALYZE crm_partner_profile"))
            self._crm_compute_rfm()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return True
