from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models

# Outcome of the demo deliveries of one past campaign, customer by customer (cycled):
# every state the campaign report and the delivery analysis count appears.
DEMO_OUTCOMES = (
    "converted",
    "clicked",
    "opened",
    "sent",
    "opened",
    "clicked",
    "bounced",
    "opened",
    "replied",
    "converted",
)
# Hours after the send at which the customer reacted, per step.
DEMO_REACTION_HOURS = {"opened": 3, "clicked": 4, "replied": 20, "converted": 72}
# The steps a delivery went through to reach each outcome, in order.
DEMO_STEPS = {
    "sent": ("sent",),
    "bounced": ("sent", "bounced"),
    "opened": ("sent", "opened"),
    "clicked": ("sent", "opened", "clicked"),
    "replied": ("sent", "opened", "replied"),
    "converted": ("sent", "opened", "clicked", "converted"),
}


class CrmCampaign(models.Model):
    _inherit = "crm.campaign"

    @api.model
    def _demo_generate_history(self, campaign_ids, partner_ids):
        """Demo data only: the deliveries of past campaigns, dated relative to today.

        :param campaign_ids: ids of demo campaigns whose dates (start, end) lie in the
            past or around today; each gets one delivery per customer, sent on a
            working day spread over the campaign's days, at 10:00 in the customer's
            time zone
        :param partner_ids: ids of the customers (commercial partners)
        Every state a campaign report counts (sent, opened, clicked, replied, converted,
        bounced) is present in each campaign; each step is logged in the customers'
        history at its own past date, as the live capture would have logged it.
        Deterministic: no random numbers.
        """
        partners = self.env["res.partner"].browse(partner_ids).exists().sorted("id")
        now = fields.Datetime.now()
        Delivery = self.env["crm.campaign.delivery"]
        for offset, campaign in enumerate(self.browse(campaign_ids).exists()):
            rule = campaign.rule_ids[:1]
            if not rule or not partners:
                continue
            channel = rule.channel_line_ids.sorted("sequence")[:1]
            variants = rule.variant_ids.sorted("sequence")
            last_day = min(campaign.date_end, (now - timedelta(days=1)).date())
            span = max((last_day - campaign.date_start).days, 0)
            vals_list, steps = [], []
            for index, partner in enumerate(partners):
                outcome = DEMO_OUTCOMES[(index + offset) % len(DEMO_OUTCOMES)]
                day = campaign.date_start + timedelta(days=span * index // len(partners))
                while day.weekday() >= 5 and day > campaign.date_start:
                    day -= timedelta(days=1)
                tz = pytz.timezone(partner.tz or "UTC")
                sent = (
                    tz.localize(datetime.combine(day, time(10, 0)))
                    .astimezone(pytz.utc)
                    .replace(tzinfo=None)
                )
                sent = min(sent, now - timedelta(hours=1))
                vals_list.append(
                    {
                        "campaign_id": campaign.id,
                        "rule_id": rule.id,
                        "variant_id": variants[index % len(variants)].id if variants else False,
                        "segment_id": rule.segment_ids[:1].id,
                        "partner_id": partner.id,
                        "channel_id": channel.channel_id.id,
                        "cost": channel.cost,
                        "scheduled_date": sent,
                        "sent_date": sent,
                        "state": outcome,
                        "revenue": 150.0 * (1 + index % 4) if outcome == "converted" else 0.0,
                        "company_id": campaign.company_id.id,
                    }
                )
                steps.append((sent, DEMO_STEPS[outcome]))
            deliveries = Delivery.create(vals_list)
            history = []
            for delivery, (sent, events) in zip(deliveries, steps, strict=True):
                for event in events:
                    vals = delivery._prepare_interaction_values(event)
                    vals["date"] = min(
                        sent + timedelta(hours=DEMO_REACTION_HOURS.get(event, 0)), now
                    )
                    history.append(vals)
            self.env["crm.interaction"]._log_interactions(history)
        return True
