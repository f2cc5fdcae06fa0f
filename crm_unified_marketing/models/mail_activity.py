from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crm_campaign_delivery_id = fields.Many2one(
        "crm.campaign.delivery",
        string="Campaign Delivery",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The campaign delivery this call task was created for (at most one task each).",
    )

    _sql_constraints = [
        (
            "crm_campaign_delivery_uniq",
            "UNIQUE(crm_campaign_delivery_id)",
            "A campaign delivery has at most one call task.",
        ),
    ]
