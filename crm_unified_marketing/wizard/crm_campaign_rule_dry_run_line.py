from odoo import fields, models


class CrmCampaignRuleDryRunLine(models.TransientModel):
    _name = "crm.campaign.rule.dry.run.line"
    _description = "Campaign Rule Dry Run Result"
    _order = "kind, scheduled_date, id"

    dry_run_id = fields.Many2one("crm.campaign.rule.dry.run", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("reach", "Would be reached"), ("skipped", "Would be skipped")], required=True
    )
    channel_id = fields.Many2one("crm.interaction.channel", readonly=True)
    scheduled_date = fields.Datetime(string="Send Time", readonly=True)
    skip_reason = fields.Selection(
        selection=lambda self: self.env["crm.campaign.delivery"]._fields["skip_reason"].selection,
        readonly=True,
    )
    count = fields.Integer(string="Customers", readonly=True)
