from odoo import api, fields, models
from odoo.exceptions import UserError

# Channels whose consent the customer card shows, in this order.
CARD_CONSENT_CHANNELS = ("email", "sms", "phone")
# How many best contact slots the card lists.
CARD_BEST_SLOTS = 3


class ResPartner(models.Model):
    """Customer card: one RPC that gives the web client every figure of the card."""

    _inherit = "res.partner"

    # ---- Customer card ----

    def get_customer_card_data(self):
        """Figures of the customer card of one partner, read in a constant number of queries.

        The figures are those of the partner's commercial entity (a contact shows
        its company's figures). A profile queued for recompute (e.g. just after
        "Log a call") is recomputed first, so the card never shows stale figures.

        :return: dict with
            ``partner_id``, ``commercial_partner_id``, ``name``, ``currency_id``;
            ``rfm`` {label, color, scores} or False; ``engagement`` (0-100);
            ``churn_risk`` (bool); ``revenue_total``, ``revenue_12m``,
            ``overdue_amount`` (company currency), ``order_count``,
            ``open_quotations``; ``last_contact`` {date (UTC, "YYYY-MM-DD HH:MM:SS"),
            channel} or False; ``preferred_channel`` {name, icon} or False;
            ``tz`` (the customer's time zone name, False when unknown);
            ``best_slots`` [{weekday 0-6 (Monday = 0), hour 0-23}] in the
            customer's time zone, best first; ``quiet_hours`` [start, end] in
            hours or False; ``consents`` [{code, name, icon, state, label}];
            ``segments`` [{id, name, color}]; ``do_not_contact`` (bool).
            Sub-addons add their own keys (support adds ``support``).
        :raise AccessError: when the user may not read the customer analytics.
        """
        self.ensure_one()
        partner = self
        commercial = partner.commercial_partner_id
        if commercial.crm_profile_dirty:
            commercial._crm_recompute_profile(rfm=False)
        consent_channels = self.env["crm.interaction.channel"].search(
            [("code", "in", CARD_CONSENT_CHANNELS)]
        )
        consent_channels = consent_channels.sorted(
            lambda channel: CARD_CONSENT_CHANNELS.index(channel.code)
        )
        consent = commercial._crm_get_consent([c.code for c in consent_channels])[commercial.id]
        state_labels = dict(
            self.env["crm.contact.consent"]._fields["state"]._description_selection(self.env)
        )
        slots = commercial._crm_best_contact_slots().get(commercial.id, [])[:CARD_BEST_SLOTS]
        segments = (partner | commercial).segment_ids
        label = commercial.rfm_label_id
        return {
            "partner_id": partner.id,
            "commercial_partner_id": commercial.id,
            "name": commercial.display_name,
            "currency_id": (commercial.company_id or self.env.company).currency_id.id,
            "rfm": label
            and {"label": label.name, "color": label.color, "scores": commercial.rfm_display},
            "engagement": commercial.engagement_score,
            "churn_risk": commercial.churn_risk,
            "revenue_total": commercial.sale_revenue_total,
            "revenue_12m": commercial.sale_revenue_12m,
            "order_count": commercial.crm_order_count,
            "open_quotations": commercial.open_quotation_count,
            "overdue_amount": commercial.overdue_invoice_amount,
            "last_contact": commercial.last_interaction_date
            and {
                "date": fields.Datetime.to_string(commercial.last_interaction_date),
                "channel": commercial.last_interaction_channel_id.name or "",
            },
            "preferred_channel": commercial.preferred_channel_id
            and {
                "name": commercial.preferred_channel_id.name,
                "icon": commercial.preferred_channel_id.icon or "fa-circle-o",
            },
            "tz": partner.tz or commercial.tz or False,
            "best_slots": [{"weekday": day, "hour": hour} for day, hour in slots],
            "quiet_hours": commercial.quiet_hour_start != commercial.quiet_hour_end
            and [commercial.quiet_hour_start, commercial.quiet_hour_end],
            "consents": [
                {
                    "code": channel.code,
                    "name": channel.name,
                    "icon": channel.icon or "fa-circle-o",
                    "state": consent.get(channel.code, "unknown"),
                    "label": state_labels.get(consent.get(channel.code, "unknown")),
                }
                for channel in consent_channels
            ],
            "segments": [
                {"id": segment.id, "name": segment.name, "color": segment.color}
                for segment in segments
            ],
            "do_not_contact": commercial.do_not_contact,
        }

    def action_open_customer_card_figure(self, figure):
        """Open the records behind one figure of the customer card.

        :param figure: str, a key of _crm_card_figure_actions() (e.g. "orders",
            "quotations", "overdue", "interactions", "segments", "consents", "rfm")
        :return: an ir.actions.act_window dict
        :raise UserError: for an unknown figure
        """
        self.ensure_one()
        method = self._crm_card_figure_actions().get(figure)
        if not method:
            raise UserError(self.env._("This figure of the customer card opens nothing."))
        return getattr(self.commercial_partner_id, method)()

    @api.model
    def _crm_card_figure_actions(self):
        """{figure key: name of the res.partner action method}; sub-addons add theirs."""
        return {
            "orders": "action_view_crm_sales",
            "quotations": "_crm_action_card_quotations",
            "overdue": "_crm_action_card_overdue",
            "interactions": "action_view_interactions",
            "segments": "_crm_action_card_segments",
            "consents": "_crm_action_card_consents",
            "rfm": "_crm_action_card_rfm",
            "heatmap": "action_view_contact_heatmap",
        }

    def _crm_action_card_quotations(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale.action_quotations_with_onboarding"
        )
        action["domain"] = [
            ("partner_id", "child_of", self.id),
            ("state", "in", ("draft", "sent")),
        ]
        action["context"] = {"default_partner_id": self.id}
        action["display_name"] = self.env._("Open quotations: %(name)s", name=self.display_name)
        return action

    def _crm_action_card_overdue(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ]
        action["context"] = {"default_move_type": "out_invoice"}
        action["display_name"] = self.env._("Overdue invoices: %(name)s", name=self.display_name)
        return action

    def _crm_action_card_segments(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_unified.crm_segment_action")
        action["domain"] = [("id", "in", self.segment_ids.ids)]
        action["display_name"] = self.env._("Segments: %(name)s", name=self.display_name)
        return action

    def _crm_action_card_consents(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_contact_consent_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        action["display_name"] = self.env._("Consents: %(name)s", name=self.display_name)
        return action

    def _crm_action_card_rfm(self):
        """Customers sharing this customer's RFM label."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("RFM segment: %(label)s", label=self.rfm_label_id.name or ""),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [
                ("rfm_label_id", "=", self.rfm_label_id.id),
                ("is_company", "=", True),
            ],
        }
