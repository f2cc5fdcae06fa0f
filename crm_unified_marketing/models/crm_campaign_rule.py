from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from . import template_check

WEEKDAY_FIELDS = (
    "day_mon",
    "day_tue",
    "day_wed",
    "day_thu",
    "day_fri",
    "day_sat",
    "day_sun",
)

DEFAULT_EMAIL_BODY = """<p>Hello <t t-out="object.partner_id.name"/>,</p>
<p>We have an offer for you: <t t-out="object.offer_description"/>.</p>
<p>Your price: <t t-out="object.offer_price_display"/>,
valid until <t t-out="object.offer_expiry_date_display"/>.</p>
<p style="font-size: 11px;"><a href="/unsubscribe_from_list">Unsubscribe</a></p>"""


class CrmCampaignRule(models.Model):
    _name = "crm.campaign.rule"
    # mail.render.mixin: saving a message with code beyond plain placeholders needs
    # the template editor group, exactly as for mail.template ("Restrict Template
    # Rendering"); dispatch checks the author again before rendering.
    _inherit = ["mail.render.mixin"]
    _unrestricted_rendering = True
    _description = "Campaign Rule"
    _order = "campaign_id, sequence, id"
    _check_company_auto = True

    campaign_id = fields.Many2one("crm.campaign", required=True, index=True, ondelete="cascade")
    name = fields.Char(required=True)
    sequence = fields.Integer(
        string="Priority",
        default=10,
        help="A customer matching several rules of a campaign gets the rule listed first.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    campaign_state = fields.Selection(related="campaign_id.state", string="Campaign Status")

    # ---- Audience ----
    segment_ids = fields.Many2many(
        "crm.segment",
        "crm_campaign_rule_segment_rel",
        "rule_id",
        "segment_id",
        string="Segments",
        check_company=True,
    )
    excluded_segment_ids = fields.Many2many(
        "crm.segment",
        "crm_campaign_rule_excluded_segment_rel",
        "rule_id",
        "segment_id",
        string="Excluded Segments",
        check_company=True,
    )
    partner_domain = fields.Char(
        string="Extra Customer Filter",
        default="[]",
        help="Only members of the segments that also match this filter are targeted.",
    )

    # ---- Offer ----
    product_id = fields.Many2one("product.product", string="Offered Product", check_company=True)
    discount = fields.Float(string="Discount (%)")
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    offer_validity_days = fields.Integer(
        string="Offer Validity (days)",
        default=14,
        help="An order confirmed within this many days after the contact counts as a conversion.",
    )
    offer_value = fields.Monetary(
        compute="_compute_offer_value",
        help="Value of the offer for one customer: the discount on the product price, or "
        "the product price when there is no discount. Used to break ties between rules.",
    )

    # ---- Messages ----
    email_subject = fields.Char(default="An offer for you, {{ object.partner_id.name }}")
    email_body_html = fields.Html(
        string="Email Body", sanitize=False, default=DEFAULT_EMAIL_BODY, render_engine="qweb"
    )
    sms_body = fields.Text(
        string="SMS / Call Text",
        default="{{ object.partner_id.name }}, {{ object.offer_description }}",
        help="Text of the SMS; also the note of the call task for the salesperson.",
    )
    preview_partner_id = fields.Many2one(
        "res.partner",
        string="Preview for Customer",
        check_company=True,
        help="The messages below are written as this customer will receive them: their "
        "A/B variant, language, date and amount formats and currency.",
    )
    preview_variant_id = fields.Many2one(
        "crm.campaign.variant",
        string="A/B Variant",
        compute="_compute_preview",
        help="The variant this customer gets (always the same one).",
    )
    preview_lang = fields.Char(string="Customer's Language", compute="_compute_preview")
    preview_subject = fields.Char(string="Subject", compute="_compute_preview")
    preview_body_html = fields.Html(string="Email", compute="_compute_preview", sanitize=False)
    preview_sms_body = fields.Text(string="SMS Text", compute="_compute_preview")

    # ---- Channels and time ----
    channel_line_ids = fields.One2many(
        "crm.campaign.rule.channel", "rule_id", string="Allowed Channels", copy=True
    )
    day_mon = fields.Boolean(string="Monday", default=True)
    day_tue = fields.Boolean(string="Tuesday", default=True)
    day_wed = fields.Boolean(string="Wednesday", default=True)
    day_thu = fields.Boolean(string="Thursday", default=True)
    day_fri = fields.Boolean(string="Friday", default=True)
    day_sat = fields.Boolean(string="Saturday")
    day_sun = fields.Boolean(string="Sunday")
    hour_from = fields.Float(string="From", default=9.0)
    hour_to = fields.Float(string="To", default=18.0)
    default_hour = fields.Float(
        string="Default Slot",
        default=10.0,
        help="Send time for customers without contact history, in their time zone.",
    )

    # ---- Limits ----
    max_recipients = fields.Integer(help="0 means no limit.")
    budget = fields.Monetary(help="0 means no budget limit.")

    # ---- Frequency cap ----
    cap_contacts = fields.Integer(
        string="Messages per Customer",
        help="At most this many marketing messages per customer in any rolling period, "
        "counting every campaign and channel, when this rule sends; on top of the "
        "company cap. 0 means no cap of its own.",
    )
    cap_period_days = fields.Integer(string="Cap Period (days)", default=7)
    cap_exempt = fields.Boolean(
        string="Exempt from Caps",
        help="Transactional messages or answers to the customer's own request: never "
        "held back by a contact cap, and not counted in any cap.",
    )

    # ---- A/B testing ----
    variant_ids = fields.One2many("crm.campaign.variant", "rule_id", string="Variants", copy=True)
    ab_metric = fields.Selection(
        [("open", "Open rate"), ("click", "Click rate"), ("conversion", "Conversion rate")],
        string="Winner Metric",
        default="open",
        required=True,
    )
    winner_variant_id = fields.Many2one(
        "crm.campaign.variant",
        check_company=True,
        string="Winner",
        copy=False,
        domain="[('rule_id', '=', id)]",
    )

    # ---- Statistics ----
    delivery_ids = fields.One2many("crm.campaign.delivery", "rule_id")
    delivery_count = fields.Integer(compute="_compute_statistics")
    converted_count = fields.Integer(compute="_compute_statistics")
    revenue = fields.Monetary(compute="_compute_statistics")
    spent = fields.Monetary(compute="_compute_statistics")

    @api.depends("product_id", "discount")
    def _compute_offer_value(self):
        for rule in self:
            price = rule.product_id.lst_price
            rule.offer_value = price * rule.discount / 100.0 if rule.discount else price

    @api.depends(
        "preview_partner_id",
        "email_subject",
        "email_body_html",
        "sms_body",
        "product_id",
        "discount",
        "pricelist_id",
        "winner_variant_id",
        "variant_ids.split_percent",
        "variant_ids.email_subject",
        "variant_ids.email_body_html",
        "variant_ids.sms_body",
        "variant_ids.discount",
    )
    def _compute_preview(self):
        langs = dict(self.env["res.lang"].get_installed())
        for rule in self:
            partner = rule.preview_partner_id
            variant = rule._pick_variant(partner.id) if partner else rule.variant_ids.browse()
            rule.preview_variant_id = variant
            try:
                rendered = rule._render_preview(partner)
            except Exception as error:  # shown to the user while editing
                # UserError and AccessError are worded for users; anything else is not
                message = (
                    error.args[0]
                    if isinstance(error, UserError)
                    else self.env._("The message could not be rendered.")
                )
                rendered = {
                    "subject": message,
                    "body_html": False,
                    "sms_body": message,
                    "lang": False,
                }
            rule.preview_lang = langs.get(rendered["lang"], rendered["lang"])
            rule.preview_subject = rendered["subject"]
            rule.preview_body_html = rendered["body_html"]
            rule.preview_sms_body = rendered["sms_body"]

    def _compute_statistics(self):
        Delivery = self.env["crm.campaign.delivery"]
        groups = Delivery._read_group(
            [("rule_id", "in", self.ids)],
            ["rule_id", "state"],
            ["__count", "revenue:sum", "cost:sum"],
        )
        stats = {}
        for rule, state, count, revenue, cost in groups:
            data = stats.setdefault(rule.id, {"count": 0, "converted": 0, "revenue": 0.0})
            data.setdefault("spent", 0.0)
            if state not in ("skipped", "cancelled", "failed"):
                data["count"] += count
                data["spent"] += cost
            if state == "converted":
                data["converted"] += count
            data["revenue"] += revenue
        for rule in self:
            data = stats.get(rule.id, {})
            rule.delivery_count = data.get("count", 0)
            rule.converted_count = data.get("converted", 0)
            rule.revenue = data.get("revenue", 0.0)
            rule.spent = data.get("spent", 0.0)

    def _compute_render_model(self):
        self.render_model = template_check.RENDER_MODEL

    # ---- Constraints ----

    @api.constrains("hour_from", "hour_to", "default_hour")
    def _check_hours(self):
        for rule in self:
            if not (0 <= rule.hour_from < rule.hour_to <= 24):
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: the sending hours must lie between 0 and 24 and end "
                        "after they start.",
                        name=rule.name,
                    )
                )
            if not (0 <= rule.default_hour < 24):
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: the default slot must be an hour between 0 and 24.",
                        name=rule.name,
                    )
                )

    @api.constrains(*WEEKDAY_FIELDS)
    def _check_weekdays(self):
        for rule in self:
            if not rule._get_allowed_weekdays():
                raise ValidationError(
                    self.env._("Rule %(name)s must allow at least one weekday.", name=rule.name)
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for rule in self:
            try:
                self.env["res.partner"].search_count(rule._get_extra_domain(), limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The customer filter of rule %(name)s is not valid: %(error)s",
                        name=rule.name,
                        error=error,
                    )
                ) from error

    @api.constrains("email_subject", "email_body_html", "sms_body")
    def _check_templates(self):
        for rule in self:
            rule._raise_template_errors(rule.name)

    def _has_unsafe_expression(self):
        """Only the message fields are templates (mail.render.mixin looks at all)."""
        # sudo: the template text is only read to be checked, never shown or rendered here.
        return any(template_check.has_unsafe_expression(record) for record in self.sudo())

    def _raise_template_errors(self, label):
        """Refuse messages whose placeholders cannot even be parsed (works for variants too)."""
        self.ensure_one()
        errors = (
            template_check.inline_template_errors(self.env, self.email_subject)
            + template_check.inline_template_errors(self.env, self.sms_body)
            + template_check.qweb_template_errors(self.email_body_html)
        )
        if errors:
            raise ValidationError(
                self.env._(
                    "The messages of %(name)s contain invalid placeholders:\n%(errors)s",
                    name=label,
                    errors="\n".join(errors),
                )
            )

    @api.constrains(
        "discount",
        "max_recipients",
        "budget",
        "offer_validity_days",
        "cap_contacts",
        "cap_period_days",
    )
    def _check_limits(self):
        for rule in self:
            if not 0 <= rule.discount <= 100:
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: the discount must be between 0 and 100%%.", name=rule.name
                    )
                )
            if rule.cap_contacts < 0 or rule.cap_period_days < 1:
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: the cap needs a positive number of messages (or 0 "
                        "for none) and a period of at least one day.",
                        name=rule.name,
                    )
                )
            if rule.max_recipients < 0 or rule.budget < 0 or rule.offer_validity_days < 0:
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: limits, budget and validity cannot be negative.",
                        name=rule.name,
                    )
                )

    # ---- Helpers ----

    def _get_allowed_weekdays(self):
        self.ensure_one()
        return {index for index, fname in enumerate(WEEKDAY_FIELDS) if self[fname]}

    def _get_extra_domain(self):
        self.ensure_one()
        return safe_eval(self.partner_domain or "[]")

    def _get_partner_domain(self):
        """res.partner domain of the rule's audience: members of its segments, not of
        its excluded segments, of its company, matching its extra filter."""
        self.ensure_one()
        domain = [
            ("segment_ids", "in", self.segment_ids.ids),
            ("company_id", "in", [self.company_id.id, False]),
        ]
        if self.excluded_segment_ids:
            domain.append(("segment_ids", "not in", self.excluded_segment_ids.ids))
        return domain + list(self._get_extra_domain())

    def _get_audience_ids(self, partner_ids=None):
        """Customers targeted by each rule: {rule_id: {partner_id: segment_id}}.

        The segment is the first of the rule's segments the customer belongs to
        (used by the reports). One query reads the segment memberships, plus one
        search per rule for the extra filter; never a query per customer. With
        ``partner_ids``, only these customers are looked at (one planning batch).
        """
        segments = self.segment_ids | self.excluded_segment_ids
        members = {}
        if segments:
            self.env["crm.segment"].flush_model(["partner_ids"])
            restrict = SQL(" AND partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
            rows = self.env.execute_query(
                SQL(
                    "SELECT segment_id, partner_id FROM crm_segment_partner_rel "
                    "WHERE segment_id IN %s%s ORDER BY segment_id, partner_id",
                    tuple(segments.ids),
                    restrict,
                )
            )
            for segment_id, partner_id in rows:
                members.setdefault(segment_id, set()).add(partner_id)
        result = {}
        for rule in self:
            included = {}
            for segment in rule.segment_ids:
                for partner_id in members.get(segment.id, ()):
                    included.setdefault(partner_id, segment.id)
            for segment in rule.excluded_segment_ids:
                for partner_id in members.get(segment.id, ()):
                    included.pop(partner_id, None)
            if included:
                domain = [
                    ("id", "in", list(included)),
                    ("company_id", "in", [rule.company_id.id, False]),
                    *rule._get_extra_domain(),
                ]
                kept = set(self.env["res.partner"]._search(domain))
                included = {pid: seg for pid, seg in included.items() if pid in kept}
            result[rule.id] = included
        return result

    def _check_audience_not_empty(self):
        Partner = self.env["res.partner"]
        for rule in self:
            if not rule.channel_line_ids:
                raise UserError(
                    self.env._(
                        "Rule %(name)s allows no channel: add at least one channel.",
                        name=rule.name,
                    )
                )
            if not Partner.search_count(rule._get_partner_domain(), limit=1):
                raise UserError(
                    self.env._(
                        "Rule %(name)s reaches no customer: its segments are empty or its "
                        "filter and exclusions remove every member.",
                        name=rule.name,
                    )
                )
            if rule.variant_ids:
                rule.variant_ids._check_split()

    def _pick_variant(self, partner_id):
        """Deterministic A/B assignment: a customer always lands in the same variant."""
        self.ensure_one()
        if self.winner_variant_id:
            return self.winner_variant_id
        variants = self.variant_ids
        if not variants:
            return variants
        bucket = (partner_id * 7919) % 100
        threshold = 0.0
        for variant in variants:
            threshold += variant.split_percent
            if bucket < threshold:
                return variant
        return variants[-1]

    def _render_preview(self, partner):
        """Render the rule's messages for one customer, as the dispatch will: the
        customer's A/B variant, in the customer's language.

        :return: dict {subject, body_html, sms_body, lang (code)}; all False
            without a customer
        :raises AccessError: a template with code written by a non template editor
        """
        self.ensure_one()
        empty = {"subject": False, "body_html": False, "sms_body": False, "lang": False}
        if not partner:
            return empty
        variant = self._pick_variant(partner.id)
        delivery = self.env["crm.campaign.delivery"].new(
            {
                "campaign_id": self.campaign_id.id,
                # the rule as edited in the form, unsaved changes included
                "rule_id": self.id,
                "variant_id": variant.id,
                "partner_id": partner.id,
                "scheduled_date": fields.Datetime.now(),
            }
        )
        return dict(
            delivery._render_messages()[delivery.id],
            lang=delivery._get_render_langs()[delivery.id],
        )

    # ---- Actions ----

    def action_open_dry_run(self):
        self.ensure_one()
        dry_run = self.env["crm.campaign.rule.dry.run"].create({"rule_id": self.id})
        dry_run.action_compute()
        return dry_run._get_action()

    def action_select_winner(self):
        for rule in self:
            if not rule.variant_ids:
                raise UserError(self.env._("Rule %(name)s has no A/B variant.", name=rule.name))
            rule.winner_variant_id = rule.variant_ids._get_best(rule.ab_metric)
        return True

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_marketing.crm_campaign_delivery_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        return action
