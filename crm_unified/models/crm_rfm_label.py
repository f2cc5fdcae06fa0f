from odoo import api, fields, models
from odoo.exceptions import ValidationError

SCORE_FIELDS = (
    ("recency_min", "recency_max"),
    ("frequency_min", "frequency_max"),
    ("monetary_min", "monetary_max"),
)


class CrmRfmLabel(models.Model):
    """A named RFM segment: the first label (by sequence) whose ranges hold a
    customer's recency, frequency and monetary scores is the customer's label."""

    _name = "crm.rfm.label"
    _description = "RFM Segment Label"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    recency_min = fields.Integer(default=1, required=True)
    recency_max = fields.Integer(default=5, required=True)
    frequency_min = fields.Integer(default=1, required=True)
    frequency_max = fields.Integer(default=5, required=True)
    monetary_min = fields.Integer(default=1, required=True)
    monetary_max = fields.Integer(default=5, required=True)
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")

    def _compute_partner_count(self):
        counts = dict(
            self.env["crm.partner.profile"]._read_group(
                [("rfm_label_id", "in", self.ids), ("company_id", "=", self.env.company.id)],
                ["rfm_label_id"],
                ["__count"],
            )
        )
        for label in self:
            label.partner_count = counts.get(label, 0)

    @api.constrains(*[fname for pair in SCORE_FIELDS for fname in pair])
    def _check_ranges(self):
        for label in self:
            for low_name, high_name in SCORE_FIELDS:
                low, high = label[low_name], label[high_name]
                if not (1 <= low <= high <= 5):
                    raise ValidationError(
                        self.env._(
                            "RFM label %(name)s: each range must go from a score to a higher "
                            "or equal one, between 1 and 5.",
                            name=label.name,
                        )
                    )

    def _rule_text(self):
        """The label's rule in words, e.g. "Recency score 1-2 · Frequency score 1-2".

        :return: str in the user's language; scores whose range is the whole
            1-5 scale are left out, and a label without any limit says it takes
            every customer no earlier label took
        """
        self.ensure_one()
        names = {
            "recency_min": self.env._("Recency score"),
            "frequency_min": self.env._("Frequency score"),
            "monetary_min": self.env._("Monetary score"),
        }
        parts = []
        for low_name, high_name in SCORE_FIELDS:
            low, high = self[low_name], self[high_name]
            if (low, high) == (1, 5):
                continue
            span = str(low) if low == high else f"{low}\u2013{high}"
            parts.append(f"{names[low_name]} {span}")
        if not parts:
            return self.env._("Every customer that no earlier segment took")
        return " · ".join(parts)

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,kanban,form",
            "domain": [("rfm_label_id", "=", self.id), ("parent_id", "=", False)],
        }
