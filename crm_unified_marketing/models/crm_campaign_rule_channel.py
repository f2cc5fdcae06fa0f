from odoo import api, fields, models
from odoo.exceptions import ValidationError

MARKETING_CHANNEL_CODES = ("email", "sms", "phone", "portal")


class CrmCampaignRuleChannel(models.Model):
    _name = "crm.campaign.rule.channel"
    _description = "Campaign Rule Channel"
    _order = "sequence, id"

    rule_id = fields.Many2one("crm.campaign.rule", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    channel_id = fields.Many2one(
        "crm.interaction.channel",
        required=True,
        ondelete="restrict",
        domain=[("code", "in", MARKETING_CHANNEL_CODES)],
    )
    channel_code = fields.Char(related="channel_id.code")
    cost = fields.Float(
        string="Cost per Contact",
        help="What one contact on this channel costs; counted against the rule's budget.",
    )

    _sql_constraints = [
        (
            "rule_channel_uniq",
            "unique(rule_id, channel_id)",
            "A channel can be allowed only once per rule.",
        ),
    ]

    @api.constrains("channel_id")
    def _check_channel_code(self):
        for line in self:
            if line.channel_id.code not in MARKETING_CHANNEL_CODES:
                raise ValidationError(
                    self.env._(
                        "Channel %(channel)s cannot be used by a campaign: allowed channels are "
                        "email, SMS, phone call and portal notice.",
                        channel=line.channel_id.name,
                    )
                )
