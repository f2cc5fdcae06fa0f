import math
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.osv.expression import AND as Domain_AND
from odoo.osv.expression import OR as Domain_OR
from odoo.tools import SQL, format_datetime

from .phone_check import contact_number, is_usable_phone

# Laplace-style prior for the conversion rate of a channel without history:
# (conversions + 1) / (sent + 20), i.e. 5% until real results come in.
CONVERSION_PRIOR = (1, 20)
# Benchmark (2-core dev machine, one campaign with two rules, customers without
# history): deciding the plan takes 26 queries / 0.04 s for 20 customers, 25 / 0.08 s
# for 200 and 79 / 2.1 s for 10,000 (about 6 more queries per 1,000-customer batch,
# none per customer); writing the deliveries takes 200 queries / 2.5 s for 10,000
# rows (the ORM inserts 100 rows per statement). See tests/test_planner_queries.py.
# The stored explanation (and the phone number check) add no query: deciding the
# plan of 10,000 customers with SMS-then-email rules took 91 queries either way,
# 2.4 s without the explanation and 2.7-3.0 s with it when it was formatted text;
# it is now codes and parameters (no date formatting at planning time), put into
# words when read.
PLANNING_BATCH_SIZE = 1000
# Skip reason of a delivery for which every send time is held back by a cap.
CAP_SKIP_REASONS = {"campaign": "campaign_cap", "rule": "rule_cap"}


def cap_blocking(contacts, moment, caps):
    """The first cap that a message at ``moment`` would exceed, or None.

    :param contacts: the customer's counted contacts, ``[(naive UTC datetime, channel id)]``
    :param moment: naive UTC datetime of the candidate message
    :param caps: ``[(scope, limit, period timedelta, channel id or None)]``; a limit of 0
        means no cap; a channel id limits the count to that channel
    :return: the scope of the first cap reached, or None when the message fits

    A message is allowed when fewer than ``limit`` contacts lie within ``period`` of
    it (either side), so that no rolling window of ``period`` ever holds more than
    ``limit`` messages.
    """
    for scope, limit, period, channel_id in caps:
        if not limit:
            continue
        near = sum(
            1
            for when, channel in contacts
            if abs(when - moment) < period and (channel_id is None or channel == channel_id)
        )
        if near >= limit:
            return scope
    return None


