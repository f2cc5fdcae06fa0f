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
# Customers planned per batch (one INSERT … SELECT each, see _plan_batch_sql).
# Benchmark at M (100,000 customers, 3 rules, 2 shared cores under load 9-11,
# tests/benchmarks/results/2026-11-30-M-planning.json): 1,000-customer batches took
# 82 s (3.5x the raw INSERT … SELECT of one delivery per customer, 735 queries),
# 5,000-customer batches 74 s (2.5x, 175 queries), peak memory 185 MB either way.
# The customer-by-customer planner took 225 s (42.8x, 4,933 queries) before.
PLANNING_BATCH_SIZE = 5000
# Skip reason of a delivery for which every send time is held back by a cap.
CAP_SKIP_REASONS = {"campaign": "campaign_cap", "rule": "rule_cap"}
# Columns of crm_campaign_delivery the set-based planner writes (see _plan_batch_sql).
PLAN_COLUMNS = (
    "campaign_id",
    "rule_id",
    "partner_id",
    "segment_id",
    "company_id",
    "channel_id",
    "channel_code",
    "variant_id",
    "cap_exempt",
    "state",
    "skip_reason",
    "failure_reason",
    "scheduled_date",
    "cost",
    "cap_postponed_by",
    "offer_expiry_date",
    "plan_explanation_params",
)
# {database: {time zone name: known to PostgreSQL}}, filled as zones are met.
_PG_ZONES = {}


