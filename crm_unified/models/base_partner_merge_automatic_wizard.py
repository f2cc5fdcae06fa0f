from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        kept = self.env["res.partner"].browse(partner_ids).exists()
        if len(kept) != 1:
            return res  # nothing was merged
        merged_ids = [pid for pid in partner_ids if pid != kept.id]
        Interaction = self.env["crm.interaction"]
        # The generic foreign-key update moved partner_id (and commercial_partner_id)
        # by SQL; recompute the commercial entity, which differs when the merged
        # contacts belonged to different companies.
        Interaction.invalidate_model(["partner_id", "commercial_partner_id", "res_id"])
        # sudo: the history must follow the merge whatever the merging user may read.
        interactions = Interaction.sudo().search([("partner_id", "=", kept.id)])
        self.env.add_to_compute(Interaction._fields["commercial_partner_id"], interactions)
        interactions.flush_recordset(["commercial_partner_id"])
        # Interactions whose source document was one of the merged contacts
        # (e.g. a call logged on the contact) now point to the kept contact.
        Interaction.sudo().search(
            [("res_model", "=", "res.partner"), ("res_id", "in", merged_ids)]
        ).write({"res_id": kept.id})
        # The kept customer has a longer history now: queue its profile for recompute.
        # sudo: the profile queue is technical state, whatever the merging user may read.
        kept.sudo()._crm_mark_profile_dirty()
        return res
