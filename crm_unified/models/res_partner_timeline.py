import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, split_every

from ..tools.phone import phone_match_key

# How many interactions the "Customer 360" tab of the partner form shows.
TIMELINE_PREVIEW_LIMIT = 10
# Partners whose phone keys are recomputed per flush by _crm_recompute_phone_keys.
PHONE_KEY_BATCH_SIZE = 1000


class ResPartner(models.Model):
    """Customer timeline and matching keys (history side of the customer 360)."""

    _inherit = "res.partner"

    latest_interaction_ids = fields.Many2many(
        "crm.interaction",
        string="Latest Interactions",
        compute="_compute_latest_interaction_ids",
        help="The most recent interactions of the customer and its contacts.",
    )
    crm_last_contact_before = fields.Datetime(
        string="Last Contact Before",
        compute="_compute_crm_last_contact_before",
        search="_search_crm_last_contact_before",
        help="Search only: customers with a history whose newest interaction (of the "
        "customer or its contacts) is older than the given date (UTC).",
    )
    crm_phone_key = fields.Char(
        string="Phone Match Key",
        compute="_compute_crm_phone_keys",
        store=True,
        index=True,
        help="The phone number in full international form (E.164), used to find the "
        "customer exactly; a number without country code is read in the customer's country.",
    )
    crm_mobile_key = fields.Char(
        string="Mobile Match Key",
        compute="_compute_crm_phone_keys",
        store=True,
        index=True,
        help="The mobile number in full international form (E.164).",
    )
    crm_vat_key = fields.Char(
        string="Tax ID Match Key", compute="_compute_crm_vat_key", store=True, index=True
    )

    # ---- Compute methods ----

    def _compute_latest_interaction_ids(self):
        commercial_ids = self.commercial_partner_id.ids
        latest = {}
        if commercial_ids:
            # One query for the whole batch, reading only the newest rows of each
            # customer (index crm_interaction_commercial_partner_date_rules_index): its cost
            # does not grow with the customer's history. Access rules apply: the
            # inner query is built by _search.
            self.env["crm.interaction"].flush_model(["commercial_partner_id", "date"])
            query = self.env["crm.interaction"]._search([])
            table = query.table
            query.add_where(SQL("%s = owner.id", SQL.identifier(table, "commercial_partner_id")))
            query.order = SQL(
                "%s DESC, %s DESC", SQL.identifier(table, "date"), SQL.identifier(table, "id")
            )
            query.limit = TIMELINE_PREVIEW_LIMIT
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT owner.id, latest.id
                      FROM unnest(%(ids)s::int[]) AS owner(id)
                     CROSS JOIN LATERAL (%(latest)s) AS latest(id, date)
                     ORDER BY owner.id, latest.date DESC, latest.id DESC
                    """,
                    ids=commercial_ids,
                    latest=query.select(SQL.identifier(table, "id"), SQL.identifier(table, "date")),
                )
            )
            for commercial_id, interaction_id in rows:
                latest.setdefault(commercial_id, []).append(interaction_id)
        for partner in self:
            partner.latest_interaction_ids = [
                fields.Command.set(latest.get(partner.commercial_partner_id.id, []))
            ]

    def _compute_crm_last_contact_before(self):
        self.crm_last_contact_before = False

    def _search_crm_last_contact_before(self, operator, value):
        """Domain of the commercial entities last contacted before `value` (UTC datetime).

        Evaluated by the database when the list is read: one index probe per
        customer (newest interaction first), no id list in the domain. Only
        the "<" operator is supported; interactions the user cannot read do
        not count.
        """
        if operator != "<" or not value:
            raise ValidationError(self.env._("Unsupported search on the last contact date."))
        limit = fields.Datetime.to_datetime(value)
        self.env["crm.interaction"].flush_model(["commercial_partner_id", "date"])
        self.flush_model(["commercial_partner_id"])
        query = self.env["crm.interaction"]._search([])
        table = query.table
        query.add_where(SQL("%s = customer.id", SQL.identifier(table, "commercial_partner_id")))
        newest = query.select(SQL("max(%s)", SQL.identifier(table, "date")))
        return [
            (
                "id",
                "in",
                SQL(
                    "(SELECT customer.id FROM res_partner customer "
                    "WHERE customer.id = customer.commercial_partner_id AND (%s) < %s)",
                    newest,
                    limit,
                ),
            )
        ]

    @api.depends("phone", "mobile", "country_id", "company_id.country_id")
    def _compute_crm_phone_keys(self):
        for partner in self:
            country = partner.country_id or partner.company_id.country_id
            partner.crm_phone_key = partner._crm_phone_key(partner.phone, country)
            partner.crm_mobile_key = partner._crm_phone_key(partner.mobile, country)

    @api.depends("vat")
    def _compute_crm_vat_key(self):
        for partner in self:
            partner.crm_vat_key = partner._crm_vat_key(partner.vat)

    # ---- Matching helpers ----

    @api.model
    def _crm_phone_key(self, number, country=None):
        """Exact matching key of a phone number (see tools/phone.py).

        :param str number: the number as typed
        :param country: res.country in which a number without country code is
            read; the current company's country when not given
        :return: E.164 string ("+41612345678") or False when it is no phone number
        """
        country = country or self.env.company.country_id
        return phone_match_key(number, country.code)

    @api.model
    def _crm_recompute_phone_keys(self):
        """Recompute the stored phone keys (match keys, blacklist number) of every
        partner that has a number, in batches, after an upgrade that changed how
        they are built (last nine digits before; raw text without phonenumbers).

        :return: number of partners recomputed
        """
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE phone IS NOT NULL OR mobile IS NOT NULL "
                "ORDER BY id"
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        for batch_ids in split_every(PHONE_KEY_BATCH_SIZE, ids):
            partners = self.with_context(active_test=False).browse(batch_ids)
            for fname in ("crm_phone_key", "crm_mobile_key", "crm_phone_sanitized"):
                self.env.add_to_compute(self._fields[fname], partners)
            partners.flush_recordset(["crm_phone_key", "crm_mobile_key", "crm_phone_sanitized"])
            self.env.invalidate_all()
        return len(ids)

    @api.model
    def _crm_vat_key(self, vat):
        key = re.sub(r"[^0-9A-Za-z]", "", vat or "").upper()
        return key or False

    def _crm_filter_customers(self):
        """Partners of `self` that are customers: not internal users nor our companies."""
        if not self:
            return self
        # sudo: users and companies are only read to tell colleagues from customers.
        internal = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", self.ids), ("share", "=", False)])
            .partner_id
        )
        companies = self.env["res.company"].sudo().search([]).partner_id
        return self - internal - companies

    @api.model
    def _crm_customer_partner_sql(self, alias):
        """SQL condition "the partner row `alias` is a customer", as _crm_filter_customers.

        :param str alias: alias of a res_partner row in the query
        :return: odoo.tools.SQL
        """
        table = SQL.identifier(alias)
        return SQL(
            "(NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = %s.id"
            " AND u.share IS NOT TRUE)"
            " AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = %s.id))",
            table,
            table,
        )

    # ---- Actions ----

    def action_crm_log_interaction(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_interaction_log_action"
        )
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_crm_log_call(self):
        action = self.action_crm_log_interaction()
        action["name"] = self.env._("Log a Call")
        action["context"]["default_channel_id"] = self.env.ref(
            "crm_unified.interaction_channel_phone"
        ).id
        return action

    @api.model
    def _crm_action_customers_without_contact(self, days):
        """Customers with a history whose last interaction is older than `days` days."""
        limit_date = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers Without Contact for %(days)s Days", days=days),
            "res_model": "res.partner",
            "view_mode": "list,kanban,form",
            "views": [(False, "list"), (False, "kanban"), (False, "form")],
            # Evaluated by the database when the list is read: no id list.
            "domain": [("crm_last_contact_before", "<", fields.Datetime.to_string(limit_date))],
            "help": self.env._(
                "<p class='o_view_nocontent_smiling_face'>Every customer was contacted recently</p>"
            ),
        }
