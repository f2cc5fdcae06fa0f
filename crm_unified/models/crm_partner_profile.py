from odoo import api, fields, models
from odoo.tools import SQL

# Figures of a profile, as they read on res.partner (same names, same meaning).
# How several companies' profiles combine when a user works in several companies:
# counts and amounts add up (amounts converted into the current company's currency),
# dates take the latest, everything else is the current company's own figure.
PROFILE_SUM_FIELDS = (
    "interaction_count_total",
    "interaction_count_12m",
    "inbound_count_12m",
    "crm_order_count",
    "crm_order_count_12m",
    "open_quotation_count",
)
PROFILE_MONEY_FIELDS = ("sale_revenue_total", "sale_revenue_12m", "overdue_invoice_amount")
PROFILE_MAX_FIELDS = ("last_interaction_date", "last_touch_date", "last_order_date")
# {key: count} figures whose counts add up over several companies.
PROFILE_COUNTER_FIELDS = ("interaction_month_counts",)
PROFILE_COMPANY_FIELDS = (
    "last_interaction_channel_id",
    "interaction_channel_counts",
    "contact_time_histogram",
    "preferred_channel_computed_id",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_label_id",
    "rfm_segment",
    "engagement_score",
    "churn_risk",
)
PROFILE_FIELDS = (
    *PROFILE_SUM_FIELDS,
    *PROFILE_MONEY_FIELDS,
    "average_order_value",
    *PROFILE_MAX_FIELDS,
    *PROFILE_COUNTER_FIELDS,
    *PROFILE_COMPANY_FIELDS,
)
# Figures of the customer's history that new interactions update at once
# (crm.interaction._crm_profile_add_interactions), without a full recompute.
PROFILE_HISTORY_FIELDS = (
    "interaction_count_total",
    "last_interaction_date",
    "last_interaction_channel_id",
    "interaction_count_12m",
    "inbound_count_12m",
    "last_touch_date",
    "interaction_channel_counts",
    "contact_time_histogram",
    "interaction_month_counts",
)
# Calendar months (UTC, current one included) kept in interaction_month_counts.
PROFILE_TREND_MONTHS = 12
# Partner computes that read profile figures (invalidated with them).
PROFILE_DERIVED_COMPUTES = {
    "_compute_crm_profile",
    "_compute_preferred_channel_id",
    "_compute_days_since_last_contact",
    "_compute_rfm_display",
    "_compute_interaction_channel_summary",
    "_compute_best_contact_time_display",
    "_compute_contact_heatmap_html",
    "_compute_rfm_position_html",
    "_compute_channel_trend_html",
    "_compute_interaction_count",
}


