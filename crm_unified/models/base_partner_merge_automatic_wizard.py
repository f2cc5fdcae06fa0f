from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        # The generic foreign-key update moved partner_id (and commercial_partner_id)
        # to the destination by SQL; recompute the commercial entity, which differs
        # when the merged contacts belonged to different companies.
        Interaction = self.env["crm.interaction"]
        Interaction.invalidate_model(["partner_id", "commercial_partner_id"])
        # sudo: the history must follow the merge whatever the merging user may read.
        interactions = Interaction.sudo().search([("partner_id", "in", partner_ids)])
        self.env.add_to_compute(Interaction._fields["commercial_partner_id"], interactions)
        interactions.flush_recordset(["commercial_partner_id"])
        return res
