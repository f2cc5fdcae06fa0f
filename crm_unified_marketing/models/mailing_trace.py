from odoo import models
from odoo.tools import SQL

# Trace statuses that are a reaction to a campaign message (open, reply, bounce).
REACTION_STATUSES = ("open", "reply", "bounce")


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    def init(self):
        # The trace is the link campaign delivery -> message: at most one per delivery,
        # whatever the mailing, so a retry can never send a delivery a second time.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS mailing_trace_crm_campaign_delivery_uniq "
                "ON mailing_trace (res_id) WHERE model = 'crm.campaign.delivery'"
            )
        )

    def write(self, vals):
        result = super().write(vals)
        # Only reactions move a delivery (see crm.campaign.delivery._sync_from_traces):
        # the mail queue marking each trace sent looks nothing up.
        if vals.get("links_click_datetime") or vals.get("trace_status") in REACTION_STATUSES:
            self._sync_campaign_deliveries()
        return result

    def _sync_campaign_deliveries(self):
        """Reactions on a campaign message (open, click, reply, bounce) move its delivery."""
        traces = self.filtered(lambda t: t.model == "crm.campaign.delivery")
        if not traces:
            return
        # sudo: reactions arrive from public tracking routes and the mail gateway;
        # only deliveries linked to these very traces are updated.
        deliveries = (
            self.env["crm.campaign.delivery"]
            .sudo()
            .search([("mailing_trace_id", "in", traces.ids)])
        )
        deliveries._sync_from_traces(traces)
