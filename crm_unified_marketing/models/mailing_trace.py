from odoo import models


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    def write(self, vals):
        result = super().write(vals)
        if {"trace_status", "links_click_datetime"} & set(vals):
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
