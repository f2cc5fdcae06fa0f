import textwrap

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, html2plaintext, plaintext2html

# Channels whose consent the customer card shows, in this order.
CARD_CONSENT_CHANNELS = ("email", "sms", "phone")
# How many best contact slots the card lists.
CARD_BEST_SLOTS = 3
# Timeline feed: rows per page, and characters of the summary shown under a row.
TIMELINE_PAGE_SIZE = 20
TIMELINE_MAX_PAGE_SIZE = 200
TIMELINE_SUMMARY_CHARS = 280
# Timeline filters the client may send, and their bounds.
TIMELINE_FILTER_KEYS = {"scope", "department_id", "channel_id", "kind", "period"}
TIMELINE_MAX_PERIOD_DAYS = 36600  # about 100 years
PG_INT_MAX = 2**31 - 1
# Inline composer of the timeline: entry type -> (channel code, direction).
TIMELINE_COMPOSER_TYPES = {
    "call": ("phone", "outbound"),
    "email": ("email", "outbound"),
    "note": ("other", "internal"),
}


class ResPartner(models.Model):
    """Customer card: one RPC that gives the web client every figure of the card."""

    _inherit = "res.partner"

    # ---- Customer card ----

    def get_customer_card_data(self):
        """Figures of the customer card of one partner, read in a constant number of queries.

        The figures are those of the partner's commercial entity (a contact shows
        its company's figures). A new interaction (e.g. "Log a call") is counted
        in the profile at once; a queued profile gets its document figures and
        scores recomputed first (see _crm_refresh_card_profile), so the card
        shows current figures in a number of queries and a time that do not
        depend on the history.

        :return: dict with
            ``partner_id``, ``commercial_partner_id``, ``name``, ``currency_id``;
            ``rfm`` {label, color, scores, explanation: [str] (what the label
            is based on: purchases, not contacts, and the segment's rule)} or
            False; ``engagement`` (0-100);
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
        partner._crm_refresh_card_profile()
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
            "currency_id": commercial._crm_card_currency().id,
            # Plain JSON values only: an empty recordset would reach the client
            # as the string "crm.rfm.label()".
            "rfm": {
                "label": label.name,
                "color": label.color,
                "scores": commercial.rfm_display or "",
                "explanation": commercial._crm_card_rfm_explanation(),
            }
            if label
            else False,
            "engagement": commercial.engagement_score,
            "churn_risk": bool(commercial.churn_risk),
            "revenue_total": commercial.sale_revenue_total,
            "revenue_12m": commercial.sale_revenue_12m,
            "order_count": commercial.crm_order_count,
            "open_quotations": commercial.open_quotation_count,
            "overdue_amount": commercial.overdue_invoice_amount,
            "last_contact": {
                "date": fields.Datetime.to_string(commercial.last_interaction_date),
                "channel": commercial.last_interaction_channel_id.name or "",
            }
            if commercial.last_interaction_date
            else False,
            "preferred_channel": {
                "name": commercial.preferred_channel_id.name,
                "icon": commercial.preferred_channel_id.icon or "fa-circle-o",
            }
            if commercial.preferred_channel_id
            else False,
            "tz": partner.tz or commercial.tz or False,
            "best_slots": [{"weekday": day, "hour": hour} for day, hour in slots],
            "quiet_hours": [commercial.quiet_hour_start, commercial.quiet_hour_end]
            if commercial.quiet_hour_start != commercial.quiet_hour_end
            else False,
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
            "do_not_contact": bool(commercial.do_not_contact),
        }

    def _crm_card_rfm_explanation(self):
        """Lines saying what the RFM label of this commercial partner is based on.

        RFM ranks purchases only (confirmed orders of the company's RFM period),
        never calls or emails: a customer contacted yesterday who has not
        ordered for a long time is rightly "Hibernating" or "At risk".

        :return: list of str in the user's language (basis, the customer's own
            figures and scores, the segment's description and rule)
        """
        self.ensure_one()
        label = self.rfm_label_id
        lines = [
            self.env._(
                "RFM ranks purchases, not contacts: the confirmed orders of the RFM period "
                "(CRM settings), each customer scored 1 to 5 against the others."
            ),
            self.env._(
                "Last order: %(date)s (recency score %(r)s); frequency score (number of "
                "orders) %(f)s; monetary score (revenue) %(m)s.",
                # The reader's language given: without it (no lang in the context)
                # format_date reads the user's company, one more query per card.
                date=format_date(
                    self.env, self.last_order_date, lang_code=self.env.lang or self.env.user.lang
                )
                if self.last_order_date
                else self.env._("none"),
                r=self.rfm_recency,
                f=self.rfm_frequency,
                m=self.rfm_monetary,
            ),
        ]
        if label:
            segment = self.env._(
                "Segment %(label)s: %(rule)s.", label=label.name, rule=label._rule_text()
            )
            lines.append(f"{segment} {label.description}" if label.description else segment)
        return lines

    def _crm_card_currency(self):
        """Currency of the revenue figures (the profile's own currency when it has one)."""
        self.ensure_one()
        if "crm_currency_id" in self._fields and self.crm_currency_id:
            return self.crm_currency_id
        return (self.company_id or self.env.company).currency_id

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

    # ---- Timeline feed ----

    @api.model
    def _crm_timeline_kind_domain(self, kind):
        """Domain of customer touches ("touch") or business events ("event")."""
        return [("kind", "=", kind)]

    @api.model
    def _crm_timeline_clean_filters(self, filters):
        """Check the timeline filters sent by the client, key by key.

        :param filters: dict (or None), see get_customer_timeline
        :return: dict with ``scope`` ("company"/"contact"), ``department_id``,
            ``channel_id`` (int, 0 = all), ``kind`` ("touch"/"event"/"" = all)
            and ``period`` (int days, 0 = all time)
        :raise ValidationError: not a dict, an unknown key, or a value of the
            wrong type or out of range
        """
        invalid = ValidationError(self.env._("The timeline filter is not valid."))
        if filters is None or filters is False:
            filters = {}
        if not isinstance(filters, dict) or set(filters) - TIMELINE_FILTER_KEYS:
            raise invalid

        def to_int(value, maximum):
            if value in (None, False, "", 0):
                return 0
            if isinstance(value, bool):
                raise invalid
            try:
                number = int(value)
            except (TypeError, ValueError, OverflowError) as error:
                raise invalid from error
            if (isinstance(value, float) and number != value) or not 0 <= number <= maximum:
                raise invalid
            return number

        scope = filters.get("scope") or "company"
        kind = filters.get("kind") or ""
        if scope not in ("company", "contact") or kind not in ("", "touch", "event"):
            raise invalid
        return {
            "scope": scope,
            "kind": kind,
            "department_id": to_int(filters.get("department_id"), PG_INT_MAX),
            "channel_id": to_int(filters.get("channel_id"), PG_INT_MAX),
            "period": to_int(filters.get("period"), TIMELINE_MAX_PERIOD_DAYS),
        }

    def _crm_timeline_domain(self, filters):
        self.ensure_one()
        filters = self._crm_timeline_clean_filters(filters)
        if filters["scope"] == "contact":
            domain = [("partner_id", "=", self.id)]
        else:
            domain = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        if filters["department_id"]:
            domain.append(("department_id", "=", filters["department_id"]))
        if filters["channel_id"]:
            domain.append(("channel_id", "=", filters["channel_id"]))
        if filters["period"]:
            since = fields.Datetime.now() - relativedelta(days=filters["period"])
            domain.append(("date", ">=", since))
        if filters["kind"]:
            domain += self._crm_timeline_kind_domain(filters["kind"])
        return domain

    def get_customer_timeline(self, filters=None, offset=0, limit=TIMELINE_PAGE_SIZE):
        """One page of the customer's timeline, newest first, across all departments.

        Access rules of crm.interaction apply (confidential rows stay hidden).

        :param filters: dict with optional keys ``scope`` ("company": the
            customer and all its contacts, default; "contact": this partner
            only), ``department_id`` (int), ``channel_id`` (int), ``kind``
            ("touch" or "event"), ``period`` (int, last N days, at most 36600)
        :param offset: rows to skip (int)
        :param limit: rows per page (int, at most 200)
        :return: dict with ``rows`` (list of dicts: id, date (UTC string),
            subject, outcome, summary (plain text, shortened), direction,
            direction_label, is_event, channel {name, icon}, department
            {name, code} or False, user (name or False), partner {id, name},
            document {model, id, name} or False), ``has_more`` (bool) and, on
            the first page, ``departments`` and ``channels`` for the filters
        :raise ValidationError: when the filters are not a dict of known keys
            with values of the right type and range (see
            _crm_timeline_clean_filters), the offset or the limit is not a
            number, or the offset is negative
        """
        self.ensure_one()
        try:
            limit = max(1, min(int(limit or TIMELINE_PAGE_SIZE), TIMELINE_MAX_PAGE_SIZE))
            offset = int(offset or 0)
        except (TypeError, ValueError) as error:
            raise ValidationError(self.env._("The timeline page is not valid.")) from error
        if offset < 0:
            raise ValidationError(self.env._("The timeline page is not valid."))
        Interaction = self.env["crm.interaction"]
        interactions = Interaction.search(
            self._crm_timeline_domain(filters), offset=offset, limit=limit + 1
        )
        has_more = len(interactions) > limit
        interactions = interactions[:limit]
        directions = dict(Interaction._fields["direction"]._description_selection(self.env))
        interactions.fetch(["summary"])  # not prefetched by default: one query for the page
        # sudo: only the names of the models the page links to are read.
        model_names = {
            model["model"]: model["name"]
            for model in self.env["ir.model"]
            .sudo()
            .search_read(
                [("model", "in", list(set(interactions.mapped("res_model"))))], ["model", "name"]
            )
        }
        rows = []
        for interaction in interactions:
            summary = html2plaintext(interaction.summary or "").strip()
            document = False
            if interaction.res_model and interaction.res_id:
                document = {
                    "model": interaction.res_model,
                    "id": interaction.res_id,
                    "name": model_names.get(interaction.res_model, ""),
                }
            rows.append(
                {
                    "id": interaction.id,
                    "date": fields.Datetime.to_string(interaction.date),
                    # Captured events read in the reader's language.
                    "subject": interaction.subject_display,
                    "outcome": interaction.outcome or "",
                    "summary": textwrap.shorten(summary, TIMELINE_SUMMARY_CHARS, placeholder=" …"),
                    "direction": interaction.direction or False,
                    "direction_label": directions.get(interaction.direction, ""),
                    "is_event": interaction.kind == "event",
                    "channel": {
                        "name": interaction.channel_id.name or "",
                        "icon": interaction.channel_id.icon or "fa-circle-o",
                    },
                    "department": {
                        "name": interaction.department_id.name,
                        "code": interaction.department_id.code,
                    }
                    if interaction.department_id
                    else False,
                    "user": interaction.user_id.name or False,
                    "partner": {
                        "id": interaction.partner_id.id,
                        "name": interaction.partner_id.name or "",
                    },
                    "document": document,
                }
            )
        result = {"rows": rows, "has_more": has_more}
        if not offset:
            result["departments"] = [
                {"id": department.id, "name": department.name, "code": department.code}
                for department in self.env["crm.interaction.department"].search([])
            ]
            result["channels"] = [
                {"id": channel.id, "name": channel.name, "icon": channel.icon or "fa-circle-o"}
                for channel in self.env["crm.interaction.channel"].search([])
            ]
        return result

    def crm_timeline_log(self, entry_type, subject, summary="", outcome=""):
        """Log a call, an email or a note on the customer from the timeline composer
        (the one way to log them on the partner form).

        :param entry_type: "call", "email" or "note"
        :param subject: str, required
        :param summary: str, plain text (optional)
        :param outcome: str, short result such as "Will order 40 bags" (optional)
        :return: id of the new crm.interaction
        :raise ValidationError: unknown type, empty subject, or a subject,
            summary or outcome that is not text
        """
        self.ensure_one()
        if not isinstance(entry_type, str) or entry_type not in TIMELINE_COMPOSER_TYPES:
            raise ValidationError(self.env._("Choose a call, an email or a note."))
        if not isinstance(subject, str) or not subject.strip():
            raise ValidationError(self.env._("Give the call, email or note a subject."))
        if summary and not isinstance(summary, str):
            raise ValidationError(self.env._("The summary must be text."))
        if outcome and not isinstance(outcome, str):
            raise ValidationError(self.env._("The outcome must be text."))
        channel_code, direction = TIMELINE_COMPOSER_TYPES[entry_type]
        channel = self.env["crm.interaction.channel"].search([("code", "=", channel_code)], limit=1)
        if not channel:
            raise ValidationError(
                self.env._("The channel %(code)s does not exist.", code=channel_code)
            )
        log = self.env["crm.interaction.log"].create(
            {
                "partner_id": self.id,
                "channel_id": channel.id,
                "direction": direction,
                "subject": subject.strip(),
                "summary": summary and plaintext2html(summary),
                "outcome": (outcome or "").strip() or False,
            }
        )
        return log.action_log()["infos"]["interaction_id"]

    # ---- Profile charts ----

    def get_customer_charts(self):
        """Data of the profile charts (contact-time heatmap and monthly trend).

        Both are read from the customer's profile (companies the user works in),
        in a number of queries and a time that do not depend on the history;
        a call just logged is counted at once
        (crm.interaction._crm_profile_add_interactions).

        :return: dict with ``tz`` (the time zone the heatmap's hours are in: the
            customer's, "UTC" when unknown), ``heatmap`` {"weekday-hour": count} of inbound
            interactions over the last 12 months in the customer's time zone
            (Monday = 0), ``weekdays`` (7 translated names), ``months`` (12
            labels, oldest first) and ``trend`` [{channel, color, counts: [12
            ints]}] (interactions per channel and calendar month (UTC), last 12
            months)
        """
        self.ensure_one()
        commercial = self.commercial_partner_id
        # Both charts read history figures only, kept current as interactions are
        # created: a recompute is needed only when they are not (never computed,
        # merge, back-fill).
        if commercial.crm_profile_dirty and not commercial._crm_history_is_current():
            commercial._crm_recompute_profile(rfm=False)
        months, trend = commercial._crm_monthly_trend()
        by_channel = {
            channel: [counts.get(month, 0) for month in months]
            for channel, counts in trend.get(commercial, {}).items()
        }
        weekday_field = self.env["crm.interaction"]._fields["weekday"]
        return {
            # The zone the heatmap's hours are in: the customer's, UTC when unknown
            # (crm.interaction._compute_local_time_slot).
            "tz": self.tz or commercial.tz or "UTC",
            "heatmap": commercial.contact_time_histogram or {},
            "weekdays": [label for _value, label in weekday_field._description_selection(self.env)],
            "months": [format_date(self.env, month, date_format="MMM yyyy") for month in months],
            "trend": [
                {"channel": channel.name, "color": channel.color, "counts": counts}
                for channel, counts in sorted(
                    by_channel.items(), key=lambda item: (item[0].sequence, item[0].id)
                )
            ],
        }
