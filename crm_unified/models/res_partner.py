from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_date

from .crm_interaction import WEEKDAYS
from .crm_partner_profile import PROFILE_FIELDS, PROFILE_TREND_MONTHS

# Customer analytics are internal: portal and non-CRM users do not read them.
CRM_USER_GROUP = "crm_unified.group_user"
# Engagement: weights of the built-in signals; signals added by other addons
# without a declared weight get DEFAULT_SIGNAL_WEIGHT.
ENGAGEMENT_WEIGHTS = {"recency": 40.0, "inbound_activity": 30.0, "purchase_activity": 30.0}
DEFAULT_SIGNAL_WEIGHT = 10.0
# Below this engagement score, a buyer silent for longer than the churn delay is at risk.
CHURN_ENGAGEMENT_THRESHOLD = 40.0
# Above this many selected customers, "Recompute" goes to the background cron.
SYNC_RECOMPUTE_LIMIT = 200


def _profile_field(fname=None):
    """Attributes of a Customer 360 figure read from the current company's profile.

    With fname, the figure is searchable (through _search_crm_profile_field).
    """
    values = {
        "compute": "_compute_crm_profile",
        "readonly": True,
        "groups": CRM_USER_GROUP,
    }
    if fname:

        def search(records, operator, value):
            return records._search_crm_profile_field(fname, operator, value)

        search.__name__ = f"_search_{fname}"
        values["search"] = search
    return values


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
        compute="_compute_preferred_channel_id",
        inverse="_inverse_preferred_channel_id",
        search="_search_preferred_channel_id",
        help="The effective preferred channel: the customer's own choice (portal) if any, "
        "else the one set by hand, else the one computed from the history (in the "
        "current company).",
    )
    preferred_channel_computed_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel (History)",
        help="Channel of the customer's own touches (those on sale orders counted double) "
        "over the last 12 months in the current company, each weighted by "
        "0.5^(age in days / 90).",
        **_profile_field("preferred_channel_computed_id"),
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
        string="Profile To Recompute",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=CRM_USER_GROUP,
    )
    crm_profile_history_dirty = fields.Boolean(
        string="Profile History Changed",
        readonly=True,
        copy=False,
        groups=CRM_USER_GROUP,
        help="The interaction history changed in a way the profile has not counted yet "
        "(merge, back-fill): its history figures wait for the full recompute.",
    )
    crm_profile_date = fields.Datetime(
        string="Profile Computed On", readonly=True, copy=False, groups=CRM_USER_GROUP
    )
    crm_profile_ids = fields.One2many(
        "crm.partner.profile", "partner_id", string="Profiles per Company", groups=CRM_USER_GROUP
    )
    crm_currency_id = fields.Many2one(
        "res.currency",
        string="Profile Currency",
        compute="_compute_crm_currency_id",
        help="Currency of the current company, in which the profile amounts are shown.",
    )
    last_interaction_date = fields.Datetime(**_profile_field("last_interaction_date"))
    last_interaction_channel_id = fields.Many2one(
        "crm.interaction.channel", **_profile_field("last_interaction_channel_id")
    )
    days_since_last_contact = fields.Integer(
        compute="_compute_days_since_last_contact",
        search="_search_days_since_last_contact",
        groups=CRM_USER_GROUP,
    )
    interaction_count_total = fields.Integer(
        string="Interactions (All Time)", **_profile_field("interaction_count_total")
    )
    interaction_count_12m = fields.Integer(
        string="Interactions (12 Months)", **_profile_field("interaction_count_12m")
    )
    interaction_month_counts = fields.Json(
        string="Interactions per Month and Channel",
        help="'YYYY-MM:channel id' (calendar month in UTC) -> number of interactions over "
        "the last 12 months.",
        **_profile_field(),
    )
    inbound_count_12m = fields.Integer(
        string="Customer Touches (12 Months)",
        help="Contacts the customer initiated over the last 12 months (emails, calls, portal "
        "messages, clicks...); business events such as an order confirmed are not counted.",
        **_profile_field("inbound_count_12m"),
    )
    last_touch_date = fields.Datetime(
        string="Last Customer Touch",
        help="Last contact the customer initiated, within the last 12 months.",
        **_profile_field("last_touch_date"),
    )
    interaction_channel_counts = fields.Json(
        string="Interactions per Channel (12 Months)",
        help="Channel code -> number of interactions over the last 12 months.",
        **_profile_field(),
    )
    contact_time_histogram = fields.Json(
        help="'weekday-hour' (Monday = 0, customer's time zone) -> number of the customer's "
        "own touches over the last 12 months.",
        **_profile_field(),
    )
    crm_order_count = fields.Integer(string="Confirmed Orders", **_profile_field("crm_order_count"))
    crm_order_count_12m = fields.Integer(
        string="Confirmed Orders (12 Months)", **_profile_field("crm_order_count_12m")
    )
    sale_revenue_total = fields.Monetary(
        string="Revenue", currency_field="crm_currency_id", **_profile_field("sale_revenue_total")
    )
    sale_revenue_12m = fields.Monetary(
        string="Revenue (12 Months)",
        currency_field="crm_currency_id",
        **_profile_field("sale_revenue_12m"),
    )
    average_order_value = fields.Monetary(currency_field="crm_currency_id", **_profile_field())
    open_quotation_count = fields.Integer(
        string="Open Quotations", **_profile_field("open_quotation_count")
    )
    overdue_invoice_amount = fields.Monetary(
        string="Overdue Invoices",
        currency_field="crm_currency_id",
        **_profile_field("overdue_invoice_amount"),
    )
    last_order_date = fields.Datetime(**_profile_field("last_order_date"))
    rfm_recency = fields.Integer(
        string="Recency Score",
        help="1 (oldest) to 5 (most recent).",
        **_profile_field("rfm_recency"),
    )
    rfm_frequency = fields.Integer(
        string="Frequency Score",
        help="1 (fewest) to 5 (most orders).",
        **_profile_field("rfm_frequency"),
    )
    rfm_monetary = fields.Integer(
        string="Monetary Score", help="1 (lowest) to 5 (highest).", **_profile_field("rfm_monetary")
    )
    rfm_label_id = fields.Many2one(
        "crm.rfm.label", string="RFM Segment", **_profile_field("rfm_label_id")
    )
    rfm_segment = fields.Char(
        string="RFM Segment Name",
        help="Untranslated name of the RFM label, stable for filters in other addons.",
        **_profile_field("rfm_segment"),
    )
    engagement_score = fields.Float(
        help="0-100: weighted mean of the engagement signals (recency of last customer touch 40, "
        "customer touches 30, purchases 30, plus signals of other addons).",
        **_profile_field("engagement_score"),
    )
    rfm_display = fields.Char(
        string="RFM Scores", compute="_compute_rfm_display", groups=CRM_USER_GROUP
    )
    interaction_channel_summary = fields.Char(
        string="Channels (12 Months)",
        compute="_compute_interaction_channel_summary",
        groups=CRM_USER_GROUP,
    )
    best_contact_time_display = fields.Char(
        string="Best Contact Times",
        compute="_compute_best_contact_time_display",
        groups=CRM_USER_GROUP,
    )
    contact_heatmap_html = fields.Html(
        string="Contact Times Heatmap",
        compute="_compute_contact_heatmap_html",
        sanitize=False,
        groups=CRM_USER_GROUP,
    )
    rfm_position_html = fields.Html(
        string="RFM Position",
        compute="_compute_rfm_position_html",
        sanitize=False,
        groups=CRM_USER_GROUP,
    )
    channel_trend_html = fields.Html(
        string="Monthly Trend per Channel",
        compute="_compute_channel_trend_html",
        sanitize=False,
        groups=CRM_USER_GROUP,
    )
    churn_risk = fields.Boolean(
        help="A buyer whose last order is older than the churn delay and whose "
        "engagement score is below 40.",
        **_profile_field("churn_risk"),
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

    @api.depends_context("company")
    def _compute_crm_currency_id(self):
        self.crm_currency_id = self.env.company.currency_id

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_profile(self):
        """Figures of the commercial entity, from the profiles of the current company.

        With several companies selected, counts and amounts add up (amounts in
        the current company's currency), dates are the latest, scores are the
        current company's; see crm.partner.profile._get_figures.
        """
        Profile = self.env["crm.partner.profile"]
        figures = Profile._get_figures(self.commercial_partner_id.ids)
        empty = Profile._empty_values()
        relational = {
            fname: self.env[self._fields[fname].comodel_name]
            for fname in PROFILE_FIELDS
            if self._fields[fname].type == "many2one"
        }
        for partner in self:
            values = figures.get(partner.commercial_partner_id.id, empty)
            for fname in PROFILE_FIELDS:
                value = values[fname]
                if fname in relational:
                    value = relational[fname].browse(value or ())
                partner[fname] = value

    def _search_crm_profile_field(self, fname, operator, value):
        """Partners whose commercial entity's figure (current company) matches.

        Contacts match with their commercial entity; a segment keeps one person
        per customer (see crm.segment._refresh_members).
        """
        subquery, default_matches = self.env["crm.partner.profile"]._search_partner_subquery(
            fname, operator, value
        )
        self.flush_model(["commercial_partner_id"])
        partners = SQL("(SELECT id FROM res_partner WHERE commercial_partner_id IN (%s))", subquery)
        return [("id", "not in" if default_matches else "in", partners)]

    @api.depends_context("company", "allowed_company_ids")
    def _compute_interaction_count(self):
        """A company's timeline includes its contacts: count on the commercial entity.

        CRM users read the count kept on the profile (companies they work in),
        whose cost does not grow with the history; a profile whose history
        figures are not current, and users without CRM access, count the rows
        they may read.
        """
        stored = self.browse()
        if self.env.user.has_group(CRM_USER_GROUP):
            stored = self._crm_history_is_current()
        for partner in stored:
            partner.interaction_count = partner.interaction_count_total
        live = self - stored
        if not live:
            return
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", live.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in live:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends("preferred_channel_stated_id", "preferred_channel_manual_id")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_preferred_channel_id(self):
        # sudo: the channel from the current company's history is an input of the
        # effective channel, which any user reading the partner may see.
        computed = {p.id: p.preferred_channel_computed_id for p in self.sudo()}
        for partner in self:
            partner.preferred_channel_id = (
                partner.preferred_channel_stated_id
                or partner.preferred_channel_manual_id
                or computed[partner.id]
            )

    def _search_preferred_channel_id(self, operator, value):
        """The customer's choice, else the manual one, else the history's (current company)."""
        stated, manual = "preferred_channel_stated_id", "preferred_channel_manual_id"
        # sudo: same as the compute, the history channel is part of the effective one.
        history = self.sudo()._search_crm_profile_field(
            "preferred_channel_computed_id", operator, value
        )
        return [
            "|",
            "|",
            "&",
            (stated, "!=", False),
            (stated, operator, value),
            "&",
            "&",
            (stated, "=", False),
            (manual, "!=", False),
            (manual, operator, value),
            "&",
            "&",
            (stated, "=", False),
            (manual, "=", False),
            *history,
        ]

    def _inverse_preferred_channel_id(self):
        # sudo: compares with the history channel only, see the compute.
        computed = {p.id: p.preferred_channel_computed_id for p in self.sudo()}
        for partner in self:
            if partner.preferred_channel_id != computed[partner.id]:
                partner.preferred_channel_manual_id = partner.preferred_channel_id

    @api.depends("mobile", "phone", "country_id")
    def _compute_crm_phone_sanitized(self):
        for partner in self:
            partner.crm_phone_sanitized = (
                (partner.mobile and partner._phone_format(fname="mobile"))
                or (partner.phone and partner._phone_format(fname="phone"))
                or False
            )

    @api.depends("last_interaction_date")
    @api.depends_context("company", "allowed_company_ids")
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
    @api.depends_context("company", "allowed_company_ids")
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
    @api.depends_context("company", "allowed_company_ids")
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
    @api.depends_context("company", "allowed_company_ids")
    def _compute_best_contact_time_display(self):
        field = self.env["crm.interaction"]._fields["weekday"]
        labels = dict(field._description_selection(self.env))
        slots = self._crm_best_contact_slots()
        for partner in self:
            best = slots.get(partner.id, [])[:3]
            partner.best_contact_time_display = (
                ", ".join(
                    f"{labels.get(str(day), WEEKDAYS[day][1])} {hour:02d}:00" for day, hour in best
                )
                or False
            )

    @api.depends("contact_time_histogram")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_contact_heatmap_html(self):
        """Weekday x hour table of the customer's own touches, darker = more (customer's tz)."""
        labels = dict(
            self.env["crm.interaction"]._fields["weekday"]._description_selection(self.env)
        )
        for partner in self:
            histogram = partner.contact_time_histogram or {}
            if not histogram:
                partner.contact_heatmap_html = False
                continue
            peak = max(histogram.values())
            head = Markup("").join(
                Markup('<th class="text-center fw-normal">%s</th>')
                % (f"{h:02d}" if h % 3 == 0 else "")
                for h in range(24)
            )
            rows = Markup("")
            for day in range(7):
                # One join per row: 24 cells without re-escaping the growing row.
                cell = Markup(
                    '<td title="%s" style="background-color: rgba(113, 75, 103, %s); '
                    'min-width: 1em; height: 1.2em;"></td>'
                )
                cells = Markup("").join(
                    cell % (count, round(0.1 + 0.9 * count / peak, 2) if count else 0)
                    for count in (histogram.get(f"{day}-{hour}", 0) for hour in range(24))
                )
                rows += Markup('<tr><th class="fw-normal pe-2">%s</th>%s</tr>') % (
                    labels.get(str(day), ""),
                    cells,
                )
            partner.contact_heatmap_html = Markup(
                '<table class="o_crm_unified_heatmap small" style="border-spacing: 2px; '
                'border-collapse: separate;"><thead><tr><th></th>%s</tr></thead>'
                "<tbody>%s</tbody></table>"
            ) % (head, rows)

    @api.depends("rfm_recency", "rfm_frequency", "rfm_monetary")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_rfm_position_html(self):
        """5 x 5 grid, frequency across and recency up, the customer's cell marked."""
        title_f = self.env._("Frequency")
        title_r = self.env._("Recency")
        for partner in self:
            if not partner.rfm_recency:
                partner.rfm_position_html = False
                continue
            rows = Markup("")
            for recency in range(5, 0, -1):
                cells = Markup("")
                for frequency in range(1, 6):
                    mine = (recency, frequency) == (partner.rfm_recency, partner.rfm_frequency)
                    cells += Markup(
                        '<td class="text-center" style="width: 1.8em; height: 1.8em; '
                        'background-color: rgba(1, 126, 132, %s); color: #fff;">%s</td>'
                    ) % (
                        0.9 if mine else round(0.06 * (recency + frequency), 2),
                        Markup("M%s") % partner.rfm_monetary if mine else "",
                    )
                rows += Markup('<tr><th class="fw-normal pe-1">%s</th>%s</tr>') % (recency, cells)
            footer = Markup("").join(
                Markup('<th class="fw-normal text-center">%s</th>') % f for f in range(1, 6)
            )
            partner.rfm_position_html = Markup(
                '<table class="o_crm_unified_rfm small" style="border-spacing: 2px; '
                'border-collapse: separate;"><tbody>%s</tbody><tfoot><tr><th>%s ↑</th>%s</tr>'
                '<tr><th></th><th colspan="5" class="fw-normal text-center">%s →</th></tr>'
                "</tfoot></table>"
            ) % (rows, title_r, footer, title_f)

    def _crm_monthly_trend(self):
        """Interactions per channel and calendar month (UTC) over the last 12 months.

        Read from the profiles (companies the user works in) when their history
        figures are current, else counted from the history in one query.

        :return: (months: list of 12 dates, first day of each month, oldest first;
            {commercial partner: {crm.interaction.channel: {month date: count}}})
        """
        since = self.env["res.partner"]._crm_trend_since().date()
        months = [since + relativedelta(months=i) for i in range(PROFILE_TREND_MONTHS)]
        month_keys = {month.strftime("%Y-%m"): month for month in months}
        data = {}
        current = self._crm_history_is_current()
        # sudo: the profile figures are read as _compute_crm_profile reads them
        # (companies the user works in); counts only, no interaction content.
        stored = {}
        for partner in current.sudo():
            commercial = partner.commercial_partner_id
            by_channel = stored.setdefault(commercial.id, {})
            for key, count in (commercial.interaction_month_counts or {}).items():
                month_key, _sep, channel_id = key.partition(":")
                if month_key in month_keys and count:
                    counts = by_channel.setdefault(int(channel_id), {})
                    counts[month_keys[month_key]] = counts.get(month_keys[month_key], 0) + count
        # One recordset of every channel met: their names and order are read at once.
        channels = (
            self.env["crm.interaction.channel"]
            .with_context(active_test=False)
            .browse({cid for by_channel in stored.values() for cid in by_channel})
        )
        for commercial_id, by_channel in stored.items():
            data[self.browse(commercial_id)] = {
                channels.browse(cid).with_prefetch(channels._prefetch_ids): counts
                for cid, counts in by_channel.items()
            }
        live = (self - current).commercial_partner_id - current.commercial_partner_id
        if live:
            # sudo: only counts per channel and month are shown, no interaction
            # content, and only of the companies the user works in.
            groups = (
                self.env["crm.interaction"]
                .sudo()
                ._read_group(
                    [
                        ("commercial_partner_id", "in", live.ids),
                        ("company_id", "in", self.env.companies.ids),
                        ("date", ">=", fields.Datetime.to_datetime(since)),
                    ],
                    ["commercial_partner_id", "channel_id", "date:month"],
                    ["__count"],
                )
            )
            for commercial, channel, month, count in groups:
                # date:month groups of a Datetime field come as datetimes at midnight
                data.setdefault(commercial, {}).setdefault(channel, {})[month.date()] = count
        return months, data

    @api.depends("interaction_month_counts")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_channel_trend_html(self):
        """Interactions per channel and month over the last 12 months (profile figures)."""
        months, data = self._crm_monthly_trend()
        for partner in self:
            by_channel = data.get(partner.commercial_partner_id)
            if not by_channel:
                partner.channel_trend_html = False
                continue
            peak = max(max(counts.values()) for counts in by_channel.values())
            head = Markup("").join(
                Markup('<th class="text-center fw-normal px-1">%s</th>')
                % format_date(self.env, month, date_format="MMM")
                for month in months
            )
            rows = Markup("")
            for channel in sorted(by_channel, key=lambda c: (c.sequence, c.id)):
                counts = by_channel[channel]
                cell = Markup(
                    '<td class="text-center px-1" '
                    'style="background-color: rgba(1, 126, 132, %s); color: %s;">%s</td>'
                )
                alphas = [
                    round(0.1 + 0.9 * counts.get(month, 0) / peak, 2) if counts.get(month) else 0
                    for month in months
                ]
                cells = Markup("").join(
                    cell % (alpha, "#fff" if alpha > 0.5 else "inherit", counts.get(month) or "")
                    for month, alpha in zip(months, alphas, strict=True)
                )
                rows += Markup('<tr><th class="fw-normal pe-2">%s</th>%s</tr>') % (
                    channel.name,
                    cells,
                )
            partner.channel_trend_html = Markup(
                '<table class="o_crm_unified_trend small" style="border-spacing: 2px; '
                'border-collapse: separate;"><thead><tr><th></th>%s</tr></thead>'
                "<tbody>%s</tbody></table>"
            ) % (head, rows)

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

        Slots come from the histogram of the customer's own touches (12 months)
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

    @api.model
    def _crm_engagement_signal_sql(self, measures, now):
        """Engagement signals, as SQL: rows (partner_id, company_id, name, value).

        Other addons extend it with super() and append their own SELECT (e.g.
        support satisfaction); give the signals a weight in
        _crm_engagement_signal_weights(). A value is between 0 and 1 (clamped),
        NULL means the customer has no such signal.

        :param measures: SQL name of a relation with one row per (partner_id,
            company_id) and the crm.partner.profile figure columns of that company
        :param now: instant of the figures (naive UTC datetime)
        :return: list of SQL
        """
        return [
            SQL(
                """
                SELECT m.partner_id, m.company_id, s.name, s.value
                  FROM %(measures)s m
            CROSS JOIN LATERAL (VALUES
                    ('recency', CASE WHEN m.last_touch_date IS NULL THEN 0.0
                                     ELSE GREATEST(0.0, 1.0 - FLOOR(EXTRACT(EPOCH FROM
                                          %(now)s::timestamp - m.last_touch_date) / 86400.0)
                                          / 180.0) END),
                    ('inbound_activity', LEAST(1.0, COALESCE(m.inbound_count_12m, 0) / 12.0)),
                    ('purchase_activity', LEAST(1.0, COALESCE(m.crm_order_count_12m, 0) / 4.0))
                ) AS s(name, value)
                """,
                measures=measures,
                now=now,
            )
        ]

    @api.model
    def _crm_engagement_signal_weights(self):
        return dict(ENGAGEMENT_WEIGHTS)

    @api.model
    def _crm_engagement_score_ctes(self, measures, now):
        """CTEs `signals` and `scores` (engagement score and churn risk of each row of `measures`).

        engagement = 100 * sum(weight * signal) / sum(weight), signals clamped
        to [0, 1], rounded to 2 decimals; churn_risk = has bought, last order
        more whole days ago than the company's churn delay, and engagement
        below 40. Signals without a declared weight weigh DEFAULT_SIGNAL_WEIGHT.

        :param measures: SQL name of the relation (see _crm_engagement_signal_sql)
        :param now: instant of the figures (naive UTC datetime)
        :return: list of SQL (CTE definitions)
        """
        weights = SQL(", ").join(
            SQL("(%s, %s::float8)", name, weight)
            for name, weight in self._crm_engagement_signal_weights().items()
        )
        signals = SQL(" UNION ALL ").join(self._crm_engagement_signal_sql(measures, now))
        return [
            SQL("signals AS (%s)", signals),
            SQL(
                """
                scores AS (
                    SELECT m.partner_id, m.company_id,
                           ROUND(COALESCE(e.score, 0)::numeric, 2)::float8 AS engagement_score,
                           (m.last_order_date IS NOT NULL
                            AND FLOOR(EXTRACT(EPOCH FROM %(now)s::timestamp - m.last_order_date)
                                      / 86400.0) > COALESCE(NULLIF(c.crm_churn_days, 0), 180)
                            AND COALESCE(e.score, 0) < %(threshold)s) AS churn_risk
                      FROM %(measures)s m
                      JOIN res_company c ON c.id = m.company_id
                 LEFT JOIN (
                        SELECT s.partner_id, s.company_id,
                               100.0 * SUM(COALESCE(w.weight, %(default)s)
                                           * LEAST(1.0, GREATEST(0.0, COALESCE(s.value, 0.0))))
                               / NULLIF(SUM(COALESCE(w.weight, %(default)s)), 0) AS score
                          FROM signals s
                     LEFT JOIN (VALUES %(weights)s) AS w(name, weight) ON w.name = s.name
                      GROUP BY s.partner_id, s.company_id
                    ) e ON e.partner_id = m.partner_id AND e.company_id = m.company_id
                )
                """,
                measures=measures,
                now=now,
                threshold=CHURN_ENGAGEMENT_THRESHOLD,
                default=DEFAULT_SIGNAL_WEIGHT,
                weights=weights,
            ),
        ]

    def _crm_engagement_signals(self):
        """{partner_id: {signal_name: value}} of these partners' commercial entities,
        from the current company's stored profile (see _crm_engagement_signal_sql).

        Customers without a profile row read empty figures.
        """
        self.env["crm.partner.profile"].flush_model()
        commercial = self.commercial_partner_id
        figures = SQL(
            """
            SELECT p.id AS partner_id, %(company)s AS company_id, pr.last_touch_date,
                   pr.inbound_count_12m, pr.crm_order_count_12m, pr.last_order_date
              FROM unnest(%(ids)s::int[]) AS p(id)
         LEFT JOIN crm_partner_profile pr ON pr.partner_id = p.id AND pr.company_id = %(company)s
            """,
            ids=commercial.ids,
            company=self.env.company.id,
        )
        rows = self.env.execute_query(
            SQL(
                "WITH measures AS (%s) %s",
                figures,
                SQL(" UNION ALL ").join(
                    self._crm_engagement_signal_sql(
                        SQL.identifier("measures"), fields.Datetime.now()
                    )
                ),
            )
        )
        by_commercial = {}
        for partner_id, _company_id, name, value in rows:
            if value is not None:
                by_commercial.setdefault(partner_id, {})[name] = value
        return {
            partner.id: by_commercial[partner.commercial_partner_id.id]
            for partner in self
            if partner.commercial_partner_id.id in by_commercial
        }

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
        """Recompute the selected profiles now, or in the background for big selections."""
        if len(self) <= SYNC_RECOMPUTE_LIMIT:
            self._crm_recompute_profile()
            return True
        self._crm_mark_profile_dirty()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Customer profiles"),
                "message": self.env._(
                    "Customer profiles being recomputed in the background: %(count)s.",
                    count=len(self.commercial_partner_id),
                ),
            },
        }

    def action_view_contact_heatmap(self):
        """Pivot of the customer's own touches: weekday x hour, in the customer's time zone."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_interaction_action_contact_heatmap"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            *self.env["crm.interaction"]._crm_customer_touch_domain(),
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
        action["display_name"] = self.env._(
            "Interactions per month: %(name)s", name=self.display_name
        )
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
                    "Customer profiles being recomputed in the background: %(count)s. "
                    'The settings and the customer filter "Profile Being Recomputed" '
                    "show how many are still waiting.",
                    count=pending,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
