from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class CrmSegment(models.Model):
    _name = "crm.segment"
    _description = "Customer Segment"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    description = fields.Text(translate=True)
    segment_type = fields.Selection(
        [("dynamic", "Dynamic (rule)"), ("static", "Static (hand-picked)")],
        string="Type",
        required=True,
        default="dynamic",
    )
    domain = fields.Char(
        string="Customer Rule",
        default="[]",
        help="Customers matching this rule are members of a dynamic segment.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "crm_segment_partner_rel",
        "segment_id",
        "partner_id",
        string="Members",
    )
    member_count = fields.Integer(compute="_compute_member_count")
    last_refresh_date = fields.Datetime(readonly=True, copy=False)
    color = fields.Integer()

    def _compute_member_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("segment_ids", "in", self.ids)], ["segment_ids"], ["__count"]
            )
        )
        for segment in self:
            segment.member_count = counts.get(segment, 0)

    @api.constrains("domain", "segment_type")
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

    def _get_partner_domain(self):
        self.ensure_one()
        domain = safe_eval(self.domain or "[]")
        if self.company_id:
            domain = [*domain, ("company_id", "in", [self.company_id.id, False])]
        return domain

    def _refresh_members(self):
        """Recompute the stored membership of dynamic segments."""
        for segment in self.filtered(lambda s: s.segment_type == "dynamic"):
            members = self.env["res.partner"].search(segment._get_partner_domain())
            segment.write(
                {
                    "partner_ids": [fields.Command.set(members.ids)],
                    "last_refresh_date": fields.Datetime.now(),
                }
            )
        return True

    def action_refresh(self):
        return self._refresh_members()

    def action_view_members(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members of %(segment)s", segment=self.name),
            "res_model": "res.partner",
            "view_mode": "list,kanban,form",
            "domain": [("segment_ids", "in", self.ids)],
        }