def _sql_quiet(start, end, hour):
    """SQL of `CrmCampaignPlanner._is_quiet`: the hour starts inside the quiet window."""
    return SQL(
        "(CASE WHEN %(s)s = %(e)s THEN FALSE "
        "WHEN %(s)s < %(e)s THEN %(s)s <= %(h)s AND %(h)s < %(e)s "
        "ELSE %(h)s >= %(s)s OR %(h)s < %(e)s END)",
        s=start,
        e=end,
        h=hour,
    )


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
        batch_ids = (
            self._next_batch_ids(campaign, rules, limit, after_id=last, none_planned_after=True)
            if last
            else []
        )
        if not batch_ids:
            batch_ids = self._next_batch_ids(campaign, rules, limit)
        if not batch_ids:
            return []
        now = now or fields.Datetime.now()
        state = self._prepare_plan_state(campaign, rules, now)
        created_ids = self._write_plan_batch(campaign, rules, batch_ids, state)
        self.env.flush_all()
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
    def _next_batch_ids(self, campaign, rules, limit, after_id=0, none_planned_after=False):
        """Ids of the next ``limit`` customers to plan, by increasing id (> after_id).

        The customers of `_get_unplanned_domain`, read from each rule's segment
        memberships in id order (one statement): the planner's domain as one search
        makes PostgreSQL hash the whole segment membership on every batch.
        ``none_planned_after``: the caller knows that no customer above ``after_id``
        has a live delivery (``after_id`` is the highest planned one), so the
        deliveries are not read.
        """
        Partner = self.env["res.partner"]
        self.env.flush_all()
        unplanned = SQL()
        if not none_planned_after:
            unplanned = SQL(
                "AND m.partner_id NOT IN (SELECT d.partner_id FROM crm_campaign_delivery d "
                "WHERE d.campaign_id = %s AND d.state NOT IN ('cancelled', 'failed'))",
                campaign.id,
            )
        parts = []
        for rule in rules:
            allowed = Partner._search(
                [
                    ("company_id", "in", [rule.company_id.id, False]),
                    ("id", ">", after_id),
                    *rule._get_extra_domain(),
                ]
            )
            # one part per segment: its members come in id order from the index
            for segment in rule.segment_ids:
                parts.append(
                    SQL(
                        """
                        (SELECT m.partner_id
                           FROM crm_segment_partner_rel m
                          WHERE m.segment_id = %(segment)s
                            AND m.partner_id > %(after)s
                            AND NOT EXISTS (
                                SELECT 1 FROM crm_segment_partner_rel x
                                 WHERE x.partner_id = m.partner_id
                                   AND x.segment_id = ANY(%(excluded)s::int[]))
                            AND m.partner_id IN (%(allowed)s)
                            %(unplanned)s
                          ORDER BY m.partner_id
                          LIMIT %(limit)s)
                        """,
                        segment=segment.id,
                        after=after_id,
                        excluded=rule.excluded_segment_ids.ids,
                        allowed=allowed.subselect(),
                        unplanned=unplanned,
                        limit=limit,
                    )
                )
        if not parts:
            return []
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id FROM (%s) AS audience ORDER BY partner_id LIMIT %s",
                SQL(" UNION ").join(parts),
                limit,
            )
        )
        return [row[0] for row in rows]

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
            yield self._plan_batch_values(campaign, rules, batch_ids, state)
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
        # recipients and spending only matter to rules with a limit or a budget
        limited = rules.filtered(lambda rule: rule.max_recipients or rule.budget)
        usage = (
            Delivery._read_group(
                [
                    ("rule_id", "in", limited.ids),
                    ("state", "not in", ("skipped", "cancelled", "failed")),
                ],
                ["rule_id"],
                ["__count", "cost:sum"],
            )
            if limited
            else []
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

    # ---- Set-based planning: the same decisions in one statement per batch ----
    #
    # `_plan_batch` (Python, one customer at a time) is the reference; the statement
    # below makes the same decisions for a whole batch: audience and segment, consent
    # per channel, channel choice, rule choice, A/B variant, candidate send times in
    # the customer's time zone, contact caps, skip reason and the plain-words
    # explanation. Python only prepares per-batch inputs: rule and channel settings,
    # translated texts, the phone numbers' validity (Odoo's phone_validation) and,
    # when a module overrides `_get_best_slots`, its slots. A batch that could reach a
    # rule's recipient limit or budget is planned by `_plan_batch` (those limits
    # depend on the order in which customers are planned).

    def _can_plan_in_sql(self, rules, size, state):
        """True when no rule's recipient limit or budget can be reached by ``size``
        more customers, so that the order of planning within the batch does not matter."""
        for rule in rules:
            if rule.max_recipients and state["used"].get(rule.id, 0) + size > rule.max_recipients:
                return False
            if rule.budget:
                cost = max(rule.channel_line_ids.mapped("cost") or [0.0])
                if state["spent"].get(rule.id, 0.0) + size * cost + 1e-6 >= rule.budget:
                    return False
        return True

    def _plan_batch_values(self, campaign, rules, batch_ids, state):
        """Delivery values (dicts, by increasing customer id) of the customers
        ``batch_ids``; nothing is written. Updates ``state``'s recipient counts and
        spending as `_plan_batch` does, so that consecutive batches share them."""
        if not self._can_plan_in_sql(rules, len(batch_ids), state):
            audiences = rules._get_audience_ids(partner_ids=batch_ids)
            return self._plan_batch(campaign, rules, audiences, batch_ids, state)
        rows = self._execute_plan_sql(self._plan_batch_sql(campaign, rules, batch_ids, state), True)
        for vals in rows:
            if vals["state"] == "planned":
                self._count_planned(state, vals["rule_id"], vals["cost"])
        return rows

    def _write_plan_batch(self, campaign, rules, batch_ids, state):
        """Create the deliveries of the customers ``batch_ids``; returns their ids.

        One INSERT … SELECT when the batch can be decided by SQL, else the Python
        decisions written through the ORM.
        """
        if not self._can_plan_in_sql(rules, len(batch_ids), state):
            audiences = rules._get_audience_ids(partner_ids=batch_ids)
            values = self._plan_batch(campaign, rules, audiences, batch_ids, state)
            created_ids = self._get_delivery_model().create(values).ids
            self.env.flush_all()
            self.env.invalidate_all()
            return created_ids
        select = self._plan_batch_sql(campaign, rules, batch_ids, state)
        columns = SQL(", ").join(SQL.identifier(name) for name in PLAN_COLUMNS)
        rows = self._execute_plan_sql(
            SQL(
                "INSERT INTO crm_campaign_delivery (%(columns)s, create_uid, create_date, "
                "write_uid, write_date) SELECT %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s "
                "FROM (%(select)s) AS plan ORDER BY partner_id RETURNING id",
                columns=columns,
                uid=self.env.uid,
                now=self.env.cr.now(),
                select=select,
            )
        )
        # the cache keeps the rules and settings, not what grows with the audience
        self.env["crm.campaign.delivery"].invalidate_model()
        self.env["res.partner"].invalidate_model()
        return [row[0] for row in rows]

    def _execute_plan_sql(self, query, as_dict=False):
        """Run the planning statement with hash joins and without JIT.

        The statement's intermediate results (audience, candidates, send times) come
        from VALUES, arrays and grouped CTEs whose sizes PostgreSQL cannot estimate
        (it assumes one row), so it would pick nested loops that rescan a 1,000-row
        result once per row: measured 28 s instead of 0.3 s for one M batch. Both
        settings are local to the transaction and put back right after.
        """
        saved = self.env.execute_query(
            SQL(
                "SELECT current_setting('enable_nestloop'), current_setting('jit'), "
                "current_setting('max_parallel_workers_per_gather'), "
                "set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )[0]
        # No try/finally: a failed statement aborts the transaction, and a query run
        # then would only hide its error behind InFailedSqlTransaction; the settings
        # are transaction-local, so the rollback that follows restores them.
        if as_dict:
            result = self.env.execute_query_dict(query)
        else:
            result = self.env.execute_query(query)
        self.env.execute_query(
            SQL(
                "SELECT set_config('enable_nestloop', %s, true), set_config('jit', %s, true), "
                "set_config('max_parallel_workers_per_gather', %s, true)",
                saved[0],
                saved[1],
                saved[2],
            )
        )
        return result

    @staticmethod
    def _count_planned(state, rule_id, cost):
        state["used"][rule_id] = state["used"].get(rule_id, 0) + 1
        state["spent"][rule_id] = state["spent"].get(rule_id, 0.0) + (cost or 0.0)

    # ---- Inputs of the statement (Python, per batch, no query per customer) ----

    def _sql_known_zones(self, names):
        """The time zones among ``names`` that both pytz and PostgreSQL know (others
        are planned in UTC, as `_get_tz` does). PostgreSQL's list is read once per
        process for each new name."""
        names = {name for name in names if name in pytz.all_timezones_set}
        known = _PG_ZONES.setdefault(self.env.cr.dbname, {})
        unknown = sorted(names - set(known))
        if unknown:
            rows = self.env.execute_query(
                SQL("SELECT name FROM pg_timezone_names WHERE name = ANY(%s)", unknown)
            )
            found = {row[0] for row in rows}
            known.update({name: name in found for name in unknown})
        return sorted(name for name in names if known[name])

    def _sql_partner_checks(self, rules, batch_ids, state):
        """Per-batch facts Python decides: known time zones, phone numbers' validity.

        :return: (zones, {partner_id: (sms usable, phone usable, invalid numbers,
            skip text of those numbers)})
        """
        tzs, with_number = self.env.execute_query(
            SQL(
                "SELECT array_agg(DISTINCT tz) FILTER (WHERE tz IS NOT NULL), "
                "array_agg(id) FILTER (WHERE COALESCE(mobile, '') <> '' "
                "OR COALESCE(phone, '') <> '') FROM res_partner WHERE id = ANY(%s)",
                list(batch_ids),
            )
        )[0]
        zones = self._sql_known_zones(set(tzs or ()) | {state["default_tz"]})
        phones = {}
        codes = set(rules.channel_line_ids.mapped("channel_id.code"))
        if with_number and codes & {"sms", "phone"}:
            partners = self.env["res.partner"].browse(with_number)
            partners.fetch(["mobile", "phone", "country_id"])
            for partner in partners:
                usable = {}
                for code in ("sms", "phone"):
                    number = contact_number(partner, code)
                    if number not in usable:
                        usable[number] = bool(number) and is_usable_phone(partner, number)
                sms, phone = contact_number(partner, "sms"), contact_number(partner, "phone")
                invalid = ", ".join(sorted(n for n in {sms, phone} - {""} if not usable[n]))
                text = self._render_skip({"reason": "invalid_phone", "number": invalid})
                phones[partner.id] = (usable[sms], usable[phone], invalid, text)
        return zones, phones

    def _sql_best_slots(self, batch_ids):
        """SQL of the best contact slots (partner_id, weekday, hour, rank), or None
        to read them in the statement from the profile histogram, as
        res.partner._crm_best_contact_slots does."""
        if type(self)._get_best_slots is _DEFAULT_GET_BEST_SLOTS and hasattr(
            self.env["res.partner"], "_crm_best_contact_slots"
        ):
            return None
        slots = self._get_best_slots(self.env["res.partner"].browse(batch_ids))
        rows = [
            (partner_id, int(weekday), hour, rank)
            for partner_id, partner_slots in slots.items()
            for rank, (weekday, hour) in enumerate(partner_slots or [])
        ]
        if not rows:
            return SQL(
                "SELECT NULL::int AS partner_id, NULL::int AS wd, NULL::float8 AS hr, "
                "NULL::int AS rank WHERE FALSE"
            )
        return SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::float8[], %s::int[]) "
            "AS s(partner_id, wd, hr, rank)",
            *(list(column) for column in zip(*rows, strict=True)),
        )

    def _sql_rules(self, rules, state):
        texts = []
        for pos, rule in enumerate(rules):
            variants = rule.variant_ids
            thresholds, total = [], 0.0
            for variant in variants:
                total += variant.split_percent
                thresholds.append(total)
            hour = rule.default_hour
            texts.append(
                SQL(
                    "(%s::int, %s::int, %s::int, %s::text, %s::bool, %s::float8, %s::float8, "
                    "%s::float8, %s::float8, %s::int, %s::int, %s::int[], %s::int, %s::int, "
                    "%s::int, %s::int[], %s::float8[], %s::int, %s::text)",
                    rule.id,
                    pos,
                    rule.sequence,
                    rule.name,
                    rule.cap_exempt,
                    rule.offer_value,
                    rule.hour_from,
                    rule.hour_to,
                    hour,
                    int(hour),
                    round((hour % 1) * 60) % 60,
                    sorted(rule._get_allowed_weekdays()),
                    rule.cap_contacts,
                    rule.cap_period_days,
                    rule.offer_validity_days,
                    variants.ids,
                    thresholds,
                    rule.winner_variant_id.id or None,
                    self._explain("rule_cap", rule=rule),
                )
            )
        return SQL(", ").join(texts)

    def _sql_lines(self, rules):
        rows = []
        for rule in rules:
            for pos, line in enumerate(rule.channel_line_ids):
                rows.append(
                    SQL(
                        "(%s::int, %s::int, %s::int, %s::text, %s::float8, %s::int, %s::text)",
                        rule.id,
                        pos,
                        line.channel_id.id,
                        line.channel_id.code,
                        line.cost,
                        line.channel_id.cap_contacts,
                        line.channel_id.name,
                    )
                )
        return SQL(", ").join(rows)

    def _sql_audience(self, rules, batch_ids):
        """(rule_id, partner_id, segment_id): the customers of ``batch_ids`` each rule
        targets, with the first of its segments they belong to (`_get_audience_ids`)."""
        Partner = self.env["res.partner"]
        parts = []
        for rule in rules:
            if not rule.segment_ids:
                continue
            query = Partner._search(
                [("company_id", "in", [rule.company_id.id, False]), *rule._get_extra_domain()]
            )
            query.add_where(
                SQL(
                    "%s BETWEEN %s AND %s",
                    SQL.identifier(query.table, "id"),
                    min(batch_ids),
                    max(batch_ids),
                )
            )
            parts.append(
                SQL(
                    """
                    SELECT %(rule)s AS rule_id, m.partner_id,
                           (array_agg(m.segment_id
                                      ORDER BY array_position(%(segments)s::int[], m.segment_id)
                           ))[1] AS segment_id
                      FROM crm_segment_partner_rel m
                     WHERE m.segment_id = ANY(%(segments)s::int[])
                       AND m.partner_id BETWEEN %(low)s AND %(high)s
                       AND m.partner_id IN (SELECT id FROM batch)
                       AND m.partner_id IN (%(allowed)s)
                       AND NOT EXISTS (
                           SELECT 1 FROM crm_segment_partner_rel x
                            WHERE x.partner_id = m.partner_id
                              AND x.segment_id = ANY(%(excluded)s::int[]))
                     GROUP BY m.partner_id
                    """,
                    rule=rule.id,
                    segments=rule.segment_ids.ids,
                    low=min(batch_ids),
                    high=max(batch_ids),
                    allowed=query.subselect(),
                    excluded=rule.excluded_segment_ids.ids,
                )
            )
        if not parts:
            return SQL(
                "SELECT NULL::int AS rule_id, NULL::int AS partner_id, "
                "NULL::int AS segment_id WHERE FALSE"
            )
        return SQL(" UNION ALL ").join(parts)

    # ---- The statement ----

    def _plan_batch_sql(self, campaign, rules, batch_ids, state):
        """SELECT of the delivery values of the customers ``batch_ids`` (columns
        PLAN_COLUMNS), deciding as `_plan_batch` does; see the section comment."""
        self.env.flush_all()
        batch_ids = list(batch_ids)
        zones, phones = self._sql_partner_checks(rules, batch_ids, state)
        default_tz = state["default_tz"]
        window_start, window_end = self._get_window_utc(campaign, default_tz)
        window_start = max(window_start, state["now"])
        longest = max(
            [state["cap_period"]]
            + [timedelta(days=max(record.cap_period_days, 1)) for record in [campaign, *rules]]
        )
        conversion = state["conversion"]
        fixed = {
            reason: self._explain(reason)
            for reason in (
                "no_channel",
                "no_consent",
                "capped",
                "no_slot",
                "max_recipients",
                "budget",
            )
        }
        fixed["campaign_cap"] = self._explain("campaign_cap", rule=rules[0])
        explain_reason = SQL(
            "CASE f.reason WHEN 'rule_cap' THEN f.cap_text "
            "WHEN 'invalid_phone' THEN f.invalid_text %s END",
            SQL(" ").join(SQL("WHEN %s THEN %s::text", key, text) for key, text in fixed.items()),
        )
        best = self._sql_best_slots(batch_ids)
        if best is None:
            best = SQL(
                """
                SELECT pd.id AS partner_id, split_part(e.key, '-', 1)::int AS wd,
                       split_part(e.key, '-', 2)::float8 AS hr,
                       row_number() OVER (
                           PARTITION BY pd.id ORDER BY e.value::numeric DESC,
                           split_part(e.key, '-', 1)::int, split_part(e.key, '-', 2)::int
                       ) AS rank
                  FROM pd CROSS JOIN LATERAL jsonb_each(pd.histogram) e
                 WHERE jsonb_typeof(e.value) = 'number' AND e.value::numeric <> 0
                   AND NOT %(quiet)s
                """,
                quiet=_sql_quiet(SQL("pd.qs"), SQL("pd.qe"), SQL("split_part(e.key, '-', 2)::int")),
            )

        def allowed(hour):
            return SQL(
                "(sw.hour_from <= %(h)s AND %(h)s < sw.hour_to AND NOT %(quiet)s)",
                h=hour,
                quiet=_sql_quiet(SQL("sw.qs"), SQL("sw.qe"), hour),
            )

        return SQL(
            """
WITH batch AS MATERIALIZED (SELECT unnest(%(ids)s::int[]) AS id),
rl(id, pos, seq, name, exempt, offer_value, hour_from, hour_to, default_hour, dflt_h,
        dflt_m, days, cap_contacts, cap_days, validity, variant_ids, thresholds, winner_id,
        cap_text) AS (VALUES %(rules)s),
ln(rule_id, pos, channel_id, code, cost, channel_cap) AS (VALUES %(lines)s),
aud AS MATERIALIZED (%(audience)s),
cand AS (
    SELECT a.rule_id, a.partner_id, a.segment_id, rl.pos, rl.seq, rl.name,
           min(rl.seq) OVER (PARTITION BY a.partner_id) AS top
      FROM aud a JOIN rl ON rl.id = a.rule_id
),
ck AS (
    SELECT * FROM unnest(%(ck_ids)s::int[], %(ck_sms)s::bool[], %(ck_phone)s::bool[],
                         %(ck_invalid)s::text[], %(ck_text)s::text[])
                   AS ck(partner_id, sms_ok, phone_ok, invalid, invalid_text)
),
pd AS MATERIALIZED (
    SELECT p.id,
           COALESCE(NULLIF(p.tz, ''), %(default_tz)s) AS tz_name,
           CASE WHEN COALESCE(NULLIF(p.tz, ''), %(default_tz)s) = ANY(%(zones)s::text[])
                THEN COALESCE(NULLIF(p.tz, ''), %(default_tz)s) ELSE 'UTC' END AS zone,
           p.do_not_contact IS TRUE AS dnc,
           COALESCE(p.email, '') <> '' AS email_ok,
           EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id AND u.active) AS portal_ok,
           COALESCE(p.preferred_channel_stated_id, p.preferred_channel_manual_id,
                    (SELECT prof.preferred_channel_computed_id FROM crm_partner_profile prof
                      WHERE prof.partner_id = p.commercial_partner_id
                        AND prof.company_id = %(env_company)s)) AS preferred,
           COALESCE(p.quiet_hour_start, 0.0)::float8 AS qs,
           COALESCE(p.quiet_hour_end, 0.0)::float8 AS qe,
           (SELECT prof.contact_time_histogram FROM crm_partner_profile prof
             WHERE prof.partner_id = p.commercial_partner_id
               AND prof.company_id = %(env_company)s) AS histogram,
           COALESCE(NULLIF(p.mobile, ''), NULLIF(p.phone, ''), '') AS sms_num,
           COALESCE(NULLIF(p.phone, ''), NULLIF(p.mobile, ''), '') AS phone_num,
           COALESCE(p.email_normalized, '') <> '' AND EXISTS (
               SELECT 1 FROM mail_blacklist b WHERE b.email = p.email_normalized AND b.active
           ) AS email_bl,
           COALESCE(p.crm_phone_sanitized, '') <> '' AND EXISTS (
               SELECT 1 FROM phone_blacklist b WHERE b.number = p.crm_phone_sanitized AND b.active
           ) AS phone_bl
      FROM res_partner p
     WHERE p.id BETWEEN %(low)s AND %(high)s AND p.id IN (SELECT id FROM batch)
),
cs AS (
    SELECT DISTINCT ON (c.partner_id, ch.code) c.partner_id, ch.code, c.state
      FROM crm_contact_consent c JOIN crm_interaction_channel ch ON ch.id = c.channel_id
     WHERE c.partner_id BETWEEN %(low)s AND %(high)s AND c.partner_id IN (SELECT id FROM batch)
       AND ch.code IN (SELECT code FROM ln)
     ORDER BY c.partner_id, ch.code, c.channel_id DESC
),
lu AS (
    SELECT c.partner_id, c.rule_id, ln.pos,
           COALESCE(ln.channel_id = pd.preferred, FALSE) AS is_pref,
           CASE
               WHEN st.status = 'opt_out' OR (%(opt_in)s AND st.status <> 'opt_in')
                   THEN 'no_consent'
               WHEN ln.code = 'sms' THEN CASE WHEN pd.sms_num = '' THEN 'no_channel'
                   WHEN ck.sms_ok THEN NULL ELSE 'invalid_phone' END
               WHEN ln.code = 'phone' THEN CASE WHEN pd.phone_num = '' THEN 'no_channel'
                   WHEN ck.phone_ok THEN NULL ELSE 'invalid_phone' END
               WHEN ln.code = 'email' AND pd.email_ok THEN NULL
               WHEN ln.code = 'portal' AND pd.portal_ok THEN NULL
               ELSE 'no_channel'
           END AS reason
      FROM cand c
      JOIN pd ON pd.id = c.partner_id
      JOIN ln ON ln.rule_id = c.rule_id
      LEFT JOIN cs ON cs.partner_id = c.partner_id AND cs.code = ln.code
      LEFT JOIN ck ON ck.partner_id = c.partner_id
      CROSS JOIN LATERAL (
          SELECT CASE WHEN pd.dnc THEN 'opt_out'
                      WHEN ln.code = 'email' AND pd.email_bl THEN 'opt_out'
                      WHEN ln.code = 'sms' AND pd.phone_bl THEN 'opt_out'
                      ELSE COALESCE(cs.state, 'unknown') END AS status
      ) st
     WHERE c.seq = c.top
),
ch AS (
    SELECT partner_id, rule_id,
           (array_agg(pos ORDER BY NOT is_pref, pos) FILTER (WHERE reason IS NULL))[1] AS line_pos,
           bool_and(reason = 'no_consent') AS all_consent,
           bool_or(reason = 'invalid_phone') AS any_invalid,
           bool_and(reason IN ('no_consent', 'invalid_phone')) AS consent_or_invalid,
           bool_or(is_pref) AS pref_in_rule,
           max(reason) FILTER (WHERE is_pref) AS pref_reason
      FROM lu GROUP BY partner_id, rule_id
),
opt AS (
    SELECT c.partner_id, c.rule_id, c.segment_id, c.seq, c.name AS rule_name, ln.channel_id,
           ln.code, ln.cost, ln.channel_cap, COALESCE(ch.pref_in_rule, FALSE) AS pref_in_rule,
           ch.pref_reason,
           CASE WHEN ch.line_pos IS NOT NULL THEN NULL
                WHEN ch.all_consent THEN 'no_consent'
                WHEN ch.any_invalid AND ch.consent_or_invalid THEN 'invalid_phone'
                ELSE 'no_channel' END AS reason,
           CASE WHEN ch.line_pos IS NULL THEN -1.0::float8
                ELSE rl.offer_value * COALESCE(rt.rate, %(prior)s::float8) END AS expected
      FROM cand c
      JOIN rl ON rl.id = c.rule_id
      LEFT JOIN ch ON ch.partner_id = c.partner_id AND ch.rule_id = c.rule_id
      LEFT JOIN ln ON ln.rule_id = c.rule_id AND ln.pos = ch.line_pos
      LEFT JOIN unnest(%(rate_ids)s::int[], %(rates)s::float8[]) AS rt(channel_id, rate)
             ON rt.channel_id = ln.channel_id
     WHERE c.seq = c.top
),
pick AS MATERIALIZED (
    SELECT DISTINCT ON (o.partner_id) o.* FROM opt o
     ORDER BY o.partner_id, o.expected DESC, o.rule_id
),
ct AS MATERIALIZED (
    SELECT d.partner_id, d.scheduled_date AS at, d.channel_id
      FROM crm_campaign_delivery d
     WHERE d.partner_id BETWEEN %(low)s AND %(high)s AND d.partner_id IN (SELECT id FROM batch)
       AND d.state = ANY(%(cap_states)s::text[])
       AND d.cap_exempt IS NOT TRUE
       AND d.scheduled_date >= %(cap_start)s AND d.scheduled_date < %(cap_end)s
),
sw AS MATERIALIZED (
    SELECT k.partner_id, k.channel_id, k.channel_cap, pd.zone, pd.qs, pd.qe, rl.hour_from,
           rl.hour_to, rl.default_hour, rl.dflt_h, rl.dflt_m, rl.days, rl.exempt,
           rl.cap_contacts, rl.cap_days, w.start_utc, w.end_utc,
           NOT rl.exempt AND k.partner_id IN (SELECT partner_id FROM ct) AS capped,
           (w.start_utc AT TIME ZONE 'UTC' AT TIME ZONE pd.zone)::date AS first_day,
           (w.end_utc AT TIME ZONE 'UTC' AT TIME ZONE pd.zone)::date AS last_day
      FROM pick k
      JOIN pd ON pd.id = k.partner_id
      JOIN rl ON rl.id = k.rule_id
      CROSS JOIN LATERAL (
          SELECT GREATEST(%(day_start)s::timestamp AT TIME ZONE pd.zone AT TIME ZONE 'UTC',
                          %(now)s::timestamp) AS start_utc,
                 %(day_end)s::timestamp AT TIME ZONE pd.zone AT TIME ZONE 'UTC' AS end_utc
      ) w
     WHERE k.reason IS NULL
),
hist AS MATERIALIZED (%(best)s),
hb AS (
    SELECT partner_id, array_agg(wd * 100 + floor(hr)::int) AS keys FROM hist GROUP BY partner_id
),
us AS (
    SELECT sw.partner_id, array_agg(h.wd ORDER BY h.rank) AS wds,
           array_agg(floor(h.hr)::int ORDER BY h.rank) AS hrs
      FROM sw JOIN hist h ON h.partner_id = sw.partner_id
     WHERE h.wd = ANY(sw.days) AND %(allowed_slot)s
     GROUP BY sw.partner_id
),
sp AS MATERIALIZED (
    -- Candidate send times of a row are numbered i = 0, 1, ...: with usable best slots,
    -- week i / n and slot mod(i, n) (n slots, best first), else day i of the window at the
    -- rule's default slot (or the first allowed hour), as _iter_send_times yields them.
    SELECT sw.*, us.wds, us.hrs, cardinality(us.wds) AS n,
           extract(isodow FROM sw.first_day)::int AS fiso,
           CASE WHEN us.wds IS NOT NULL
                THEN (floor((sw.last_day - sw.first_day + 1) / 7.0)::int + 2)
                     * cardinality(us.wds) - 1
                WHEN dh.at IS NULL THEN -1
                ELSE sw.last_day - sw.first_day END AS last_i,
           dh.at
      FROM sw
      LEFT JOIN us ON us.partner_id = sw.partner_id
      CROSS JOIN LATERAL (
          SELECT CASE WHEN %(allowed_default)s
                          THEN make_interval(hours => sw.dflt_h, mins => sw.dflt_m)
                      ELSE (SELECT make_interval(hours => h)
                              FROM generate_series(ceil(sw.hour_from)::int, 23) h
                             WHERE %(allowed_h)s ORDER BY h LIMIT 1) END AS at
      ) dh
),
fc AS (
    -- rows no contact cap can hold back: their first candidate (generated lazily)
    SELECT sp.partner_id, f.moment, NULL::text AS first_scope
      FROM sp CROSS JOIN LATERAL (%(candidates)s LIMIT 1) f
     WHERE NOT sp.capped
),
tc AS MATERIALIZED (
    SELECT sp.partner_id, c.i AS ord, c.moment
      FROM sp CROSS JOIN LATERAL (%(candidates)s) c
     WHERE sp.capped
),
blk AS (
    SELECT t.partner_id, t.ord,
           CASE WHEN %(company_cap)s <> 0 AND count(*) FILTER (
                    WHERE ct.at > t.moment - %(company_period)s
                      AND ct.at < t.moment + %(company_period)s) >= %(company_cap)s
                    THEN 'company'
                WHEN sw.channel_cap <> 0 AND count(*) FILTER (
                    WHERE ct.channel_id = sw.channel_id
                      AND ct.at > t.moment - %(company_period)s
                      AND ct.at < t.moment + %(company_period)s) >= sw.channel_cap
                    THEN 'channel'
                WHEN %(campaign_cap)s <> 0 AND count(*) FILTER (
                    WHERE ct.at > t.moment - %(campaign_period)s
                      AND ct.at < t.moment + %(campaign_period)s) >= %(campaign_cap)s
                    THEN 'campaign'
                WHEN sw.cap_contacts <> 0 AND count(*) FILTER (
                    WHERE ct.at > t.moment - make_interval(days => sw.cap_days)
                      AND ct.at < t.moment + make_interval(days => sw.cap_days)) >= sw.cap_contacts
                    THEN 'rule'
           END AS scope
      FROM tc t
      JOIN sw ON sw.partner_id = t.partner_id
      JOIN ct ON ct.partner_id = t.partner_id
     GROUP BY t.partner_id, t.ord, sw.channel_cap, sw.channel_id, sw.cap_contacts, sw.cap_days
),
dec AS (
    SELECT * FROM fc
    UNION ALL
    SELECT t.partner_id,
           (array_agg(t.moment ORDER BY t.ord) FILTER (WHERE b.scope IS NULL))[1] AS moment,
           (array_agg(b.scope ORDER BY t.ord))[1] AS first_scope
      FROM tc t LEFT JOIN blk b ON b.partner_id = t.partner_id AND b.ord = t.ord
     GROUP BY t.partner_id
),
rx AS (
    SELECT k.partner_id,
           jsonb_agg(jsonb_build_object('rule', c.name, 'priority', c.seq) ORDER BY c.pos)
               FILTER (WHERE c.rule_id <> k.rule_id AND c.seq <> k.seq) AS beaten,
           jsonb_agg(to_jsonb(c.name) ORDER BY c.pos)
               FILTER (WHERE c.rule_id <> k.rule_id AND c.seq = k.seq) AS tied
      FROM pick k JOIN cand c ON c.partner_id = k.partner_id
     GROUP BY k.partner_id
),
res AS (
    SELECT k.partner_id, k.rule_id, k.segment_id, k.channel_id, k.code AS channel_code,
           k.cost, k.pref_in_rule, k.pref_reason, k.seq, k.rule_name, pd.tz_name, pd.zone,
           pd.preferred, rl.exempt, rl.validity, rl.default_hour, rl.cap_text,
           rl.cap_contacts AS rule_cap, rl.cap_days AS rule_cap_days, ck.invalid,
           ck.invalid_text, rx.beaten, rx.tied, hb.keys AS best_keys,
           CASE WHEN rl.winner_id IS NOT NULL THEN rl.winner_id
                WHEN cardinality(rl.variant_ids) = 0 THEN NULL
                ELSE COALESCE(
                    (SELECT v.id FROM unnest(rl.variant_ids, rl.thresholds) WITH ORDINALITY
                                      AS v(id, th, o)
                      WHERE mod(k.partner_id::bigint * 7919, 100) < v.th ORDER BY v.o LIMIT 1),
                    rl.variant_ids[cardinality(rl.variant_ids)])
           END AS variant_id,
           CASE WHEN k.reason IS NOT NULL THEN k.reason
                WHEN dec.partner_id IS NULL THEN 'no_slot'
                WHEN dec.moment IS NULL THEN CASE dec.first_scope
                    WHEN 'campaign' THEN 'campaign_cap' WHEN 'rule' THEN 'rule_cap'
                    ELSE 'capped' END
           END AS reason,
           CASE WHEN k.reason IS NULL THEN dec.moment END AS scheduled,
           CASE WHEN k.reason IS NULL AND dec.moment IS NOT NULL THEN dec.first_scope END
               AS postponed
      FROM pick k
      JOIN pd ON pd.id = k.partner_id
      JOIN rl ON rl.id = k.rule_id
      LEFT JOIN ck ON ck.partner_id = k.partner_id
      LEFT JOIN rx ON rx.partner_id = k.partner_id
      LEFT JOIN hb ON hb.partner_id = k.partner_id
      LEFT JOIN dec ON dec.partner_id = k.partner_id
)
SELECT %(campaign)s AS campaign_id, f.rule_id, f.partner_id, f.segment_id,
       %(company)s AS company_id, f.channel_id, f.channel_code, f.variant_id,
       f.exempt AS cap_exempt,
       CASE WHEN f.reason IS NULL THEN 'planned' ELSE 'skipped' END AS state,
       f.reason AS skip_reason,
       CASE WHEN f.reason IS NOT NULL THEN %(explain_reason)s END AS failure_reason,
       CASE WHEN f.reason IS NULL THEN f.scheduled END AS scheduled_date,
       CASE WHEN f.reason IS NULL THEN f.cost END AS cost,
       CASE WHEN f.reason IS NULL THEN f.postponed END AS cap_postponed_by,
       (CASE WHEN f.reason IS NULL THEN f.scheduled END)::date + f.validity AS offer_expiry_date,
       (SELECT jsonb_agg(x.part ORDER BY x.o) FROM (VALUES
           (1, CASE
               WHEN f.channel_id IS NULL THEN NULL
               WHEN f.preferred = f.channel_id
                   THEN jsonb_build_object('code', 'channel_preferred', 'channel_id', f.channel_id)
               WHEN f.preferred IS NULL
                   THEN jsonb_build_object('code', 'channel_first_usable',
                                           'channel_id', f.channel_id)
               WHEN NOT f.pref_in_rule
                   THEN jsonb_build_object('code', 'channel_preferred_not_allowed',
                                           'channel_id', f.channel_id, 'preferred_id', f.preferred)
               ELSE jsonb_build_object('code', 'channel_preferred_unusable',
                                       'channel_id', f.channel_id, 'preferred_id', f.preferred,
                                       'why', f.pref_reason)
                    || CASE WHEN f.pref_reason = 'invalid_phone'
                            THEN jsonb_build_object('number', f.invalid) ELSE '{}'::jsonb END
           END),
           (2, CASE WHEN f.reason IS NULL AND f.scheduled IS NOT NULL THEN jsonb_build_object(
               'code', CASE
                   WHEN (extract(isodow FROM l.loc)::int - 1) * 100 + extract(hour FROM l.loc)::int
                        = ANY(COALESCE(f.best_keys, '{}'::int[])) THEN 'time_best_slot'
                   WHEN extract(hour FROM l.loc)::int
                        + extract(minute FROM l.loc)::int / 60.0::float8 = f.default_hour
                       THEN 'time_default_slot'
                   ELSE 'time_first_hour' END,
               'when', to_char(f.scheduled, 'YYYY-MM-DD HH24:MI:SS'),
               'tz', f.tz_name,
               'postponed_by', f.postponed) END),
           (3, CASE WHEN f.beaten IS NULL AND f.tied IS NULL THEN jsonb_build_object(
               'code', 'rule_only', 'rule', f.rule_name, 'priority', f.seq) END),
           (4, CASE WHEN f.beaten IS NOT NULL THEN jsonb_build_object(
               'code', 'rule_beat', 'rule', f.rule_name, 'priority', f.seq,
               'others', f.beaten) END),
           (5, CASE WHEN f.tied IS NOT NULL THEN jsonb_build_object(
               'code', 'rule_tie', 'rule', f.rule_name, 'priority', f.seq,
               'others', f.tied) END),
           (6, CASE WHEN f.reason IS NOT NULL THEN
               jsonb_build_object('code', 'skipped', 'reason', f.reason) || CASE f.reason
                   WHEN 'campaign_cap' THEN jsonb_build_object(
                       'count', %(campaign_cap)s, 'days', %(campaign_cap_days)s)
                   WHEN 'rule_cap' THEN jsonb_build_object(
                       'count', f.rule_cap, 'days', f.rule_cap_days)
                   WHEN 'invalid_phone' THEN jsonb_build_object('number', f.invalid)
                   ELSE '{}'::jsonb END
           END)
       ) AS x(o, part) WHERE x.part IS NOT NULL) AS plan_explanation_params
  FROM res f
  CROSS JOIN LATERAL (
      SELECT f.scheduled AT TIME ZONE 'UTC' AT TIME ZONE f.zone AS loc
  ) l
 ORDER BY f.partner_id
            """,
            rules=self._sql_rules(rules, state),
            lines=self._sql_lines(rules),
            audience=self._sql_audience(rules, batch_ids),
            ck_ids=list(phones),
            ck_sms=[value[0] for value in phones.values()],
            ck_phone=[value[1] for value in phones.values()],
            ck_invalid=[value[2] for value in phones.values()],
            ck_text=[value[3] for value in phones.values()],
            default_tz=default_tz,
            zones=zones,
            env_company=self.env.company.id,
            ids=batch_ids,
            low=min(batch_ids),
            high=max(batch_ids),
            opt_in=bool(state["require_opt_in"]),
            prior=CONVERSION_PRIOR[0] / CONVERSION_PRIOR[1],
            rate_ids=list(conversion),
            rates=list(conversion.values()),
            day_start=datetime.combine(campaign.date_start, time.min),
            day_end=datetime.combine(campaign.date_end + timedelta(days=1), time.min),
            now=state["now"].replace(tzinfo=None),
            best=best,
            allowed_slot=allowed(SQL("h.hr")),
            allowed_default=allowed(SQL("sw.default_hour")),
            allowed_h=allowed(SQL("h::float8")),
            candidates=SQL(
                """
                SELECT g.i, x.moment
                  FROM generate_series(0, sp.last_i) g(i)
                 CROSS JOIN LATERAL (
                     SELECT CASE WHEN sp.wds IS NOT NULL
                         THEN (sp.first_day
                               + mod(mod(sp.wds[mod(g.i, sp.n) + 1] - sp.fiso + 1, 7) + 7, 7)
                               + 7 * (g.i / sp.n))::timestamp
                              + make_interval(hours => sp.hrs[mod(g.i, sp.n) + 1])
                         ELSE (sp.first_day + g.i)::timestamp + sp.at END AS naive
                 ) n
                 CROSS JOIN LATERAL (
                     SELECT n.naive AT TIME ZONE sp.zone AT TIME ZONE 'UTC' AS moment
                 ) x
                 WHERE (sp.wds IS NOT NULL
                        OR extract(isodow FROM sp.first_day + g.i)::int - 1 = ANY(sp.days))
                   AND n.naive AT TIME ZONE sp.zone AT TIME ZONE sp.zone = n.naive
                   AND x.moment >= sp.start_utc AND x.moment < sp.end_utc
                """
            ),
            cap_states=self.env["crm.campaign.delivery"]._get_cap_states(),
            cap_start=(window_start - longest).replace(tzinfo=None),
            cap_end=(window_end + longest).replace(tzinfo=None),
            company_cap=state["cap_contacts"] or 0,
            company_period=state["cap_period"],
            campaign_cap=campaign.cap_contacts or 0,
            campaign_period=timedelta(days=campaign.cap_period_days),
            campaign_cap_days=campaign.cap_period_days,
            campaign=campaign.id,
            company=campaign.company_id.id,
            explain_reason=explain_reason,
        )

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
    def _is_valid_explanation(self, parts):
        """Whether ``parts`` (a stored plan_explanation_params) is a list of parts
        that fit the codes and parameter types listed above: ids are positive
        integers, counts numbers, times "YYYY-MM-DD HH:MM:SS" strings, time zones
        known, codes and reasons known, names plain strings.

        The column can hold anything (JSON written through RPC, rows of an older or
        newer planner): only what passes is put into words, the rest shows its
        stored text.

        :param parts: any JSON value
        :return: bool
        """
        if not isinstance(parts, list) or not parts:
            return False
        Delivery = self.env["crm.campaign.delivery"]
        reasons = set(Delivery._fields["skip_reason"].get_values(self.env))
        caps = set(Delivery._fields["cap_postponed_by"].get_values(self.env))
        return all(
            isinstance(part, dict) and self._is_valid_explanation_part(part, reasons, caps)
            for part in parts
        )

    def _is_valid_explanation_part(self, part, reasons, caps):
        code = part.get("code")
        if code in ("channel_preferred", "channel_first_usable"):
            return _is_id(part.get("channel_id"))
        if code == "channel_preferred_not_allowed":
            return _is_id(part.get("channel_id")) and _is_id(part.get("preferred_id"))
        if code == "channel_preferred_unusable":
            return (
                _is_id(part.get("channel_id"))
                and _is_id(part.get("preferred_id"))
                and self._is_valid_skip(dict(part, reason=part.get("why")), reasons)
            )
        if code in ("time_best_slot", "time_default_slot", "time_first_hour"):
            return (
                _is_utc_string(part.get("when"))
                and _is_code(part.get("tz"), pytz.all_timezones_set)
                and (part.get("postponed_by") is None or _is_code(part.get("postponed_by"), caps))
            )
        if code in ("rule_only", "rule_beat", "rule_tie"):
            if not (isinstance(part.get("rule"), str) and _is_number(part.get("priority"))):
                return False
            others = part.get("others")
            if code == "rule_beat":
                return (
                    isinstance(others, list)
                    and bool(others)
                    and all(
                        isinstance(other, dict)
                        and isinstance(other.get("rule"), str)
                        and _is_number(other.get("priority"))
                        for other in others
                    )
                )
            if code == "rule_tie":
                return (
                    isinstance(others, list)
                    and bool(others)
                    and all(isinstance(name, str) for name in others)
                )
            return True
        if code == "skipped":
            return self._is_valid_skip(part, reasons)
        return False

    @staticmethod
    def _is_valid_skip(part, reasons):
        reason = part.get("reason")
        if not _is_code(reason, reasons):
            return False
        if reason in ("campaign_cap", "rule_cap"):
            return _is_number(part.get("count")) and _is_number(part.get("days"))
        if reason == "invalid_phone":
            return isinstance(part.get("number"), str)
        return True

    @api.model
    def _prepare_explanation_cache(self, parts_lists):
        """Data shared by the rendering of many explanations: one query for the
        names of every channel they mention, labels of the selections.

        :param parts_lists: iterable of explanations (lists of parts)
        :return: dict to pass to `_render_explanation`
        """
        channel_ids = set()
        for parts in parts_lists:
            for part in parts if isinstance(parts, list) else []:
                if isinstance(part, dict):
                    # only ids: anything else in the column must not reach the query
                    channel_ids.update(
                        part.get(key)
                        for key in ("channel_id", "preferred_id")
                        if _is_id(part.get(key))
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


def _is_id(value):
    """A record id as stored in explanation parameters: a positive int (not bool),
    small enough for PostgreSQL's integer."""
    return type(value) is int and 0 < value < 2**31


def _is_code(value, codes):
    """``value`` is one of ``codes`` (strings); safe for any JSON value."""
    return isinstance(value, str) and value in codes


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_utc_string(value):
    if not isinstance(value, str):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


# The default best slots come from the profile histogram, read in the statement itself.
_DEFAULT_GET_BEST_SLOTS = CrmCampaignPlanner._get_best_slots
