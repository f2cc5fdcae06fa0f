from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        kept = self.env["res.partner"].browse(partner_ids).exists()
        if len(kept) != 1:
            return res  # nothing was merged
        # The generic update moved the tickets' customer and company by SQL; the
        # company differs when the merged contact belonged to another company.
        Ticket = self.env["crm.support.ticket"]
        Ticket.invalidate_model(["partner_id", "commercial_partner_id"])
        # sudo: the tickets must follow the merge whatever the merging user may read.
        tickets = (
            Ticket.sudo().with_context(active_test=False).search([("partner_id", "=", kept.id)])
        )
        self.env.add_to_compute(Ticket._fields["commercial_partner_id"], tickets)
        tickets.flush_recordset(["commercial_partner_id"])
        return res
