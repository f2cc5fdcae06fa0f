from collections import Counter

from odoo import fields, models


class CrmCampaignRuleDryRun(models.TransientModel):
    """What a rule would do if planned now, computed without writing any delivery.

    The rule is evaluated on its own (other rules of the campaign are ignored),
    with the same planner as the real run: consent, channel, send time and cap.
    """

    _name = "crm.campaign.rule.dry.run"
    _description = "Campaign Rule Dry Run"

    rule_id = fields.Many2one("crm.campaign.rule", required=True, ondelete="cascade")
    campaign_id = fields.Many2one(related="rule_id.campaign_id")
    audience_count = fields.Integer(string="Audience", readonly=True)
    reach_count = fields.Integer(string="Would Be Reached", readonly=True)
    skipped_count = fields.Integer(string="Would Be Skipped", readonly=True)
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

    def action_compute(self):
        self.ensure_one()
        planner = self.env["crm.campaign.planner"]
        reached, skipped = Counter(), Counter()
        for batch in planner._compute_plan(self.rule_id.campaign_id, rules=self.rule_id):
            for vals in batch:
                if vals["state"] == "planned":
                    moment = vals["scheduled_date"].replace(minute=0, second=0, microsecond=0)
                    reached[(vals["channel_id"], moment)] += 1
                else:
                    skipped[(vals["channel_id"], vals["skip_reason"])] += 1
        lines = [
            {"kind": "reach", "channel_id": channel_id, "scheduled_date": moment, "count": count}
            for (channel_id, moment), count in sorted(reached.items(), key=lambda i: i[0][1])
        ]
        lines += [
            {"kind": "skipped", "channel_id": channel_id, "skip_reason": reason, "count": count}
            for (channel_id, reason), count in skipped.items()
        ]
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [fields.Command.create(vals) for vals in lines],
                "reach_count": sum(reached.values()),
                "skipped_count": sum(skipped.values()),
                "audience_count": sum(reached.values()) + sum(skipped.values()),
            }
        )
        return True

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

    def action_view_chart(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dry Run Chart: %(rule)s", rule=self.rule_id.name),
            "res_model": "crm.campaign.rule.dry.run.line",
            "view_mode": "graph,list",
            "domain": [("dry_run_id", "=", self.id)],
            "context": {"search_default_filter_reach": 1},
        }

    def action_activate_rule(self):
        """Activate the rule's campaign once the dry run looks right."""
        self.ensure_one()
        self.rule_id.active = True
        if self.rule_id.campaign_id.state != "active":
            self.rule_id.campaign_id.action_activate()
        return {"type": "ir.actions.act_window_close"}
