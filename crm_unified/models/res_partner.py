from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    interaction_ids = fields.One2many("crm.interaction", "partner_id", string="Interactions")
    interaction_count = fields.Integer(compute="_compute_interaction_count")

    def _compute_interaction_count(self):
        # A company's timeline includes its contacts: count on the commercial entity.
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_unified.crm_interaction_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.id,
            "search_default_group_by_month": 0,
        }
        action["display_name"] = self.env._("Customer 360: %(name)s", name=self.display_name)
        return action