class CrmPartnerProfile(models.Model):
    """Customer 360 figures of one customer (commercial entity) in one company.

    Computed only from that company's documents and interactions, amounts in
    that company's currency (each document converted at its own date's rate),
    so that a user reads only figures of records their companies may open.
    Rows are written set-based by res.partner._crm_recompute_profile; the
    figures read on res.partner are computed from the rows of the user's
    current company (companies).
    """

    _name = "crm.partner.profile"
    _description = "Customer Profile per Company"
    _order = "company_id, partner_id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        help="The commercial entity (company, or person without company) the figures belong to.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    last_interaction_date = fields.Datetime(readonly=True)
    last_interaction_channel_id = fields.Many2one("crm.interaction.channel", readonly=True)
    interaction_count_total = fields.Integer(string="Interactions", readonly=True)
    interaction_count_12m = fields.Integer(string="Interactions (12 Months)", readonly=True)
    inbound_count_12m = fields.Integer(string="Customer Touches (12 Months)", readonly=True)
    last_touch_date = fields.Datetime(string="Last Customer Touch", readonly=True)
    interaction_channel_counts = fields.Json(string="Interactions per Channel", readonly=True)
    contact_time_histogram = fields.Json(readonly=True)
    interaction_month_counts = fields.Json(
        readonly=True,
        help="'YYYY-MM:channel id' (calendar month in UTC) -> number of interactions, "
        "for the last 12 months.",
    )
    preferred_channel_computed_id = fields.Many2one(
        "crm.interaction.channel", string="Preferred Channel (History)", readonly=True
    )
    crm_order_count = fields.Integer(string="Confirmed Orders", readonly=True)
    crm_order_count_12m = fields.Integer(string="Confirmed Orders (12 Months)", readonly=True)
    sale_revenue_total = fields.Monetary(string="Revenue", readonly=True, aggregator="sum")
    sale_revenue_12m = fields.Monetary(string="Revenue (12 Months)", readonly=True)
    average_order_value = fields.Monetary(readonly=True, aggregator="avg")
    open_quotation_count = fields.Integer(string="Open Quotations", readonly=True)
    overdue_invoice_amount = fields.Monetary(string="Overdue Invoices", readonly=True)
    last_order_date = fields.Datetime(readonly=True)
    rfm_recency = fields.Integer(string="Recency Score", readonly=True)
    rfm_frequency = fields.Integer(string="Frequency Score", readonly=True)
    rfm_monetary = fields.Integer(string="Monetary Score", readonly=True)
    rfm_label_id = fields.Many2one(
        "crm.rfm.label", string="RFM Segment", readonly=True, index="btree_not_null"
    )
    rfm_segment = fields.Char(string="RFM Segment Name", readonly=True)
    engagement_score = fields.Float(readonly=True, aggregator="avg")
    churn_risk = fields.Boolean(readonly=True)

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one profile per company.",
        ),
    ]

    @api.model
    def _invalidate_figures(self):
        """Forget cached profile rows and the partner figures computed from them."""
        self.invalidate_model()
        Partner = self.env["res.partner"]
        Partner.invalidate_model(
            [
                fname
                for fname, field in Partner._fields.items()
                if fname in PROFILE_FIELDS or field.compute in PROFILE_DERIVED_COMPUTES
            ]
        )

    @api.model
    def _empty_values(self):
        """Figures of a customer without any profile row (nothing bought, no contact)."""
        values = dict.fromkeys(PROFILE_FIELDS, 0)
        values.update(
            dict.fromkeys(PROFILE_MAX_FIELDS, False),
            last_interaction_channel_id=False,
            preferred_channel_computed_id=False,
            rfm_label_id=False,
            rfm_segment=False,
            churn_risk=False,
            interaction_channel_counts={},
            contact_time_histogram={},
            interaction_month_counts={},
        )
        for fname in (*PROFILE_MONEY_FIELDS, "average_order_value", "engagement_score"):
            values[fname] = 0.0
        return values

    @api.model
    def _get_figures(self, partner_ids):
        """Figures per commercial partner for the current company (companies).

        :param partner_ids: ids of commercial partners
        :return: {partner_id: {field name: value}} in env.company's currency;
            relational values are ids. Customers without a row get no key.
        """
        companies = self.env.companies
        company = self.env.company
        # sudo: only rows of the companies the user works in (env.companies is
        # checked by the framework against the user's allowed companies).
        rows = (
            self.sudo()
            .search([("partner_id", "in", list(partner_ids)), ("company_id", "in", companies.ids)])
            .read(["partner_id", "company_id", *PROFILE_FIELDS], load=None)
        )
        today = fields.Date.context_today(self)
        rates = {}
        result = {}
        for row in rows:
            row_company = self.env["res.company"].browse(row["company_id"])
            if row_company not in rates:
                # Several companies' totals: each company total is converted at today's rate
                # (its documents were converted into its currency at their own date).
                rates[row_company] = self.env["res.currency"]._get_conversion_rate(
                    row_company.currency_id, company.currency_id, company, today
                )
            values = result.setdefault(row["partner_id"], self._empty_values())
            own = row["company_id"] == company.id
            for fname in PROFILE_SUM_FIELDS:
                values[fname] += row[fname] or 0
            for fname in PROFILE_MONEY_FIELDS:
                values[fname] += (row[fname] or 0.0) * rates[row_company]
            for fname in PROFILE_MAX_FIELDS:
                if row[fname] and (not values[fname] or row[fname] > values[fname]):
                    values[fname] = row[fname]
            for fname in PROFILE_COUNTER_FIELDS:
                if row[fname]:
                    counter = dict(values[fname])
                    for key, count in row[fname].items():
                        counter[key] = counter.get(key, 0) + count
                    values[fname] = counter
            if own:
                for fname in PROFILE_COMPANY_FIELDS:
                    values[fname] = row[fname] or self._empty_values()[fname]
        for values in result.values():
            orders = values["crm_order_count"]
            values["average_order_value"] = values["sale_revenue_total"] / orders if orders else 0.0
        return result

    @api.model
    def _search_partner_subquery(self, fname, operator, value):
        """SQL of the commercial partner ids whose figure `fname` satisfies the condition.

        Figures that add up over several companies (counts, amounts, dates) are
        compared on the same combination as _get_figures; others on the current
        company's row. Customers without a row are matched by their empty figures.
        """
        company = self.env.company
        companies = self.env.companies
        empty = self.new(self._empty_values())
        default_matches = bool(empty.filtered_domain([(fname, operator, value)]))
        combined = fname in (*PROFILE_SUM_FIELDS, *PROFILE_MONEY_FIELDS, *PROFILE_MAX_FIELDS)
        sql_operators = {"=", "!=", "<", "<=", ">", ">="}
        if combined and len(companies) > 1 and operator in sql_operators and value is not False:
            today = fields.Date.context_today(self)
            rates = SQL(", ").join(
                SQL(
                    "(%s, %s::numeric)",
                    other.id,
                    self.env["res.currency"]._get_conversion_rate(
                        other.currency_id, company.currency_id, company, today
                    ),
                )
                for other in companies
            )
            column = SQL.identifier(fname)
            if fname in PROFILE_MAX_FIELDS:
                aggregate = SQL("MAX(p.%s)", column)
            elif fname in PROFILE_MONEY_FIELDS:
                aggregate = SQL("SUM(p.%s * r.rate)", column)
            else:
                aggregate = SQL("SUM(p.%s)", column)
            condition = SQL("%s %s %s", aggregate, SQL(operator), value)
            if default_matches:
                condition = SQL("NOT COALESCE(%s, FALSE)", condition)
            self.flush_model()
            return SQL(
                "SELECT p.partner_id FROM crm_partner_profile p "
                "JOIN (VALUES %s) AS r(company_id, rate) ON r.company_id = p.company_id "
                "GROUP BY p.partner_id HAVING %s",
                rates,
                condition,
            ), default_matches
        # sudo: the subquery is restricted to the current company's rows.
        Profile = self.sudo().with_context(active_test=False)
        base = [("company_id", "=", company.id)]
        if default_matches:
            query = Profile._search([*base, "!", (fname, operator, value)])
        else:
            query = Profile._search([*base, (fname, operator, value)])
        return query.subselect("partner_id"), default_matches
