from collections import Counter

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.osv import expression

from ..models import crm_campaign_planner

# Audiences larger than this are computed in the background, batch by batch.
DEFAULT_SYNC_LIMIT = 5000


class CrmCampaignRuleDryRun(models.TransientModel):
    """What a rule would do if planned now, computed without writing any delivery.

    The rule is evaluated on its own (other rules of the campaign are ignored),
    with the same planner as the real run: consent, channel, send time and cap.
    Large audiences are computed by a cron, one planning batch per call, and the
    form shows the progress.
    """

    _name = "crm.campaign.rule.dry.run"
    _description = "Campaign Rule Dry Run"

    rule_id = fields.Many2one("crm.campaign.rule", required=True, ondelete="cascade")
    campaign_id = fields.Many2one(related="rule_id.campaign_id")
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running in background"), ("done", "Done")],
        default="draft",
        required=True,
        readonly=True,
    )
    progress_done = fields.Integer(readonly=True)
    progress_total = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress")
    planned_count = fields.Integer(readonly=True)
    planned_cost = fields.Float(readonly=True)
    audience_count = fields.Integer(string="Audience", readonly=True)
    reach_count = fields.Integer(string="Would Be Reached", readonly=True)
    skipped_count = fields.Integer(string="Would Be Skipped", readonly=True)
    postponed_count = fields.Integer(
        string="Postponed by a Cap",
        readonly=True,
        help="Customers who would be reached later than their preferred time because of a "
        "contact cap (company, channel, campaign or rule).",
    )
    already_planned_count = fields.Integer(
        string="Already Planned",
        readonly=True,
        help="Customers of the rule's segments who already have a live delivery (planned or "
        "sent) in this campaign: the planner skips them, so they are not in the audience.",
    )
    line_ids = fields.One2many("crm.campaign.rule.dry.run.line", "dry_run_id", readonly=True)
    reach_line_ids = fields.One2many(
        "crm.campaign.rule.dry.run.line",
        "dry_run_id",
        domain=[("kind", "=", "reach")],
        readonly=True,
    )
    skipped_line_ids = fields.One2many(
        "crm.campaign.rule.dry.run.line",
        "dry_run_id",
        domain=[("kind", "=", "skipped")],
        readonly=True,
    )

    @api.depends("progress_done", "progress_total")
    def _compute_progress(self):
        for dry_run in self:
            total = dry_run.progress_total
            dry_run.progress = 100.0 * dry_run.progress_done / total if total else 100.0

    # ---- Computation ----

    def action_compute(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write(
            {
                "state": "draft",
                "progress_done": 0,
                "progress_total": 0,
                "planned_count": 0,
                "planned_cost": 0.0,
                "reach_count": 0,
                "skipped_count": 0,
                "postponed_count": 0,
                "audience_count": 0,
                "already_planned_count": self._count_already_planned(),
            }
        )
        context = self._prepare_plan()
        if not context:
            self.state = "done"
            return True
        self.progress_total = len(context[2])
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()  # sudo: reads one technical setting
            .get_param("crm_unified_marketing.dry_run_sync_limit", DEFAULT_SYNC_LIMIT)
        )
        if self.progress_total > limit:
            self.state = "running"
            self.env.ref("crm_unified_marketing.ir_cron_dry_run")._trigger()
            return True
        while self.state != "done":
            self._compute_next_batch(context)
        return True

    def _prepare_plan(self):
        return self.env["crm.campaign.planner"]._prepare_plan(
            self.rule_id.campaign_id, rules=self.rule_id
        )

    def _count_already_planned(self):
        """Number of customers of the rule's segments with a live delivery (not cancelled
        nor failed) in the rule's campaign: those the planner leaves out. One query."""
        self.ensure_one()
        rule = self.rule_id
        Delivery = self.env["crm.campaign.delivery"]
        Delivery.flush_model(["campaign_id", "partner_id", "state"])
        planned = Delivery._search(
            [
                ("campaign_id", "=", rule.campaign_id.id),
                ("state", "not in", ("cancelled", "failed")),
            ]
        )
        domain = expression.AND(
            [rule._get_partner_domain(), [("id", "in", planned.subselect("partner_id"))]]
        )
        return self.env["res.partner"].search_count(domain)

    def _compute_next_batch(self, context=None):
        """Plan the next batch of the audience (in memory) and add it to the results."""
        self.ensure_one()
        context = context or self._prepare_plan()
        if not context:
            self.state = "done"
            return
        rules, _audiences, partner_ids, state = context
        rule_id = self.rule_id.id
        # earlier batches of this dry run count against the rule's limits
        state = {
            **state,
            "used": {rule_id: state["used"].get(rule_id, 0) + self.planned_count},
            "spent": {rule_id: state["spent"].get(rule_id, 0.0) + self.planned_cost},
        }
        size = crm_campaign_planner.PLANNING_BATCH_SIZE
        batch_ids = partner_ids[self.progress_done : self.progress_done + size]
        planner = self.env["crm.campaign.planner"]
        values = (
            planner._plan_batch_values(rules.campaign_id, rules, batch_ids, state)
            if batch_ids
            else []
        )
        self._add_results(values, state["default_tz"])
        done = self.progress_done + len(batch_ids)
        self.write(
            {
                "progress_done": done,
                "state": "done" if done >= len(partner_ids) else self.state,
            }
        )

    def _add_results(self, values, default_tz="UTC"):
        """Add planned ``values`` to the lines: reached customers per channel, hour of
        the customer's own clock (kept in UTC in ``scheduled_date``) and time zone;
        skipped ones per channel and reason. ``default_tz`` is the zone of customers
        who have none."""
        reached, skipped = Counter(), Counter()
        planned = [vals for vals in values if vals["state"] == "planned"]
        # the planner fetched these customers already: reading tz costs no query
        partners = self.env["res.partner"].browse([vals["partner_id"] for vals in planned])
        tz_by_partner = {partner.id: partner.tz or default_tz for partner in partners}
        for vals in planned:
            tz_name = tz_by_partner[vals["partner_id"]]
            moment = self._truncate_to_local_hour(vals["scheduled_date"], tz_name)
            reached[(vals["channel_id"] or False, (moment, tz_name))] += 1
        for vals in values:
            if vals["state"] != "planned":
                skipped[(vals["channel_id"] or False, vals["skip_reason"])] += 1
        existing = {}
        for line in self.line_ids:
            if line.kind == "reach":
                existing[("reach", line.channel_id.id, (line.scheduled_date, line.tz))] = line
            else:
                existing[("skipped", line.channel_id.id, line.skip_reason)] = line
        creates = []
        for kind, counter in (("reach", reached), ("skipped", skipped)):
            for (channel_id, detail), count in counter.items():
                line = existing.get((kind, channel_id, detail))
                if line:
                    line.count += count
                    continue
                vals = {"kind": kind, "channel_id": channel_id, "count": count}
                if kind == "reach":
                    vals["scheduled_date"], vals["tz"] = detail
                else:
                    vals["skip_reason"] = detail
                creates.append(vals)
        self.write(
            {
                "line_ids": [fields.Command.create(vals) for vals in creates],
                "planned_count": self.planned_count + len(planned),
                "planned_cost": self.planned_cost + sum(vals.get("cost", 0.0) for vals in planned),
                "reach_count": self.reach_count + sum(reached.values()),
                "skipped_count": self.skipped_count + sum(skipped.values()),
                "postponed_count": self.postponed_count
                + sum(1 for vals in planned if vals.get("cap_postponed_by")),
                "audience_count": self.audience_count + len(values),
            }
        )

    @staticmethod
    def _truncate_to_local_hour(scheduled, tz_name):
        """Naive UTC ``scheduled`` cut to the start of its hour on the clock of
        ``tz_name`` (zones with half-hour offsets included), returned as naive UTC."""
        try:
            tz = pytz.timezone(tz_name or "UTC")
        except pytz.UnknownTimeZoneError:
            tz = pytz.utc
        local = pytz.utc.localize(scheduled).astimezone(tz)
        return scheduled - (local - local.replace(minute=0, second=0, microsecond=0))

    @api.model
    def _cron_process_dry_runs(self):
        """Advance background dry runs by one planning batch per call."""
        dry_run = self.search([("state", "=", "running")], order="id", limit=1)
        if dry_run:
            dry_run._compute_next_batch()
        remaining = self.search_count([("state", "=", "running")])
        self.env["ir.cron"]._notify_progress(done=len(dry_run), remaining=remaining)
        if remaining:
            self.env.ref("crm_unified_marketing.ir_cron_dry_run")._trigger()
        return True

    # ---- Actions ----

    def _get_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dry Run: %(rule)s", rule=self.rule_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_refresh(self):
        return self._get_action()

    def action_view_chart(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dry Run Chart: %(rule)s", rule=self.rule_id.name),
            "res_model": "crm.campaign.rule.dry.run.line",
            "view_mode": "graph,list",
            "domain": [("dry_run_id", "=", self.id)],
            "context": {"search_default_filter_reach": 1},
            "help": self._get_empty_chart_help(),
        }

    def _get_empty_chart_help(self):
        """HTML shown by the chart when no customer would be reached, saying why."""
        self.ensure_one()
        if self.already_planned_count and not self.audience_count:
            why = self.env._(
                "Customers of this rule who already have a delivery planned or sent in "
                "this campaign: %(count)s. The planner does not plan them twice.",
                count=self.already_planned_count,
            )
        elif not self.audience_count:
            why = self.env._(
                "No customer can be planned by this rule now: check its segments and the "
                "campaign's dates."
            )
        else:
            why = self.env._(
                "Every customer would be skipped: remove the 'Would be reached' filter "
                "and group by skip reason to see why."
            )
        return Markup('<p class="o_view_nocontent_empty_folder">%s</p><p>%s</p>') % (
            self.env._("No customer would be reached by this rule now"),
            why,
        )

    def action_activate_rule(self):
        """Activate the rule's campaign once the dry run looks right."""
        self.ensure_one()
        self.rule_id.active = True
        if self.rule_id.campaign_id.state != "active":
            self.rule_id.campaign_id.action_activate()
        return {"type": "ir.actions.act_window_close"}
