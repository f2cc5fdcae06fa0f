from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .crm_campaign_planner import PLANNING_BATCH_SIZE


class CrmCampaign(models.Model):
    _name = "crm.campaign"
    _description = "Marketing Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    utm_campaign_id = fields.Many2one(
        "utm.campaign",
        check_company=True,
        string="UTM Campaign",
        ondelete="restrict",
        copy=False,
        help="Used on every mailing, tracked link and sale order of this campaign, so that "
        "Odoo's attribution works. Created from the campaign name when left empty.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Receives the call tasks of customers who have no salesperson.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("paused", "Paused"), ("done", "Done")],
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    date_start = fields.Date(string="Start", required=True, default=fields.Date.context_today)
    date_end = fields.Date(string="End", required=True)
    rule_ids = fields.One2many("crm.campaign.rule", "campaign_id", string="Rules", copy=True)
    delivery_ids = fields.One2many("crm.campaign.delivery", "campaign_id", string="Deliveries")
    description = fields.Html()

    # ---- Frequency cap ----
    cap_contacts = fields.Integer(
        string="Messages per Customer",
        help="At most this many marketing messages per customer in any rolling period, "
        "counting every campaign and channel, when this campaign sends; on top of the "
        "company cap. 0 means no cap of its own.",
    )
    cap_period_days = fields.Integer(string="Cap Period (days)", default=7)
    rule_count = fields.Integer(compute="_compute_statistics")
    planned_count = fields.Integer(compute="_compute_statistics")
    sent_count = fields.Integer(compute="_compute_statistics")
    skipped_count = fields.Integer(compute="_compute_statistics")
    converted_count = fields.Integer(compute="_compute_statistics")
    revenue = fields.Monetary(compute="_compute_statistics", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.depends("rule_ids", "delivery_ids.state", "delivery_ids.revenue")
    def _compute_statistics(self):
        Delivery = self.env["crm.campaign.delivery"]
        groups = Delivery._read_group(
            [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count", "revenue:sum"]
        )
        stats = {}
        for campaign, state, count, revenue in groups:
            data = stats.setdefault(campaign.id, {"states": {}, "revenue": 0.0})
            data["states"][state] = count
            data["revenue"] += revenue
        sent_states = Delivery._get_sent_states()
        for campaign in self:
            data = stats.get(campaign.id, {"states": {}, "revenue": 0.0})
            states = data["states"]
            campaign.rule_count = len(campaign.rule_ids)
            campaign.planned_count = states.get("planned", 0)
            campaign.sent_count = sum(states.get(state, 0) for state in sent_states)
            campaign.skipped_count = states.get("skipped", 0)
            campaign.converted_count = states.get("converted", 0)
            campaign.revenue = data["revenue"]

    @api.constrains("cap_contacts", "cap_period_days")
    def _check_cap(self):
        for campaign in self:
            if campaign.cap_contacts < 0 or campaign.cap_period_days < 1:
                raise ValidationError(
                    self.env._(
                        "Campaign %(name)s: the cap needs a positive number of messages (or 0 "
                        "for none) and a period of at least one day.",
                        name=campaign.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if (
                campaign.date_end
                and campaign.date_start
                and campaign.date_end < campaign.date_start
            ):
                raise ValidationError(
                    self.env._(
                        "The campaign %(name)s ends before it starts: its end date must be on or "
                        "after its start date.",
                        name=campaign.name,
                    )
                )

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        missing = [vals for vals in vals_list if not vals.get("utm_campaign_id")]
        if missing:
            # The tracking campaign belongs to the same company as the campaign it tracks.
            utm_campaigns = self.env["utm.campaign"].create(
                [
                    {
                        "name": vals.get("name") or self.env._("Campaign"),
                        "company_id": vals.get("company_id") or self.env.company.id,
                    }
                    for vals in missing
                ]
            )
            for vals, utm_campaign in zip(missing, utm_campaigns, strict=True):
                vals["utm_campaign_id"] = utm_campaign.id
        return super().create(vals_list)

    # ---- Actions ----

    def action_activate(self):
        for campaign in self:
            rules = campaign.rule_ids.filtered("active")
            if not rules:
                raise UserError(
                    self.env._(
                        "Campaign %(name)s has no rule: add at least one rule before "
                        "activating it.",
                        name=campaign.name,
                    )
                )
            rules._check_audience_not_empty()
        self.write({"state": "active"})
        return True

    def action_pause(self):
        self.filtered(lambda c: c.state == "active").write({"state": "paused"})
        return True

    def action_done(self):
        self.write({"state": "done"})
        self.delivery_ids.filtered(lambda d: d.state == "planned").write(
            {
                "state": "cancelled",
                **self.env["crm.campaign.delivery"]._failure_values("campaign_closed"),
            }
        )
        return True

    def action_draft(self):
        self.write({"state": "draft"})
        return True

    def action_plan_now(self):
        """Plan the first batch of customers now; the planning cron does the rest."""
        campaigns = self.filtered(lambda c: c.state == "active")
        if not campaigns:
            raise UserError(self.env._("Only active campaigns can be planned."))
        planner = self.env["crm.campaign.planner"]
        for campaign in campaigns:
            planner._plan_campaign_batch(campaign, PLANNING_BATCH_SIZE)
        if any(planner._count_unplanned(campaign) for campaign in campaigns):
            self.env.ref("crm_unified_marketing.ir_cron_plan_deliveries")._trigger()
        return self[:1].action_view_deliveries()

    def action_retry_skipped(self):
        """Forget skipped deliveries so that the next planning run evaluates them again."""
        self.delivery_ids.filtered(lambda d: d.state == "skipped").unlink()
        return True

    def action_dispatch_now(self):
        deliveries = self.env["crm.campaign.delivery"].search(
            [
                ("campaign_id", "in", self.ids),
                ("state", "=", "planned"),
                ("scheduled_date", "<=", fields.Datetime.now()),
            ]
        )
        deliveries._dispatch()
        return True

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_marketing.crm_campaign_delivery_action"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action

    def action_view_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_marketing.crm_campaign_report_action"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        return action

    # ---- Cron ----

    @api.model
    def _cron_plan_deliveries(self, batch_size=PLANNING_BATCH_SIZE):
        """Plan at most ``batch_size`` customers of the active campaigns, then report
        the real number of customers still to plan so that the cron runner commits
        and calls again while some remain.

        Campaigns are taken oldest first; a campaign another worker is planning
        (row locked) is skipped, and the database refuses a second live delivery
        for one customer and campaign, so two runs at once never plan twice.
        Returns the number of customers planned by this call.
        """
        campaigns = self.search(
            [("state", "=", "active"), ("date_end", ">=", fields.Date.context_today(self))],
            order="id",
        )
        planner = self.env["crm.campaign.planner"]
        done = 0
        for campaign in campaigns:
            if done >= batch_size:
                break
            if not campaign._lock_for_planning():
                continue
            done += len(planner._plan_campaign_batch(campaign, batch_size - done))
        campaigns = self.browse(campaigns.ids)  # the planner emptied the cache
        remaining = sum(planner._count_unplanned(campaign) for campaign in campaigns)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _lock_for_planning(self):
        """Lock the campaign row for this transaction; False if another worker holds it."""
        self.ensure_one()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM crm_campaign WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                self.id,
            )
        )
        return bool(rows)
