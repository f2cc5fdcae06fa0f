from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

from . import template_check
from .crm_campaign_rule import CrmCampaignRule


class CrmCampaignVariant(models.Model):
    _name = "crm.campaign.variant"
    # mail.render.mixin: same template guard as rules (see crm.campaign.rule)
    _inherit = ["mail.render.mixin"]
    _unrestricted_rendering = True
    _description = "Campaign A/B Variant"
    _order = "rule_id, sequence, id"
    _check_company_auto = True

    rule_id = fields.Many2one("crm.campaign.rule", required=True, index=True, ondelete="cascade")
    campaign_id = fields.Many2one(related="rule_id.campaign_id", store=True, index=True)
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    split_percent = fields.Float(string="Split (%)", default=50.0)
    email_subject = fields.Char(help="Replaces the rule's subject for this variant.")
    email_body_html = fields.Html(
        string="Email Body",
        sanitize=False,
        render_engine="qweb",
        help="Replaces the rule's email body.",
    )
    sms_body = fields.Text(string="SMS / Call Text", help="Replaces the rule's SMS text.")
    discount = fields.Float(
        string="Discount (%)", help="Replaces the rule's discount when set (not zero)."
    )
    is_winner = fields.Boolean(compute="_compute_is_winner")
    sent_count = fields.Integer(compute="_compute_statistics")
    open_rate = fields.Float(compute="_compute_statistics")
    click_rate = fields.Float(compute="_compute_statistics")
    conversion_rate = fields.Float(compute="_compute_statistics")
    revenue = fields.Monetary(compute="_compute_statistics")

    def _compute_render_model(self):
        self.render_model = template_check.RENDER_MODEL

    def _has_unsafe_expression(self):
        """Only the message fields are templates (mail.render.mixin looks at all)."""
        # sudo: the template text is only read to be checked, never shown or rendered here.
        return any(template_check.has_unsafe_expression(record) for record in self.sudo())

    def _compute_is_winner(self):
        for variant in self:
            variant.is_winner = variant.rule_id.winner_variant_id == variant

    def _compute_statistics(self):
        Delivery = self.env["crm.campaign.delivery"]
        groups = Delivery._read_group(
            [("variant_id", "in", self.ids), ("state", "in", Delivery._get_sent_states())],
            ["variant_id", "state"],
            ["__count", "revenue:sum"],
        )
        opened_states = {"opened", "clicked", "replied", "converted"}
        stats = {}
        for variant, state, count, revenue in groups:
            data = stats.setdefault(
                variant.id, {"sent": 0, "open": 0, "click": 0, "conversion": 0, "revenue": 0.0}
            )
            data["sent"] += count
            data["revenue"] += revenue
            if state in opened_states:
                data["open"] += count
            if state in ("clicked", "converted"):
                data["click"] += count
            if state == "converted":
                data["conversion"] += count
        for variant in self:
            data = stats.get(variant.id)
            sent = data["sent"] if data else 0
            variant.sent_count = sent
            variant.open_rate = 100.0 * data["open"] / sent if sent else 0.0
            variant.click_rate = 100.0 * data["click"] / sent if sent else 0.0
            variant.conversion_rate = 100.0 * data["conversion"] / sent if sent else 0.0
            variant.revenue = data["revenue"] if data else 0.0

    @api.constrains("email_subject", "email_body_html", "sms_body")
    def _check_templates(self):
        for variant in self:
            # same fields as the rule: reuse its check
            CrmCampaignRule._raise_template_errors(variant, variant.name)

    def _check_split(self):
        """The variants of each rule must share the audience out completely."""
        for rule in self.rule_id:
            total = sum(rule.variant_ids.mapped("split_percent"))
            if rule.variant_ids and float_compare(total, 100.0, precision_digits=2):
                raise ValidationError(
                    self.env._(
                        "The A/B variants of rule %(rule)s split %(total)s%% of the audience: "
                        "their split percentages must add up to 100%%.",
                        rule=rule.name,
                        total=round(total, 2),
                    )
                )

    @api.constrains("split_percent")
    def _check_split_percent(self):
        for variant in self:
            if not 0 < variant.split_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "Variant %(name)s: the split must be between 0 and 100%%.",
                        name=variant.name,
                    )
                )
        self._check_split()

    def _get_best(self, metric):
        """Variant with the best rate on ``metric`` (open, click or conversion)."""
        field = {"open": "open_rate", "click": "click_rate", "conversion": "conversion_rate"}[
            metric
        ]
        return self.sorted(lambda v: (v[field], v.sent_count, -v.id), reverse=True)[:1]

    def action_select_as_winner(self):
        self.ensure_one()
        self.rule_id.winner_variant_id = self
        return True
