from odoo import fields, models


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    crm_campaign_rule_id = fields.Many2one(
        "crm.campaign.rule", string="Campaign Rule", index="btree_not_null", ondelete="set null"
    )
    crm_campaign_variant_id = fields.Many2one(
        "crm.campaign.variant", string="Campaign Variant", ondelete="set null"
    )
    crm_dispatch_date = fields.Date(
        string="Campaign Dispatch Day",
        help="Campaign deliveries of one rule, variant and day share one mailing.",
    )
