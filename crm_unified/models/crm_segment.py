from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_time


class CrmSegment(models.Model):
    _name = "crm.segment"
    _inherit = ["mail.thread"]
    _description = "Customer Segment"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", index=True, default=lambda self: self.env.company, tracking=True
    )
    description = fields.Text(translate=True)
    segment_type = fields.Selection(
        [("dynamic", "Dynamic (rule)"), ("static", "Static (hand-picked)")],
        string="Type",
        required=True,
        default="dynamic",
        tracking=True,
    )
    domain = fields.Char(
        string="Customer Rule",
        default="[]",
        tracking=True,
        help="Customers matching this rule are members of a dynamic segment.",
    )
    rfm_label_ids = fields.Many2many(
        "crm.rfm.label",
        string="RFM Segments",
        help="When set, only customers in one of these RFM segments are members.",
    )
    min_engagement_score = fields.Float(
        help="When set, only customers with at least this engagement score (0-100) are members."
    )
    churn_filter = fields.Selection(
        [("any", "Any"), ("at_risk", "At risk of churn"), ("safe", "Not at risk")],
        string="Churn Risk",
        required=True,
        default="any",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "crm_segment_partner_rel",
        "segment_id",
        "partner_id",
        string="Members",
        check_company=True,
    )
    member_count = fields.Integer(compute="_compute_member_count")
    last_refresh_date = fields.Datetime(readonly=True, copy=False)
    refresh_state = fields.Selection(
        [("done", "Up to date"), ("queued", "Refreshing in background")],
        default="done",
        required=True,
        readonly=True,
        copy=False,
    )
    color = fields.Integer()

    _sql_constraints = [
        (
            "min_engagement_range",
            "CHECK(min_engagement_score >= 0 AND min_engagement_score <= 100)",
            "The minimum engagement score must be between 0 and 100.",
        ),
    ]

    # ---- Compute methods ----

    def _compute_member_count(self):
        if not self.ids:
            self.member_count = 0
            return
        self.env["crm.segment"].flush_model(["partner_ids"])
        rows = self.env.execute_query(
            SQL(
                "SELECT segment_id, COUNT(*) FROM crm_segment_partner_rel "
                "WHERE segment_id = ANY(%s) GROUP BY segment_id",
                self.ids,
            )
        )
        counts = dict(rows)
        for segment in self:
            segment.member_count = counts.get(segment.id, 0)

    @api.constrains("domain", "segment_type", "rfm_label_ids", "min_engagement_score")
    def _check_domain(self):
        for segment in self.filtered(lambda s: s.segment_type == "dynamic"):
            try:
                self.env["res.partner"].search_count(segment._get_partner_domain(), limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The rule of segment %(name)s is not valid: %(error)s",
                        name=segment.name,
                        error=error,
                    )
                ) from error

    # ---- Business methods ----

    def _get_eval_context(self):
        """Names a rule may use, as in Odoo's own filters (uid, context_today...)."""
        return {
            "uid": self.env.uid,
            "user": self.env.user,
            "time": safe_time,
            "datetime": safe_datetime,
            "relativedelta": relativedelta,
            "context_today": lambda: fields.Date.context_today(self),
        }

    def _get_partner_domain(self):
        self.ensure_one()
        domain = safe_eval(self.domain or "[]", self._get_eval_context())
        if not isinstance(domain, list | tuple):
            raise ValidationError(self.env._("A segment rule must be a list of conditions."))
        domain = list(domain)
        if self.company_id:
            domain += [("company_id", "in", [self.company_id.id, False])]
        if self.rfm_label_ids:
            domain += [("rfm_label_id", "in", self.rfm_label_ids.ids)]
        if self.min_engagement_score:
            domain += [("engagement_score", ">=", self.min_engagement_score)]
        if self.churn_filter == "at_risk":
            domain += [("churn_risk", "=", True)]
        elif self.churn_filter == "safe":
            domain += [("churn_risk", "=", False)]
        return domain

    def _get_member_candidates_domain(self):
        """The rule, plus: only people a campaign may address.

        Invoice, delivery and other addresses are left out unless the rule
        itself asks for an address type (a condition on `type`).
        """
        self.ensure_one()
        domain = self._get_partner_domain()
        mentions_type = any(
            isinstance(leaf, list | tuple) and leaf and leaf[0] == "type" for leaf in domain
        )
        if not mentions_type:
            domain = [*domain, ("type", "not in", ("invoice", "delivery", "other"))]
        return domain

    def _refresh_members(self):
        """Recompute the stored membership of dynamic segments, set-based.

        A member is a customer (commercial entity), counted once: among the
        people of one customer matching the rule, the customer itself is kept
        when it matches, else its first matching contact (lowest id). Profile
        figures in a rule are those of the segment's company (or of the
        current company for a segment shared by all companies).

        Per segment: one DELETE of the members that no longer match and one
        INSERT of the new ones, both driven by the rule's SQL subquery, so that
        no partner id travels through Python.
        """
        Partner = self.env["res.partner"]
        Partner.flush_model()
        self.flush_model()
        now = fields.Datetime.now()
        dynamic = self.filtered(lambda s: s.segment_type == "dynamic")
        for segment in dynamic:
            # sudo: membership is a property of the segment, the same for every
            # user; the company condition of the segment is part of the domain.
            company = segment.company_id or self.env.company
            query = (
                Partner.sudo()
                .with_context(allowed_company_ids=company.ids)
                ._search(segment._get_member_candidates_domain())
            )
            members = SQL(
                "SELECT DISTINCT ON (p.commercial_partner_id) p.id FROM res_partner p "
                "WHERE p.id IN %s ORDER BY p.commercial_partner_id, "
                "(p.id = p.commercial_partner_id) DESC, p.id",
                query.subselect(),
            )
            self.env.execute_query(
                SQL(
                    "DELETE FROM crm_segment_partner_rel "
                    "WHERE segment_id = %s AND partner_id NOT IN (%s)",
                    segment.id,
                    members,
                )
            )
            self.env.execute_query(
                SQL(
                    "INSERT INTO crm_segment_partner_rel (segment_id, partner_id) "
                    "SELECT %s, m.id FROM (%s) m ON CONFLICT DO NOTHING",
                    segment.id,
                    members,
                )
            )
        self.env.execute_query(
            SQL(
                "UPDATE crm_segment SET last_refresh_date = %s, refresh_state = 'done' "
                "WHERE id = ANY(%s)",
                now,
                self.ids,
            )
        )
        self.invalidate_model(["partner_ids", "last_refresh_date", "refresh_state"])
        Partner.invalidate_model(["segment_ids"])
        return True

    @api.model
    def _sync_refresh_limit(self):
        """Above this many matching customers, a refresh runs in the background."""
        return int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: technical tuning parameter, read only
            .get_param("crm_unified.segment_sync_limit", 5000)
        )

    @api.model
    def _claim_queued_segments(self, limit):
        """Lock and return up to `limit` queued segments, refreshed longest ago first.

        Rows locked by another transaction (a concurrent run) are skipped.
        """
        self.flush_model(["refresh_state", "last_refresh_date", "active"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM crm_segment WHERE refresh_state = 'queued' AND active "
                "ORDER BY last_refresh_date NULLS FIRST, id LIMIT %s FOR UPDATE SKIP LOCKED",
                limit,
            )
        )
        return self.browse([row[0] for row in rows])

    @api.model
    def _cron_refresh_segments(self, batch_size=5):
        """Refresh queued segments by batches and report progress to ir.cron.

        Once a day every active dynamic segment is queued. Idempotent: a
        segment refreshed twice gets the same members. The remaining count is
        the real number of queued segments after this batch.
        """
        ICP = self.env["ir.config_parameter"].sudo()  # sudo: cron bookkeeping parameter
        today = fields.Date.to_string(fields.Date.context_today(self))
        if ICP.get_param("crm_unified.segment_full_date") != today:
            self.search([("segment_type", "=", "dynamic")]).write({"refresh_state": "queued"})
            ICP.set_param("crm_unified.segment_full_date", today)
        batch = self._claim_queued_segments(batch_size)
        batch._refresh_members()
        remaining = self.search_count([("refresh_state", "=", "queued")])
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return True

    # ---- Actions ----

    def action_refresh(self):
        """Refresh now, or in the background when the segments are large."""
        dynamic = self.filtered(lambda s: s.segment_type == "dynamic")
        Partner = self.env["res.partner"].sudo()  # sudo: counts only, see _refresh_members
        size = sum(Partner.search_count(s._get_partner_domain()) for s in dynamic)
        if size <= self._sync_refresh_limit():
            self._refresh_members()
            return True
        dynamic.write({"refresh_state": "queued"})
        self.env.ref("crm_unified.ir_cron_refresh_segments")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Segments"),
                "message": self.env._(
                    "Customers matching: %(count)s. The segments are refreshed in the background.",
                    count=size,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_members(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members of %(segment)s", segment=self.name),
            "res_model": "res.partner",
            "view_mode": "list,kanban,form",
            "domain": [("segment_ids", "in", self.ids)],
        }
