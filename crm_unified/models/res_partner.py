import json
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .crm_interaction import WEEKDAYS

# Preferred channel: half-life (days) of an inbound interaction's weight, and the
# weight of a touch point attached to a sale order (a purchase counts double).
PREFERRED_CHANNEL_HALF_LIFE = 90.0
PREFERRED_CHANNEL_PURCHASE_WEIGHT = 2.0
# Engagement: weights of the built-in signals; signals added by other addons
# without a declared weight get DEFAULT_SIGNAL_WEIGHT.
ENGAGEMENT_WEIGHTS = {"recency": 40.0, "inbound_activity": 30.0, "purchase_activity": 30.0}
DEFAULT_SIGNAL_WEIGHT = 10.0
# Below this engagement score, a buyer silent for longer than the churn delay is at risk.
CHURN_ENGAGEMENT_THRESHOLD = 40.0

# Profile columns written in one UPDATE per batch, with their SQL type.
PROFILE_COLUMNS = {
    "last_interaction_date": "timestamp",
    "last_interaction_channel_id": "int",
    "interaction_count_12m": "int",
    "inbound_count_12m": "int",
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
SCORE_COLUMNS = {"engagement_score": "float8", "churn_risk": "bool"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    interaction_ids = fields.One2many("crm.interaction", "partner_id", string="Interactions")
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    segment_ids = fields.Many2many(
        "crm.segment",
        "crm_segment_partner_rel",
        "partner_id",
        "segment_id",
        string="Segments",
    )

    # ---- Contact preferences ----
    consent_ids = fields.One2many("crm.contact.consent", "partner_id", string="Consents")
    do_not_contact = fields.Boolean(
        tracking=True, help="Never contact this customer for marketing, on any channel."
    )
    quiet_hour_start = fields.Float(
        help="Start of the window (customer's time zone) in which we do not contact them."
    )
    quiet_hour_end = fields.Float(help="End of the quiet window (customer's time zone).")
    preferred_channel_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel",
        compute="_compute_preferred_channel_id",
        inverse="_inverse_preferred_channel_id",
        store=True,
        index="btree_not_null",
        help="The effective preferred channel: the customer's own choice (portal) if any, "
        "else the one set by hand, else the one computed from the history.",
    )
    preferred_channel_computed_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel (History)",
        readonly=True,
        copy=False,
        help="Channel of the customer's inbound interactions (and purchases, counted double) "
        "over the last 12 months, each weighted by 0.5^(age in days / 90).",
    )
    preferred_channel_manual_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel (Set by Hand)",
        help="Overrides the channel computed from the history.",
    )
    preferred_channel_stated_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel (Customer's Choice)",
        help="Chosen by the customer on the portal; wins over everything else.",
    )
    crm_phone_sanitized = fields.Char(
        string="Sanitized Phone",
        compute="_compute_crm_phone_sanitized",
        store=True,
        index="btree_not_null",
        help="Mobile (or else phone) number in E.164 form, matched with the phone blacklist.",
    )

    # ---- Customer 360 profile (written in batch by _crm_recompute_profile) ----
    crm_profile_dirty = fields.Boolean(
        string="Profile To Recompute", readonly=True, copy=False, index="btree_not_null"
    )
    crm_profile_date = fields.Datetime(string="Profile Computed On", readonly=True, copy=False)
    last_interaction_date = fields.Datetime(readonly=True, copy=False)
    last_interaction_channel_id = fields.Many2one(
        "crm.interaction.channel", string="Last Interaction Channel", readonly=True, copy=False
    )
    days_since_last_contact = fields.Integer(
        compute="_compute_days_since_last_contact", search="_search_days_since_last_contact"
    )
    interaction_count_12m = fields.Integer(
        string="Interactions (12 Months)", readonly=True, copy=False
    )
    inbound_count_12m = fields.Integer(
        string="Inbound Interactions (12 Months)", readonly=True, copy=False
    )
    interaction_channel_counts = fields.Json(
        string="Interactions per Channel (12 Months)",
        readonly=True,
        copy=False,
        help="Channel code -> number of interactions over the last 12 months.",
    )
    contact_time_histogram = fields.Json(
        readonly=True,
        copy=False,
        help="'weekday-hour' (Monday = 0, customer's time zone) -> number of inbound "
        "interactions over the last 12 months.",
    )
    crm_order_count = fields.Integer(string="Confirmed Orders", readonly=True, copy=False)
    crm_order_count_12m = fields.Integer(
        string="Confirmed Orders (12 Months)", readonly=True, copy=False
    )
    sale_revenue_total = fields.Monetary(
        string="Revenue", currency_field="currency_id", readonly=True, copy=False
    )
    sale_revenue_12m = fields.Monetary(
        string="Revenue (12 Months)", currency_field="currency_id", readonly=True, copy=False
    )
    average_order_value = fields.Monetary(
        currency_field="currency_id", readonly=True, copy=False
    )
    open_quotation_count = fields.Integer(string="Open Quotations", readonly=True, copy=False)
    overdue_invoice_amount = fields.Monetary(
        string="Overdue Invoices", currency_field="currency_id", readonly=True, copy=False
    )
    last_order_date = fields.Datetime(readonly=True, copy=False)
    rfm_recency = fields.Integer(
        string="Recency Score", readonly=True, copy=False, help="1 (oldest) to 5 (most recent)."
    )
    rfm_frequency = fields.Integer(
        string="Frequency Score", readonly=True, copy=False, help="1 (fewest) to 5 (most orders)."
    )
    rfm_monetary = fields.Integer(
        string="Monetary Score", readonly=True, copy=False, help="1 (lowest) to 5 (highest)."
    )
    rfm_label_id = fields.Many2one(
        "crm.rfm.label", string="RFM Segment", readonly=True, copy=False, index="btree_not_null"
    )
    rfm_segment = fields.Char(
        string="RFM Segment Name",
        readonly=True,
        copy=False,
        help="Untranslated name of the RFM label, stable for filters in other addons.",
    )
    engagement_score = fields.Float(
        readonly=True,
        copy=False,
        aggregator="avg",
        help="0-100: weighted mean of the engagement signals (recency of contact 40, "
        "inbound interactions 30, purchases 30, plus signals of other addons).",
    )
    rfm_display = fields.Char(string="RFM Scores", compute="_compute_rfm_display")
    interaction_channel_summary = fields.Char(
        string="Channels (12 Months)", compute="_compute_interaction_channel_summary"
    )
    best_contact_time_display = fields.Char(
        string="Best Contact Times", compute="_compute_best_contact_time_display"
    )
    churn_risk = fields.Boolean(
        readonly=True,
        copy=False,
        help="A buyer whose last order is older than the churn delay and whose "
        "engagement score is below 40.",
    )

    _sql_constraints = [
        (
            "quiet_hours_range",
            "CHECK(quiet_hour_start >= 0 AND quiet_hour_start <= 24 "
            "AND quiet_hour_end >= 0 AND quiet_hour_end <= 24)",
            "Quiet hours must be between 00:00 and 24:00.",
        ),
    ]

    # ---- Compute methods ----

    def _compute_interaction_count(self):
        # A company's timeline includes its contacts: count on the commercial entity.
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends(
        "preferred_channel_stated_id", "preferred_channel_manual_id", "preferred_channel_computed_id"
    )
    def _compute_preferred_channel_id(self):
        for partner in self:
            partner.preferred_channel_id = (
                partner.preferred_channel_stated_id
                or partner.preferred_channel_manual_id
                or partner.preferred_channel_computed_id
            )

    def _inverse_preferred_channel_id(self):
        for partner in self:
            if partner.preferred_channel_id != partner.preferred_channel_computed_id:
                partner.preferred_channel_manual_id = partner.preferred_channel_id

    @api.depends("mobile", "phone", "country_id")
    def _compute_crm_phone_sanitized(self):
        for partner in self:
            partner.crm_phone_sanitized = (
                partner.mobile and partner._phone_format(fname="mobile")
            ) or (partner.phone and partner._phone_format(fname="phone")) or False

    @api.depends("last_interaction_date")
    def _compute_days_since_last_contact(self):
        now = fields.Datetime.now()
        for partner in self:
            last = partner.last_interaction_date
            partner.days_since_last_contact = (now - last).days if last else 0

    def _search_days_since_last_contact(self, operator, value):
        """Days since contact compare the other way round to the last contact date.

        A customer never contacted counts as "infinitely" long ago.
        """
        if operator not in (">", ">=", "<", "<=", "=") or not isinstance(value, int):
            raise ValidationError(self.env._("Unsupported search on days since last contact."))
        now = fields.Datetime.now()
        limit = now - timedelta(days=value)
        never = [("last_interaction_date", "=", False)]
        if operator == ">":
            return ["|", *never, ("last_interaction_date", "<", limit - timedelta(days=1))]
        if operator == ">=":
            return ["|", *never, ("last_interaction_date", "<=", limit)]
        if operator == "<":
            return [("last_interaction_date", ">", limit)]
        if operator == "<=":
            return [("last_interaction_date", ">=", limit - timedelta(days=1))]
        return [
            ("last_interaction_date", "<=", limit),
            ("last_interaction_date", ">", limit - timedelta(days=1)),
        ]

    @api.depends("rfm_recency", "rfm_frequency", "rfm_monetary")
    def _compute_rfm_display(self):
        for partner in self:
            partner.rfm_display = (
                self.env._(
                    "R %(r)s · F %(f)s · M %(m)s",
                    r=partner.rfm_recency,
                    f=partner.rfm_frequency,
                    m=partner.rfm_monetary,
                )
                if partner.rfm_recency
                else False
            )

    @api.depends("interaction_channel_counts")
    def _compute_interaction_channel_summary(self):
        channels = self.env["crm.interaction.channel"].with_context(active_test=False).search([])
        names = {channel.code: channel.name for channel in channels}
        for partner in self:
            counts = partner.interaction_channel_counts or {}
            partner.interaction_channel_summary = (
                " · ".join(
                    f"{names.get(code, code)} {count}"
                    for code, count in sorted(counts.items(), key=lambda item: -item[1])
                )
                or False
            )

    @api.depends("contact_time_histogram", "quiet_hour_start", "quiet_hour_end")
    def _compute_best_contact_time_display(self):
        field = self.env["crm.interaction"]._fields["weekday"]
        labels = dict(field._description_selection(self.env))
        slots = self._crm_best_contact_slots()
        for partner in self:
            best = slots.get(partner.id, [])[:3]
            partner.best_contact_time_display = (
                ", ".join(f"{labels.get(str(day), WEEKDAYS[day][1])} {hour:02d}:00" for day, hour in best)
                or False
            )

    @api.constrains("quiet_hour_start", "quiet_hour_end")
    def _check_quiet_hours(self):
        for partner in self:
            for value in (partner.quiet_hour_start, partner.quiet_hour_end):
                if not 0 <= value <= 24:
                    raise ValidationError(
                        self.env._("Quiet hours must be between 00:00 and 24:00.")
                    )

    # ---- Consent API ----

    def _crm_get_consent(self, channel_codes):
        """Consent per partner and channel code, in one batch.

        A do-not-contact flag and the mail/phone blacklists count as opt-out
        (the phone blacklist for the sms channel).
        """
        result = {partner.id: dict.fromkeys(channel_codes, "unknown") for partner in self}
        consents = (
            self.env["crm.contact.consent"]
            .sudo()  # sudo: reads only consent states of the given partners
            .search(
                [("partner_id", "in", self.ids), ("channel_id.code", "in", list(channel_codes))]
            )
        )
        for consent in consents:
            result[consent.partner_id.id][consent.channel_id.code] = consent.state
        blacklisted_emails = set()
        if "email" in channel_codes:
            emails = [e for e in self.mapped("email_normalized") if e]
            blacklisted_emails = set(
                self.env["mail.blacklist"]
                .sudo()  # sudo: only reads which of these addresses are blacklisted
                .search([("email", "in", emails)])
                .mapped("email")
            )
        blacklisted_numbers = set()
        if "sms" in channel_codes:
            numbers = [n for n in self.mapped("crm_phone_sanitized") if n]
            blacklisted_numbers = set(
                self.env["phone.blacklist"]
                .sudo()  # sudo: only reads which of these numbers are blacklisted
                .search([("number", "in", numbers)])
                .mapped("number")
            )
        for partner in self:
            if partner.do_not_contact:
                result[partner.id] = dict.fromkeys(channel_codes, "opt_out")
                continue
            if partner.email_normalized and partner.email_normalized in blacklisted_emails:
                result[partner.id]["email"] = "opt_out"
            if partner.crm_phone_sanitized and partner.crm_phone_sanitized in blacklisted_numbers:
                result[partner.id]["sms"] = "opt_out"
        return result

    def _crm_set_consent(self, states, source="manual"):
        """Record consent states {channel_code: state} for all partners, in batch."""
        Consent = self.env["crm.contact.consent"]
        channels = self.env["crm.interaction.channel"].search([("code", "in", list(states))])
        channel_by_code = {channel.code: channel for channel in channels}
        existing = Consent.search(
            [("partner_id", "in", self.ids), ("channel_id", "in", channels.ids)]
        )
        by_key = {(c.partner_id.id, c.channel_id.id): c for c in existing}
        to_create = []
        for code, state in states.items():
            channel = channel_by_code.get(code)
            if not channel:
                raise ValidationError(self.env._("Unknown channel code %(code)s.", code=code))
            to_write = Consent
            for partner in self:
                consent = by_key.get((partner.id, channel.id))
                if consent:
                    if consent.state != state:
                        to_write |= consent
                else:
                    to_create.append(
                        {
                            "partner_id": partner.id,
                            "channel_id": channel.id,
                            "state": state,
                            "source": source,
                        }
                    )
            if to_write:
                to_write.write({"state": state, "source": source})
        return Consent.create(to_create)

    # ---- Best contact time ----

    def _crm_is_quiet_hour(self, hour):
        """True when the hour (0-23, partner's tz) starts inside the quiet window."""
        self.ensure_one()
        start, end = self.quiet_hour_start, self.quiet_hour_end
        if start == end:
            return False
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end

    def _crm_best_contact_slots(self):
        """{partner_id: [(weekday 0-6, hour 0-23), ...]} best first, in the partner's tz.

        Slots come from the inbound-interaction histogram of the last 12 months
        (most interactions first, then earliest in the week); slots inside the
        customer's quiet hours are left out. Empty list without history.
        """
        result = {}
        for partner in self:
            histogram = partner.contact_time_histogram or {}
            slots = []
            for key, count in histogram.items():
                weekday, hour = (int(part) for part in key.split("-"))
                if count and not partner._crm_is_quiet_hour(hour):
                    slots.append((-count, weekday, hour))
            result[partner.id] = [(weekday, hour) for _count, weekday, hour in sorted(slots)]
        return result

    # ---- Engagement ----

    def _crm_engagement_signals(self):
        """{partner_id: {signal_name: value between 0 and 1}}, from stored profile fields.

        Other addons extend it with super() and add their own signals (e.g.
        support satisfaction); give them a weight in _crm_engagement_signal_weights().
        """
        now = fields.Datetime.now()
        result = {}
        for partner in self:
            last = partner.last_interaction_date
            recency = max(0.0, 1.0 - (now - last).days / 180.0) if last else 0.0
            result[partner.id] = {
                "recency": recency,
                "inbound_activity": min(1.0, partner.inbound_count_12m / 12.0),
                "purchase_activity": min(1.0, partner.crm_order_count_12m / 4.0),
            }
        return result

    @api.model
    def _crm_engagement_signal_weights(self):
        return dict(ENGAGEMENT_WEIGHTS)

    def _crm_compute_scores(self):
        """Engagement score and churn risk of partners whose measures are stored.

        engagement = 100 * sum(weight * signal) / sum(weight), signals in [0, 1];
        churn_risk = has bought, last order older than the company's churn delay
        (days) and engagement below 40.
        """
        signals = self._crm_engagement_signals()
        weights = self._crm_engagement_signal_weights()
        now = fields.Datetime.now()
        rows = []
        for partner in self:
            partner_signals = signals.get(partner.id, {})
            total_weight = sum(weights.get(name, DEFAULT_SIGNAL_WEIGHT) for name in partner_signals)
            score = 0.0
            if total_weight:
                score = (
                    100.0
                    * sum(
                        weights.get(name, DEFAULT_SIGNAL_WEIGHT) * max(0.0, min(1.0, value or 0.0))
                        for name, value in partner_signals.items()
                    )
                    / total_weight
                )
            churn_days = (partner.company_id or self.env.company).crm_churn_days or 180
            last_order = partner.last_order_date
            churn = bool(
                last_order
                and (now - last_order).days > churn_days
                and score < CHURN_ENGAGEMENT_THRESHOLD
            )
            rows.append({"id": partner.id, "engagement_score": round(score, 2), "churn_risk": churn})
        self._crm_write_rows(rows, SCORE_COLUMNS, key="id")

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
            domain, ["commercial_partner_id", "channel_id", "direction"], ["__count"]
        )
        for partner, channel, direction, count in groups:
            row = values[partner.id]
            row["interaction_count_12m"] += count
            if direction == "inbound":
                row["inbound_count_12m"] += count
            counts = row["interaction_channel_counts"]
            counts[channel.code] = counts.get(channel.code, 0) + count
        groups = Interaction._read_group(
            [*domain, ("direction", "=", "inbound")],
            ["commercial_partner_id", "weekday", "hour"],
            ["__count"],
        )
        for partner, weekday, hour, count in groups:
            if weekday and hour:
                key = f"{int(weekday)}-{int(hour)}"
                values[partner.id]["contact_time_histogram"][key] = count
        # Preferred channel: sum over inbound interactions of the last 12 months of
        # 0.5 ^ (age in days / half-life), doubled for touch points of a sale order;
        # the highest sum wins, ties go to the channel listed first. The "other"
        # channel (e.g. an order confirmed with no known channel) says nothing.
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (i.commercial_partner_id) i.commercial_partner_id, i.channel_id
                  FROM crm_interaction i
                  JOIN crm_interaction_channel c ON c.id = i.channel_id
                 WHERE i.commercial_partner_id = ANY(%(ids)s)
                   AND i.direction = 'inbound' AND i.date >= %(since)s
                   AND c.code != 'other'
              GROUP BY i.commercial_partner_id, i.channel_id, c.sequence
              ORDER BY i.commercial_partner_id,
                       SUM(POWER(0.5, EXTRACT(EPOCH FROM (%(now)s - i.date)) / 86400.0
                                      / %(half_life)s)
                           * CASE WHEN i.res_model = 'sale.order' THEN %(purchase)s ELSE 1 END
                       ) DESC,
                       c.sequence, i.channel_id
                """,
                ids=ids,
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
        that the mass of one-order customers is not ranked "frequent"). A customer buying from several companies is
        ranked in the company where they spent most. The label is the first
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

    # ---- Actions ----

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_unified.crm_interaction_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id}
        action["display_name"] = self.env._("Customer 360: %(name)s", name=self.display_name)
        return action

    def action_view_crm_sales(self):
        """Confirmed sale orders of the customer and its contacts."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [
            ("partner_id", "child_of", self.commercial_partner_id.id),
            ("state", "=", "sale"),
        ]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_crm_recompute_profile(self):
        """Recompute the profile of the selected customers now (small selections)."""
        self._crm_recompute_profile()
        return True

    def action_view_contact_heatmap(self):
        """Pivot of inbound interactions: weekday x hour, in the customer's time zone."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_interaction_action_contact_heatmap"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("direction", "=", "inbound"),
        ]
        action["display_name"] = self.env._("Contact times: %(name)s", name=self.display_name)
        return action

    def action_view_channel_trend(self):
        """Graph of interactions per month and channel."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_interaction_action_channel_trend"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = self.env._("Interactions per month: %(name)s", name=self.display_name)
        return action

    @api.model
    def action_crm_recompute_all_profiles(self):
        """Queue every customer and let the cron recompute in the background."""
        self.env["crm.rfm.label"].check_access("write")
        self._crm_mark_all_profiles_dirty()
        self.env.ref("crm_unified.ir_cron_recompute_profile")._trigger()
        pending = self.with_context(active_test=False).search_count(
            [("crm_profile_dirty", "=", True)]
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Customer profiles"),
                "message": self.env._(
                    "%(count)s customer profiles are being recomputed in the background. "
                    "Progress is shown in the settings and in the scheduled action.",
                    count=pending,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
