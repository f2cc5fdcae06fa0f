from odoo import models

from .crm_campaign_delivery import STATE_RANK

# Which live delivery of a campaign a merged customer keeps: the furthest one
# (a conversion over a click over a send; a bounce was sent too; a planned
# message over a skipped one).
MERGE_RANK = {**STATE_RANK, "bounced": 0.5, "skipped": -1}


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _crm_settle_partner_rows(self, src_partners, dst_partner):
        res = super()._crm_settle_partner_rows(src_partners, dst_partner)
        self._crm_settle_campaign_deliveries(src_partners, dst_partner)
        return res

    def _crm_settle_campaign_deliveries(self, src_partners, dst_partner):
        """One live delivery per campaign for the kept customer.

        A customer has one live (not cancelled nor failed) delivery per campaign
        (unique index). When the merged contacts have several in one campaign,
        the furthest is kept and the others are cancelled with the reason, so
        that the kept customer is not contacted twice and Odoo's merge does not
        delete the deliveries (with their traces and conversions) of the merged
        contacts.
        """
        # sudo: the merge must settle every delivery of the merged contacts,
        # whatever the merging user may read; only their own deliveries change.
        Delivery = self.env["crm.campaign.delivery"].sudo()
        deliveries = Delivery.search(
            [
                ("partner_id", "in", (src_partners | dst_partner).ids),
                ("state", "not in", ("cancelled", "failed")),
            ]
        )
        for rows in deliveries.grouped("campaign_id").values():
            if len(rows) < 2:
                continue
            kept = max(
                rows,
                key=lambda d: (MERGE_RANK.get(d.state, -1), d.partner_id == dst_partner, d.id),
            )
            for delivery in rows - kept:
                delivery.write(
                    {
                        "state": "cancelled",
                        **Delivery._failure_values(
                            "merged",
                            partner=delivery.partner_id.display_name,
                            kept=dst_partner.display_name,
                            delivery=kept.id,
                            state=delivery.state,
                        ),
                    }
                )