class CrmCampaignPlanner(models.AbstractModel):
    """Decides, per customer, the rule, variant, channel and send time of a campaign.

    Pure computation (`_compute_plan`) is separate from writing (`_plan_campaigns`)
    so that the dry run shows exactly what the planner would do.
    """

    _name = "crm.campaign.planner"
    _description = "Campaign Planner"

    # ---- Writing the plan, batch by batch ----

    def _get_delivery_model(self):
        return self.env["crm.campaign.delivery"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
        )

    @api.model
    def _plan_campaigns(self, campaigns, now=None):
        """Plan every customer of the campaigns in one transaction (small audiences,
        tests). Returns the created deliveries. Large audiences go through the cron
        (`crm.campaign._cron_plan_deliveries`), which commits batch by batch.
        """
        created_ids = []
        for campaign in campaigns:
            while True:
                ids = self._plan_campaign_batch(campaign, PLANNING_BATCH_SIZE, now=now)
                if not ids:
                    break
                created_ids += ids
        return self.env["crm.campaign.delivery"].browse(created_ids)

    @api.model
    def _plan_campaign_batch(self, campaign, limit, now=None):
        """Plan the next ``limit`` customers of ``campaign`` not planned yet.

        Customers are taken by increasing id among the audience of the campaign's
        active rules minus the customers that already have a live delivery, so a
        rerun after a crash continues exactly where the last committed batch ended.
        The ORM cache is emptied afterwards: memory does not grow with the audience.
        Returns the ids of the created deliveries (empty when nothing was left).
        """
        rules = self._get_rules(campaign)
        if not rules or limit <= 0:
            return []
        # Customers are planned by increasing id: start after the last one planned
        # (cheap, does not rescan what is done), then from the start for customers
        # that joined the audience with a lower id.
        last = self._get_last_planned_partner_id(campaign)
        batch_ids = self._next_batch_ids(campaign, rules, limit, after_id=last) if last else []
        if not batch_ids:
            batch_ids = self._next_batch_ids(campaign, rules, limit)
        if not batch_ids:
            return []
        now = now or fields.Datetime.now()
        state = self._prepare_plan_state(campaign, rules, now)
        audiences = rules._get_audience_ids(partner_ids=batch_ids)
        values = self._plan_batch(campaign, rules, audiences, batch_ids, state)
        created_ids = self._get_delivery_model().create(values).ids
        self.env.flush_all()
        self.env.invalidate_all()
        return created_ids

    @api.model
    def _get_last_planned_partner_id(self, campaign):
        """Highest customer id with a live delivery in the campaign (0 when none)."""
        self.env["crm.campaign.delivery"].flush_model(["campaign_id", "partner_id", "state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT MAX(partner_id) FROM crm_campaign_delivery "
                "WHERE campaign_id = %s AND state NOT IN ('cancelled', 'failed')",
                campaign.id,
            )
        )
        return rows[0][0] or 0

    @api.model
    def _get_rules(self, campaign, rules=None):
        rules = rules if rules is not None else campaign.rule_ids.filtered("active")
        return rules.sorted(lambda r: (r.sequence, r.id))

    @api.model
    def _get_unplanned_domain(self, campaign, rules):
        """res.partner domain: the audience of ``rules`` without a live delivery yet."""
        Delivery = self.env["crm.campaign.delivery"]
        Delivery.flush_model(["campaign_id", "partner_id", "state"])
        planned = Delivery._search(
            [("campaign_id", "=", campaign.id), ("state", "not in", ("cancelled", "failed"))]
        )
        return Domain_AND(
            [
                Domain_OR([rule._get_partner_domain() for rule in rules]),
                [("id", "not in", planned.subselect("partner_id"))],
            ]
        )

    @api.model
    def _next_batch_ids(self, campaign, rules, limit, after_id=0):
        """Ids of the next ``limit`` customers to plan, by increasing id (> after_id)."""
        domain = self._get_unplanned_domain(campaign, rules)
        if after_id:
            domain = Domain_AND([domain, [("id", ">", after_id)]])
        return list(self.env["res.partner"]._search(domain, order="id", limit=limit))

    @api.model
    def _count_unplanned(self, campaign):
        """Number of customers of the campaign's audience still to plan (one query)."""
        rules = self._get_rules(campaign)
        if not rules:
            return 0
        return self.env["res.partner"].search_count(self._get_unplanned_domain(campaign, rules))

    # ---- Computing the plan without writing it (dry run, benchmarks) ----

    @api.model
    def _compute_plan(self, campaign, rules=None, now=None):
        """Yield, per batch of customers, the list of delivery values to create.

        Nothing is written, so that the dry run can use it as is; the audience is
        read batch by batch, never as a whole.
        """
        rules = self._get_rules(campaign, rules)
        if not rules:
            return
        state = self._prepare_plan_state(campaign, rules, now or fields.Datetime.now())
        after_id = 0
        while True:
            batch_ids = self._next_batch_ids(campaign, rules, PLANNING_BATCH_SIZE, after_id)
            if not batch_ids:
                return
            audiences = rules._get_audience_ids(partner_ids=batch_ids)
            yield self._plan_batch(campaign, rules, audiences, batch_ids, state)
            after_id = batch_ids[-1]

    @api.model
    def _prepare_plan(self, campaign, rules=None, now=None):
        """(rules, audiences, sorted partner ids to plan, planning state), or None."""
        rules = self._get_rules(campaign, rules)
        if not rules:
            return None
        now = now or fields.Datetime.now()
        audiences = rules._get_audience_ids()
        partner_ids = set().union(*(set(audience) for audience in audiences.values()))
        partner_ids -= self._get_already_planned(campaign)
        if not partner_ids:
            return None
        state = self._prepare_plan_state(campaign, rules, now)
        return rules, audiences, sorted(partner_ids), state

    # ---- Campaign-level data (one query each) ----

    def _get_already_planned(self, campaign):
        self.env["crm.campaign.delivery"].flush_model(["campaign_id", "partner_id", "state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id FROM crm_campaign_delivery "
                "WHERE campaign_id = %s AND state NOT IN ('cancelled', 'failed')",
                campaign.id,
            )
        )
        return {row[0] for row in rows}

    def _prepare_plan_state(self, campaign, rules, now):
        Delivery = self.env["crm.campaign.delivery"]
        company = campaign.company_id
        usage = Delivery._read_group(
            [("rule_id", "in", rules.ids), ("state", "not in", ("skipped", "cancelled", "failed"))],
            ["rule_id"],
            ["__count", "cost:sum"],
        )
        rates = {}
        for channel, state, count in Delivery._read_group(
            [("company_id", "=", company.id), ("state", "in", Delivery._get_sent_states())],
            ["channel_id", "state"],
            ["__count"],
        ):
            sent, converted = rates.get(channel.id, (0, 0))
            rates[channel.id] = (sent + count, converted + (count if state == "converted" else 0))
        tz_name = campaign.user_id.tz or self.env.user.tz or "UTC"
        return {
            "now": pytz.utc.localize(now),
            "default_tz": tz_name,
            "used": {rule.id: count for rule, count, _cost in usage},
            "spent": {rule.id: cost for rule, _count, cost in usage},
            "conversion": {
                channel_id: (converted + CONVERSION_PRIOR[0]) / (sent + CONVERSION_PRIOR[1])
                for channel_id, (sent, converted) in rates.items()
            },
            "cap_contacts": company.crm_cap_contacts,
            "cap_period": timedelta(days=max(company.crm_cap_period_days, 1)),
            "require_opt_in": company.crm_require_opt_in,
        }

    # ---- Batch-level data (one query each) ----

    def _load_cap_data(self, partner_ids, start, end):
        """{partner_id: [(scheduled_date, channel_id), ...]} of contacts around the window."""
        Delivery = self.env["crm.campaign.delivery"]
        Delivery.flush_model(["partner_id", "scheduled_date", "channel_id", "state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id, scheduled_date, channel_id FROM crm_campaign_delivery "
                "WHERE partner_id IN %s AND state IN %s AND cap_exempt IS NOT TRUE "
                "AND scheduled_date >= %s AND scheduled_date < %s",
                tuple(partner_ids),
                tuple(Delivery._get_cap_states()),
                start,
                end,
            )
        )
        contacts = {}
        for partner_id, scheduled, channel_id in rows:
            contacts.setdefault(partner_id, []).append((scheduled, channel_id))
        return contacts

    def _get_best_slots(self, partners):
        """Best contact slots from the customer profile, when crm_unified provides them."""
        if hasattr(partners, "_crm_best_contact_slots"):
            return partners._crm_best_contact_slots()
        return {}

    def _get_partner_plan_fields(self):
        """Customer profile fields the planner reads (one fetch per batch).

        The planner reads the customer only through these ORM fields: a module that
        moves a figure elsewhere overrides this list (and the field) in one place.
        """
        return [
            "tz",
            "email",
            "phone",
            "mobile",
            "user_ids",
            "preferred_channel_id",
            "quiet_hour_start",
            "quiet_hour_end",
            "country_id",
        ]

    def _plan_batch(self, campaign, rules, audiences, batch_ids, state):
        """Delivery values (dicts) for the customers ``batch_ids``; nothing is written."""
        partners = self.env["res.partner"].browse(batch_ids)
        partners.fetch(self._get_partner_plan_fields())
        codes = list(set(rules.channel_line_ids.mapped("channel_id.code")))
        consents = partners._crm_get_consent(codes)
        slots = self._get_best_slots(partners)
        window_start, window_end = self._get_window_utc(campaign, state["default_tz"])
        window_start = max(window_start, state["now"])
        longest = max(
            [state["cap_period"]]
            + [timedelta(days=max(record.cap_period_days, 1)) for record in [campaign, *rules]]
        )
        cap = self._load_cap_data(
            batch_ids,
            (window_start - longest).replace(tzinfo=None),
            (window_end + longest).replace(tzinfo=None),
        )
        values = []
        for partner in partners:
            candidates = [rule for rule in rules if partner.id in audiences[rule.id]]
            rule, line, reason = self._choose_rule(
                candidates, partner, consents.get(partner.id, {}), state
            )
            vals = {
                "campaign_id": campaign.id,
                "rule_id": rule.id,
                "partner_id": partner.id,
                "segment_id": audiences[rule.id][partner.id],
                "company_id": campaign.company_id.id,
                "channel_id": line.channel_id.id if line else False,
                "variant_id": rule._pick_variant(partner.id).id,
                "cap_exempt": rule.cap_exempt,
            }
            scheduled = postponed = False
            best_slots = slots.get(partner.id) or []
            if not reason:
                reason = self._check_limits(rule, line, state)
            if not reason:
                scheduled, reason, postponed = self._choose_send_time(
                    campaign, rule, line, partner, best_slots, cap, state
                )
            vals["plan_explanation_params"] = self._explain_plan(
                {
                    "campaign": campaign,
                    "partner": partner,
                    "rule": rule,
                    "candidates": candidates,
                    "line": line,
                    "scheduled": scheduled,
                    "postponed": postponed,
                    "best_slots": best_slots,
                    "consent": consents.get(partner.id, {}),
                    "reason": reason,
                },
                state,
            )
            if reason:
                vals.update(
                    state="skipped",
                    skip_reason=reason,
                    failure_reason=self._explain(reason, partner, rule),
                )
            else:
                vals.update(
                    state="planned",
                    scheduled_date=scheduled,
                    cost=line.cost,
                    cap_postponed_by=postponed or False,
                )
                state["used"][rule.id] = state["used"].get(rule.id, 0) + 1
                state["spent"][rule.id] = state["spent"].get(rule.id, 0.0) + line.cost
                if not rule.cap_exempt:
                    cap.setdefault(partner.id, []).append((scheduled, line.channel_id.id))
            values.append(vals)
        return values

    # ---- Decisions for one customer (no queries) ----

    def _choose_rule(self, rules, partner, consent, state):
        """Highest priority (lowest sequence) wins; ties go to the best expected value.

        Expected value = offer value x conversion rate of the channel the customer
        would be contacted on (historical rate of the company, smoothed by
        CONVERSION_PRIOR). Remaining ties: the oldest rule.
        Returns (rule, channel line or None, skip reason or None).
        """
        top = rules[0].sequence
        options = []
        for rule in rules:
            if rule.sequence != top:
                break
            line, reason = self._choose_channel(rule, partner, consent, state)
            rate = state["conversion"].get(
                line.channel_id.id if line else 0, CONVERSION_PRIOR[0] / CONVERSION_PRIOR[1]
            )
            expected = rule.offer_value * rate if line else -1.0
            options.append((-expected, rule.id, rule, line, reason))
        options.sort(key=lambda option: option[:2])
        _neg, _id, rule, line, reason = options[0]
        return rule, line, reason

    def _is_channel_usable(self, code, partner, consent, state):
        status = consent.get(code, "unknown")
        if status == "opt_out" or (state["require_opt_in"] and status != "opt_in"):
            return False, "no_consent"
        if code in ("sms", "phone"):
            number = contact_number(partner, code)
            if not number:
                return False, "no_channel"
            return (True, None) if is_usable_phone(partner, number) else (False, "invalid_phone")
        has_address = {
            "email": bool(partner.email),
            "portal": bool(partner.user_ids),
        }.get(code, False)
        return has_address, None if has_address else "no_channel"

    def _choose_channel(self, rule, partner, consent, state):
        """Preferred channel if the rule allows it and it is usable, else the rule's order."""
        lines = rule.channel_line_ids
        preferred = lines.filtered(lambda line: line.channel_id == partner.preferred_channel_id)
        reasons = set()
        for line in preferred[:1] + (lines - preferred):
            usable, reason = self._is_channel_usable(line.channel_code, partner, consent, state)
            if usable:
                return line, None
            reasons.add(reason)
        # Every allowed channel refused by the customer: a consent problem; an invalid
        # number as the only other refusal: the number is the problem.
        if reasons == {"no_consent"}:
            return None, "no_consent"
        if "invalid_phone" in reasons and reasons <= {"no_consent", "invalid_phone"}:
            return None, "invalid_phone"
        return None, "no_channel"

    def _check_limits(self, rule, line, state):
        if rule.max_recipients and state["used"].get(rule.id, 0) >= rule.max_recipients:
            return "max_recipients"
        if rule.budget and state["spent"].get(rule.id, 0.0) + line.cost > rule.budget:
            return "budget"
        return None

    def _get_window_utc(self, campaign, tz_name):
        tz = self._get_tz(tz_name)
        start = tz.localize(datetime.combine(campaign.date_start, time.min))
        end = tz.localize(datetime.combine(campaign.date_end + timedelta(days=1), time.min))
        return start.astimezone(pytz.utc), end.astimezone(pytz.utc)

    @staticmethod
    def _get_tz(tz_name):
        try:
            return pytz.timezone(tz_name or "UTC")
        except pytz.UnknownTimeZoneError:
            return pytz.utc

    @staticmethod
    def _localize(tz, naive):
        """The aware time of wall-clock ``naive`` in ``tz``; None when that wall-clock
        time does not exist (skipped by a daylight-saving change)."""
        moment = tz.normalize(tz.localize(naive))
        return moment if moment.replace(tzinfo=None) == naive else None

    @staticmethod
    def _is_quiet(partner, hour):
        start, end = partner.quiet_hour_start, partner.quiet_hour_end
        if start == end:
            return False
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end

    def _iter_send_times(self, campaign, rule, partner, best_slots, state):
        """Candidate send times (aware, customer's tz), in order of preference."""
        tz = self._get_tz(partner.tz or state["default_tz"])
        start, end = self._get_window_utc(campaign, partner.tz or state["default_tz"])
        start = max(start, state["now"]).astimezone(tz)
        end = end.astimezone(tz)
        days = rule._get_allowed_weekdays()

        def allowed(hour):
            return rule.hour_from <= hour < rule.hour_to and not self._is_quiet(partner, hour)

        first_day = start.date()
        day_count = (end.date() - first_day).days + 1
        slots = [(wd, hour) for wd, hour in best_slots if wd in days and allowed(hour)]
        if slots:
            for week in range(day_count // 7 + 2):
                for weekday, hour in slots:
                    offset = (weekday - first_day.weekday()) % 7 + 7 * week
                    moment = self._localize(
                        tz, datetime.combine(first_day + timedelta(days=offset), time(int(hour)))
                    )
                    if moment and start <= moment < end:
                        yield moment
            return
        # No history: the rule's default slot, else the first allowed hour of the day.
        hours = [rule.default_hour] if allowed(rule.default_hour) else []
        hours += [h for h in range(math.ceil(rule.hour_from), 24) if allowed(h)][:1]
        if not hours:
            return
        hour = hours[0]
        for offset in range(day_count):
            day = first_day + timedelta(days=offset)
            if day.weekday() not in days:
                continue
            moment = self._localize(
                tz, datetime.combine(day, time(int(hour), round((hour % 1) * 60) % 60))
            )
            if moment and start <= moment < end:
                yield moment

    def _get_caps(self, campaign, rule, line, state):
        """Caps that apply to a message of ``rule`` on ``line``'s channel (see cap_blocking).

        Company, channel, campaign and rule caps all hold at once; a rule exempt from
        caps (transactional, the customer's own request) has none.
        """
        if rule.cap_exempt:
            return []
        return [
            ("company", state["cap_contacts"], state["cap_period"], None),
            ("channel", line.channel_id.cap_contacts, state["cap_period"], line.channel_id.id),
            ("campaign", campaign.cap_contacts, timedelta(days=campaign.cap_period_days), None),
            ("rule", rule.cap_contacts, timedelta(days=rule.cap_period_days), None),
        ]

    def _choose_send_time(self, campaign, rule, line, partner, best_slots, cap, state):
        """First candidate time that respects every contact cap.

        Returns (naive UTC time or False, skip reason or None, scope of the cap that
        postponed the message or False).
        """
        contacts = cap.get(partner.id, [])
        caps = self._get_caps(campaign, rule, line, state)
        found_any = postponed = first_block = False
        for moment in self._iter_send_times(campaign, rule, partner, best_slots, state):
            found_any = True
            scheduled = moment.astimezone(pytz.utc).replace(tzinfo=None)
            blocked = cap_blocking(contacts, scheduled, caps)
            if blocked:
                postponed = postponed or blocked
                first_block = first_block or blocked
                continue
            return scheduled, None, postponed
        if not found_any:
            return False, "no_slot", False
        return False, CAP_SKIP_REASONS.get(first_block, "capped"), False

    def _explain(self, reason, partner=None, rule=None):
        """Plain words on why a customer is skipped, in the language of self.env."""
        return self._render_skip(self._explain_skip(reason, partner, rule))

    # ---- Explanation stored on the delivery (no queries) ----
    #
    # The planner stores WHAT it decided as a list of parts, each a JSON object
    # {"code": ..., <parameters>} (crm.campaign.delivery.plan_explanation_params);
    # the words are put on them at read time, in the reader's language
    # (_render_explanation). Codes and parameters:
    #   channel_preferred            channel_id
    #   channel_first_usable         channel_id
    #   channel_preferred_not_allowed channel_id, preferred_id
    #   channel_preferred_unusable   channel_id, preferred_id, why (a skip_reason code),
    #                                number (when why = invalid_phone)
    #   time_best_slot / time_default_slot / time_first_hour
    #                                when (UTC, "YYYY-MM-DD HH:MM:SS"), tz,
    #                                postponed_by (a cap_postponed_by code or null)
    #   rule_only                    rule (name), priority
    #   rule_beat                    rule, priority, others ([{"rule", "priority"}])
    #   rule_tie                     rule, priority, others ([rule names])
    #   skipped                      reason (a skip_reason code), count, days (caps),
    #                                number (invalid_phone)

    def _explain_plan(self, facts, state):
        """The parts explaining why this customer got this rule, channel and time.

        Built from what the planner already holds, once, at planning time.

        :return: list of dicts {"code": str, ...parameters} (see above)
        """
        parts = []
        if facts["line"]:
            parts.append(self._explain_channel(facts, state))
        if facts["scheduled"]:
            parts.append(self._explain_time(facts, state))
        parts += self._explain_rule(facts["rule"], facts["candidates"])
        if facts["reason"]:
            parts.append(self._explain_skip(facts["reason"], facts["partner"], facts["rule"]))
        return parts

    def _explain_skip(self, reason, partner=None, rule=None):
        part = {"code": "skipped", "reason": reason}
        if reason == "campaign_cap":
            part.update(count=rule.campaign_id.cap_contacts, days=rule.campaign_id.cap_period_days)
        elif reason == "rule_cap":
            part.update(count=rule.cap_contacts, days=rule.cap_period_days)
        elif reason == "invalid_phone":
            part["number"] = self._invalid_numbers(partner)
        return part

    @staticmethod
    def _invalid_numbers(partner):
        numbers = {contact_number(partner, code) for code in ("sms", "phone")} - {""}
        return ", ".join(sorted(n for n in numbers if not is_usable_phone(partner, n)))

    def _explain_channel(self, facts, state):
        partner, rule, line = facts["partner"], facts["rule"], facts["line"]
        part = {"channel_id": line.channel_id.id}
        preferred = partner.preferred_channel_id
        if preferred == line.channel_id:
            return dict(part, code="channel_preferred")
        if not preferred:
            return dict(part, code="channel_first_usable")
        part["preferred_id"] = preferred.id
        preferred_line = rule.channel_line_ids.filtered(
            lambda channel_line: channel_line.channel_id == preferred
        )[:1]
        if not preferred_line:
            return dict(part, code="channel_preferred_not_allowed")
        _usable, why = self._is_channel_usable(
            preferred_line.channel_code, partner, facts["consent"], state
        )
        part.update(code="channel_preferred_unusable", why=why)
        if why == "invalid_phone":
            part["number"] = self._invalid_numbers(partner)
        return part

    def _explain_time(self, facts, state):
        partner, rule, scheduled = facts["partner"], facts["rule"], facts["scheduled"]
        tz_name = partner.tz or state["default_tz"]
        local = pytz.utc.localize(scheduled).astimezone(self._get_tz(tz_name))
        best = {(weekday, int(hour)) for weekday, hour in facts["best_slots"]}
        if (local.weekday(), local.hour) in best:
            code = "time_best_slot"
        elif local.hour + local.minute / 60 == rule.default_hour:
            code = "time_default_slot"
        else:
            code = "time_first_hour"
        return {
            "code": code,
            "when": fields.Datetime.to_string(scheduled),
            "tz": tz_name,
            "postponed_by": facts["postponed"] or None,
        }

    def _explain_rule(self, rule, candidates):
        others = [other for other in candidates if other != rule]
        if not others:
            return [{"code": "rule_only", "rule": rule.name, "priority": rule.sequence}]
        tied = [other.name for other in others if other.sequence == rule.sequence]
        beaten = [
            {"rule": other.name, "priority": other.sequence}
            for other in others
            if other.sequence != rule.sequence
        ]
        parts = []
        if beaten:
            parts.append(
                {
                    "code": "rule_beat",
                    "rule": rule.name,
                    "priority": rule.sequence,
                    "others": beaten,
                }
            )
        if tied:
            parts.append(
                {"code": "rule_tie", "rule": rule.name, "priority": rule.sequence, "others": tied}
            )
        return parts

    # ---- Explanation in words, in the language of self.env (the reader's) ----

    @api.model
    def _prepare_explanation_cache(self, parts_lists):
        """Data shared by the rendering of many explanations: one query for the
        names of every channel they mention, labels of the selections.

        :param parts_lists: iterable of explanations (lists of parts)
        :return: dict to pass to `_render_explanation`
        """
        channel_ids = set()
        for parts in parts_lists:
            for part in parts or []:
                if isinstance(part, dict):
                    channel_ids.update(
                        part.get(key) for key in ("channel_id", "preferred_id") if part.get(key)
                    )
        Delivery = self.env["crm.campaign.delivery"]
        channels = self.env["crm.interaction.channel"].browse(channel_ids).exists()
        return {
            "channels": {channel.id: channel.name for channel in channels},
            "reason_labels": dict(Delivery._fields["skip_reason"]._description_selection(self.env)),
            "cap_labels": dict(
                Delivery._fields["cap_postponed_by"]._description_selection(self.env)
            ),
            "when": {},
        }

    @api.model
    def _render_explanation(self, parts, cache):
        """The explanation ``parts`` (see `_explain_plan`) in plain words, in the
        language of self.env; dates in the time zone the planner used, formatted
        in that language.

        :param parts: list of dicts {"code": ..., ...}
        :param cache: from `_prepare_explanation_cache`
        :return: str
        :raises KeyError, TypeError, ValueError: parts that do not fit (the caller
            falls back to the stored text)
        """
        return "; ".join(self._render_explanation_part(part, cache) for part in parts)

    def _render_explanation_part(self, part, cache):
        code = part["code"]
        if code.startswith("channel_"):
            return self._render_channel(part, cache)
        if code.startswith("time_"):
            return self._render_time(part, cache)
        if code.startswith("rule_"):
            return self._render_rule(part)
        if code == "skipped":
            return self.env._("skipped: %(reason)s", reason=self._render_skip(part, cache))
        raise KeyError(code)

    def _render_skip(self, part, cache=None):
        reason = part["reason"]
        if reason == "campaign_cap":
            return self.env._(
                "Every allowed send time would exceed the campaign's contact cap (messages "
                "at most: %(count)s, rolling period in days: %(days)s).",
                count=part["count"],
                days=part["days"],
            )
        if reason == "rule_cap":
            return self.env._(
                "Every allowed send time would exceed the rule's contact cap (messages "
                "at most: %(count)s, rolling period in days: %(days)s).",
                count=part["count"],
                days=part["days"],
            )
        if reason == "invalid_phone":
            return self.env._("Invalid phone number %(number)s", number=part["number"])
        return {
            "no_channel": self.env._(
                "None of the rule's channels can reach this customer (missing address or "
                "portal access)."
            ),
            "no_consent": self.env._(
                "The customer has not consented to any of the rule's channels."
            ),
            "capped": self.env._(
                "Every allowed send time in the campaign window would exceed the contact cap."
            ),
            "no_slot": self.env._(
                "No send time fits the campaign window, the rule's days and hours and the "
                "customer's quiet hours."
            ),
            "max_recipients": self.env._("The rule already reached its maximum of recipients."),
            "budget": self.env._("The rule's budget is spent."),
        }[reason]

    def _render_channel(self, part, cache):
        code = part["code"]
        channel = cache["channels"][part["channel_id"]]
        if code == "channel_preferred":
            return self.env._("Preferred channel %(channel)s", channel=channel)
        if code == "channel_first_usable":
            return self.env._(
                "Channel %(channel)s: no preferred channel, first usable channel of the rule",
                channel=channel,
            )
        preferred = cache["channels"][part["preferred_id"]]
        if code == "channel_preferred_not_allowed":
            return self.env._(
                "Channel %(channel)s: preferred channel %(preferred)s is not allowed by the rule",
                channel=channel,
                preferred=preferred,
            )
        if code != "channel_preferred_unusable":
            raise KeyError(code)
        why = part["why"]
        why_text = (
            self._render_skip(part | {"reason": why})
            if why == "invalid_phone"
            else cache["reason_labels"].get(why, why)
        )
        return self.env._(
            "Channel %(channel)s: preferred channel %(preferred)s cannot be used (%(why)s)",
            channel=channel,
            preferred=preferred,
            why=why_text,
        )

    def _render_time(self, part, cache):
        code, tz_name = part["code"], part["tz"]
        # Many customers share a slot: format each (time, zone) once per batch.
        key = (part["when"], tz_name)
        when = cache["when"].get(key)
        if when is None:
            when = format_datetime(
                self.env,
                fields.Datetime.to_datetime(part["when"]),
                tz=tz_name,
                dt_format="EEE d MMM HH:mm",
            )
            cache["when"][key] = when
        if code == "time_best_slot":
            text = self.env._("best contact time %(when)s %(tz)s", when=when, tz=tz_name)
        elif code == "time_default_slot":
            text = self.env._("rule's default slot %(when)s %(tz)s", when=when, tz=tz_name)
        elif code == "time_first_hour":
            text = self.env._(
                "first allowed hour %(when)s %(tz)s (the default slot is not allowed)",
                when=when,
                tz=tz_name,
            )
        else:
            raise KeyError(code)
        if part.get("postponed_by"):
            text = self.env._(
                "%(slot)s, postponed by the %(cap)s",
                slot=text,
                cap=cache["cap_labels"][part["postponed_by"]].lower(),
            )
        return text

    def _render_rule(self, part):
        code = part["code"]
        if code == "rule_only":
            return self.env._(
                "rule '%(rule)s' priority %(priority)s is the only matching rule",
                rule=part["rule"],
                priority=part["priority"],
            )
        if code == "rule_beat":
            beaten_texts = [
                self.env._(
                    "'%(rule)s' priority %(priority)s",
                    rule=other["rule"],
                    priority=other["priority"],
                )
                for other in part["others"]
            ]
            return self.env._(
                "rule '%(rule)s' priority %(priority)s beat %(others)s",
                rule=part["rule"],
                priority=part["priority"],
                others=", ".join(beaten_texts),
            )
        if code == "rule_tie":
            return self.env._(
                "rule '%(rule)s' won the tie at priority %(priority)s over %(others)s "
                "on expected value",
                rule=part["rule"],
                priority=part["priority"],
                others=", ".join(f"'{name}'" for name in part["others"]),
            )
        raise KeyError(code)
