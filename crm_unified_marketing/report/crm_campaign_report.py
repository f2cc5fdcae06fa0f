from odoo import fields, models, tools
from odoo.tools import SQL


class CrmCampaignReport(models.Model):
    """One row per campaign delivery, with 0/1 measures that add up in pivots.

    Rates are averages over sent deliveries only (NULL for the others), so the
    pivot's average is the real open, click, reply or conversion rate.
    """

    _name = "crm.campaign.report"
    _description = "Campaign Analysis"
    _auto = False
    _order = "scheduled_date desc"

    campaign_id = fields.Many2one("crm.campaign", readonly=True)
    rule_id = fields.Many2one("crm.campaign.rule", readonly=True)
    variant_id = fields.Many2one("crm.campaign.variant", readonly=True)
    channel_id = fields.Many2one("crm.interaction.channel", readonly=True)
    segment_id = fields.Many2one("crm.segment", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    state = fields.Selection(
        selection=lambda self: self.env["crm.campaign.delivery"]._fields["state"].selection,
        readonly=True,
    )
    skip_reason = fields.Selection(
        selection=lambda self: self.env["crm.campaign.delivery"]._fields["skip_reason"].selection,
        readonly=True,
    )
    cap_postponed_by = fields.Selection(
        selection=lambda self: (
            self.env["crm.campaign.delivery"]._fields["cap_postponed_by"].selection
        ),
        string="Postponed by",
        readonly=True,
    )
    scheduled_date = fields.Datetime(readonly=True)
    reach = fields.Integer(readonly=True, help="Customers planned or contacted.")
    sent = fields.Integer(readonly=True)
    opened = fields.Integer(readonly=True)
    clicked = fields.Integer(readonly=True)
    replied = fields.Integer(readonly=True)
    converted = fields.Integer(readonly=True)
    bounced = fields.Integer(readonly=True)
    skipped = fields.Integer(readonly=True)
    postponed = fields.Integer(readonly=True, help="Messages moved later by a contact cap.")
    open_rate = fields.Float(aggregator="avg", readonly=True)
    click_rate = fields.Float(aggregator="avg", readonly=True)
    reply_rate = fields.Float(aggregator="avg", readonly=True)
    conversion_rate = fields.Float(aggregator="avg", readonly=True)
    revenue = fields.Float(readonly=True)
    cost = fields.Float(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                    SELECT d.id AS id,
                           d.campaign_id, d.rule_id, d.variant_id, d.channel_id,
                           d.segment_id, d.partner_id, d.company_id, d.state,
                           d.skip_reason, d.cap_postponed_by, d.scheduled_date,
                           (d.state NOT IN ('skipped', 'cancelled', 'failed'))::int AS reach,
                           (d.state IN %(sent)s)::int AS sent,
                           (d.state IN ('opened', 'clicked', 'replied', 'converted'))::int
                               AS opened,
                           (d.state IN ('clicked', 'converted'))::int AS clicked,
                           (d.state = 'replied')::int AS replied,
                           (d.state = 'converted')::int AS converted,
                           (d.state = 'bounced')::int AS bounced,
                           (d.state = 'skipped')::int AS skipped,
                           (d.cap_postponed_by IS NOT NULL)::int AS postponed,
                           CASE WHEN d.state IN %(sent)s THEN
                               100.0 * (d.state IN ('opened', 'clicked', 'replied',
                                                    'converted'))::int
                           END AS open_rate,
                           CASE WHEN d.state IN %(sent)s THEN
                               100.0 * (d.state IN ('clicked', 'converted'))::int
                           END AS click_rate,
                           CASE WHEN d.state IN %(sent)s THEN
                               100.0 * (d.state = 'replied')::int
                           END AS reply_rate,
                           CASE WHEN d.state IN %(sent)s THEN
                               100.0 * (d.state = 'converted')::int
                           END AS conversion_rate,
                           COALESCE(d.revenue, 0) AS revenue,
                           CASE WHEN d.state IN %(sent)s THEN COALESCE(d.cost, 0) ELSE 0 END
                               AS cost
                      FROM crm_campaign_delivery d
                )
                """,
                table=SQL.identifier(self._table),
                sent=tuple(self.env["crm.campaign.delivery"]._get_sent_states()),
            )
        )
