import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from .phone_check import contact_number, is_usable_phone

_logger = logging.getLogger(__name__)

# Reasons of _render_failure that take no parameter.
FAILURE_CODES_WITHOUT_PARAMS = (
    "render_error",
    "send_error",
    "consent_withdrawn",
    "no_message",
    "cancelled_by_hand",
    "campaign_closed",
)

# Message keys -> template fields of rules and variants.
TEMPLATE_KEYS = {"subject": "email_subject", "body_html": "email_body_html", "sms_body": "sms_body"}
TEMPLATE_ENGINES = {
    "subject": "inline_template",
    "body_html": "qweb",
    "sms_body": "inline_template",
}

# Contact caps, from the widest to the most specific.
CAP_SCOPES = [
    ("company", "Company cap"),
    ("channel", "Channel cap"),
    ("campaign", "Campaign cap"),
    ("rule", "Rule cap"),
]

# Order in which a delivery progresses: a later reaction never moves it back.
STATE_RANK = {
    "planned": 0,
    "sent": 1,
    "opened": 2,
    "clicked": 3,
    "replied": 4,
    "converted": 5,
}


class MessageRenderError(UserError):
    """A campaign message could not be rendered for a customer; ``part`` is the
    message (subject, body_html, sms_body)."""

    def __init__(self, message, part):
        super().__init__(message)
        self.part = part


class CrmCampaignDelivery(models.Model):
    _name = "crm.campaign.delivery"
    _description = "Campaign Delivery"
    # mail.thread: mass_mailing only writes traces for thread-enabled models, and
    # replies to a campaign email are routed to the delivery they answer.
    _inherit = ["mail.thread"]
    _order = "scheduled_date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True
    _mailing_enabled = True

    campaign_id = fields.Many2one(
        "crm.campaign", required=True, index=True, ondelete="cascade", check_company=True
    )
    rule_id = fields.Many2one(
        "crm.campaign.rule", index=True, ondelete="cascade", check_company=True
    )
    variant_id = fields.Many2one(
        "crm.campaign.variant", index=True, ondelete="set null", check_company=True
    )
    segment_id = fields.Many2one(
        "crm.segment",
        ondelete="set null",
        check_company=True,
        help="The rule's segment the customer came from.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    salesperson_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    channel_id = fields.Many2one("crm.interaction.channel", ondelete="restrict", index=True)
    channel_code = fields.Char(related="channel_id.code", store=True)
    scheduled_date = fields.Datetime(index=True, help="When the message is due, in UTC.")
    sent_date = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("sent", "Sent"),
            ("opened", "Opened"),
            ("clicked", "Clicked"),
            ("replied", "Replied"),
            ("converted", "Converted"),
            ("bounced", "Bounced"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
            ("failed", "Failed"),
        ],
        required=True,
        default="planned",
        index=True,
    )
    skip_reason = fields.Selection(
        [
            ("no_channel", "No usable channel"),
            ("no_consent", "No consent"),
            ("capped", "Contact cap reached"),
            ("campaign_cap", "Campaign contact cap reached"),
            ("rule_cap", "Rule contact cap reached"),
            ("no_slot", "No allowed send time"),
            ("max_recipients", "Rule recipient limit reached"),
            ("budget", "Rule budget exhausted"),
            ("invalid_phone", "Invalid phone number"),
        ],
        index=True,
    )
    # As written when it happened, in the language of whoever planned or sent it.
    failure_reason = fields.Char(string="Reason as Written")
    # Why it was cancelled or failed at send time, as {"code": ..., <parameters>}
    # (codes in _render_failure); put into words in the reader's language.
    failure_params = fields.Json(readonly=True, copy=False)
    failure_reason_display = fields.Char(
        string="Reason",
        compute="_compute_plan_explanation",
        help="Why the message was skipped, cancelled or failed; a skip decided by the "
        "planner is shown in your language.",
    )
    cap_postponed_by = fields.Selection(
        CAP_SCOPES,
        string="Postponed by",
        readonly=True,
        copy=False,
        help="The contact cap that moved this message away from its preferred send time.",
    )
    cap_exempt = fields.Boolean(
        readonly=True,
        help="Planned by a rule exempt from caps (transactional, customer's own request): "
        "it does not count in any contact cap.",
    )
    # What the planner decided, as a list of parts {"code": ..., <parameters>}
    # (codes listed in crm_campaign_planner.py, "Explanation stored on the
    # delivery"); put into words at read time, in the reader's language.
    plan_explanation_params = fields.Json(readonly=True, copy=False)
    # The explanation as the planner wrote it, in the planner's language: rows
    # planned before the parameters existed keep it and show it.
    plan_explanation_text = fields.Text(readonly=True, copy=False)
    plan_explanation = fields.Text(
        string="Explain",
        compute="_compute_plan_explanation",
        help="Why the planner chose this rule, channel and send time for this customer.",
    )
    mailing_id = fields.Many2one("mailing.mailing", ondelete="set null")
    mailing_trace_id = fields.Many2one("mailing.trace", string="Trace", ondelete="set null")
    sms_id = fields.Many2one("sms.sms", string="SMS", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", string="Call Task", ondelete="set null")
    sale_order_id = fields.Many2one(
        "sale.order", string="Order", ondelete="set null", check_company=True
    )
    revenue = fields.Monetary(currency_field="currency_id")
    cost = fields.Monetary(
        currency_field="currency_id", help="Cost of this contact, from the rule's channel."
    )
    offer_expiry_date = fields.Date(
        compute="_compute_offer_expiry_date",
        store=True,
        help="Orders confirmed up to this day count as conversions of this delivery.",
    )
    offer_description = fields.Char(compute="_compute_offer_description")
    offer_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_offer_price",
        help="The customer's currency: of the rule's pricelist, else of the customer's "
        "pricelist, else of the company.",
    )
    offer_price = fields.Monetary(
        compute="_compute_offer_price",
        currency_field="offer_currency_id",
        help="Price of the offered product for this customer, discount deducted, in the "
        "offer currency.",
    )
    # Placeholders every marketing user may write (plain field paths: Odoo renders
    # them without code); messages are rendered in the customer's language, so
    # these read "1 800,00 ₴" and "21.12.2026" for a Ukrainian customer.
    # Template editors may call format_amount / format_date themselves.
    offer_price_display = fields.Char(
        string="Offer Price (formatted)",
        compute="_compute_offer_display",
        help="The offer price in the customer's currency and number format.",
    )
    offer_expiry_date_display = fields.Char(
        string="Offer Valid Until (formatted)",
        compute="_compute_offer_display",
        help="The last day of the offer in the customer's date format.",
    )
    portal_subject = fields.Char(readonly=True, copy=False)
    portal_body = fields.Html(readonly=True, copy=False, sanitize=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    def init(self):
        # One live delivery per customer and campaign; cancelled and failed ones may repeat.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_campaign_delivery_live_uniq "
                "ON crm_campaign_delivery (campaign_id, partner_id) "
                "WHERE state NOT IN ('cancelled', 'failed')"
            )
        )

    @api.depends(
        "plan_explanation_params",
        "plan_explanation_text",
        "failure_reason",
        "failure_params",
        "state",
    )
    @api.depends_context("lang")
    def _compute_plan_explanation(self):
        planner = self.env["crm.campaign.planner"]
        # Parameters are checked before anything is read from them (they are plain
        # JSON and may hold anything): a row whose parameters do not fit shows its
        # text as written, the others are put into words.
        valid = {
            delivery.id: planner._is_valid_explanation(delivery.plan_explanation_params)
            for delivery in self
        }
        cache = planner._prepare_explanation_cache(
            delivery.plan_explanation_params for delivery in self if valid[delivery.id]
        )
        for delivery in self:
            parts = delivery.plan_explanation_params
            text = reason = False
            if valid[delivery.id]:
                try:
                    text = planner._render_explanation(parts, cache)
                    skip = [p for p in parts if p["code"] == "skipped"]
                    if skip and delivery.state == "skipped":
                        reason = planner._render_skip(skip[0], cache)
                except (KeyError, TypeError, ValueError, AttributeError):
                    # e.g. a channel deleted since: the text as the planner wrote it
                    _logger.debug("Explanation of delivery %s not rendered", delivery.id)
                    text = reason = False
            failure = delivery.failure_params
            if delivery.state != "skipped" and delivery._is_valid_failure(failure):
                try:
                    reason = delivery._render_failure(failure)
                except (KeyError, TypeError, ValueError):
                    _logger.debug("Reason of delivery %s not rendered", delivery.id)
            delivery.plan_explanation = text or delivery.plan_explanation_text or False
            delivery.failure_reason_display = reason or delivery.failure_reason or False

    @api.depends("scheduled_date", "sent_date", "rule_id.offer_validity_days")
    def _compute_offer_expiry_date(self):
        for delivery in self:
            start = delivery.sent_date or delivery.scheduled_date
            delivery.offer_expiry_date = (
                start.date() + timedelta(days=delivery.rule_id.offer_validity_days)
                if start
                else False
            )

    @api.depends("rule_id", "variant_id")
    def _compute_offer_description(self):
        # The text depends on the rule and variant only: once per pair, not per customer.
        texts = {}
        for delivery in self:
            pair = (delivery.rule_id, delivery.variant_id)
            if pair not in texts:
                texts[pair] = delivery._get_offer_description()
            delivery.offer_description = texts[pair]

    def _get_offer_description(self):
        """The offer of this delivery's rule (and variant) in words, in the user's language."""
        self.ensure_one()
        rule = self.rule_id
        discount = self.variant_id.discount or rule.discount
        percent = f"{discount:g}"
        product = rule.product_id.display_name
        if product and discount:
            return self.env._("%(discount)s%% off %(product)s", discount=percent, product=product)
        if product:
            return product
        if discount:
            return self.env._("%(discount)s%% off your next order", discount=percent)
        return rule.name or ""

    @api.depends(
        "rule_id.product_id",
        "rule_id.pricelist_id",
        "rule_id.discount",
        "variant_id.discount",
        "partner_id",
        "company_id",
    )
    def _compute_offer_price(self):
        # The price depends on product, pricelist and currency only: one pricelist
        # lookup per distinct triple of the batch, not one per customer.
        prices = {}
        for delivery in self:
            rule = delivery.rule_id
            pricelist = rule.pricelist_id or delivery.partner_id.property_product_pricelist
            currency = pricelist.currency_id or delivery.company_id.currency_id
            discount = delivery.variant_id.discount or rule.discount
            price = 0.0
            if rule.product_id:
                key = (rule.product_id, pricelist, currency)
                if key not in prices:
                    prices[key] = (
                        pricelist._get_product_price(rule.product_id, 1.0, currency=currency)
                        if pricelist
                        else rule.product_id.lst_price
                    )
                price = prices[key]
            delivery.offer_currency_id = currency
            delivery.offer_price = currency.round(price * (1.0 - discount / 100.0))

    @api.depends("offer_price", "offer_currency_id", "offer_expiry_date")
    @api.depends_context("lang")
    def _compute_offer_display(self):
        for delivery in self:
            delivery.offer_price_display = (
                format_amount(self.env, delivery.offer_price, delivery.offer_currency_id)
                if delivery.rule_id.product_id
                else ""
            )
            delivery.offer_expiry_date_display = format_date(self.env, delivery.offer_expiry_date)

    @api.model
    def _get_sent_states(self):
        return ["sent", "opened", "clicked", "replied", "converted", "bounced"]

    @api.model
    def _get_cap_states(self):
        """States that count against the contact cap: planned or actually sent."""
        return ["planned", "sent", "opened", "clicked", "replied", "converted", "bounced"]

    # ---- Rendering ----

    @api.model
    def mail_allowed_qweb_expressions(self):
        """Plain placeholders of campaign messages: allowed to every marketing user,
        as mail.render.mixin allows ``object.partner_id.name`` (anything else needs
        the template editor group when "Restrict Template Rendering" is on)."""
        return (
            *super().mail_allowed_qweb_expressions(),
            "object.offer_description",
            "object.offer_expiry_date",
            "object.offer_price",
            "object.campaign_id",
            "object.campaign_id.name",
            "object.rule_id",
            "object.rule_id.name",
            "object.salesperson_id",
            "object.salesperson_id.name",
            "object.partner_id.email",
            "object.offer_price_display",
            "object.offer_expiry_date_display",
            # the customer's language, for rendering (mail.compose.message.lang)
            "object.partner_id.lang",
        )

    def _get_template_sources(self):
        """{key: record holding the template}: the variant's text, else the rule's."""
        self.ensure_one()
        variant, rule = self.variant_id, self.rule_id
        return {
            key: variant if variant and variant[fname] else rule
            for key, fname in TEMPLATE_KEYS.items()
        }

    def _get_templates(self):
        self.ensure_one()
        return {
            key: source[TEMPLATE_KEYS[key]] or ""
            for key, source in self._get_template_sources().items()
        }

    def _check_template_authors(self, template, engine, authors):
        """Render-time guard: refuse a template holding code beyond plain placeholders
        when one of ``authors`` (who last saved it, or who is editing it) is not
        allowed to write such code.

        :raises AccessError: with the name of the template editor group
        """
        renderer = self.env["mail.render.mixin"]
        if engine == "qweb":
            unsafe = renderer._has_unsafe_expression_template_qweb(template, self._name)
        else:
            unsafe = renderer._has_unsafe_expression_template_inline_template(template, self._name)
        if not unsafe:
            return
        editor_group = "mail.group_mail_template_editor"
        # sudo: reads the groups of the template's authors, nothing else
        for author in authors.sudo():
            if not (author._is_superuser() or author.has_group(editor_group)):
                raise AccessError(
                    self.env._(
                        "The message contains code beyond plain placeholders and was "
                        "written by %(user)s, who is not in the %(group)s group: it is not "
                        "rendered.",
                        user=author.name,
                        group=self.env.ref(editor_group).name,
                    )
                )

    def _template_groups(self, keys=None):
        """{(key, template, authors): delivery ids}: the deliveries sharing one
        template text and its authors (who last saved it, plus the current user
        for a record being edited).

        ``keys``: only these message keys (of ``TEMPLATE_KEYS``); all by default.
        """
        groups = {}
        for delivery in self:
            for key, source in delivery._get_template_sources().items():
                if keys is not None and key not in keys:
                    continue
                template = source[TEMPLATE_KEYS[key]] or ""
                authors = source.write_uid
                if not source.id or isinstance(source.id, models.NewId):
                    authors |= self.env.user  # being edited: its editor counts too
                groups.setdefault((key, template, authors), []).append(delivery.id)
        return groups

    def _render_messages(self, keys=None):
        """{delivery id: {subject, body_html, sms_body}} rendered as mail.template does.

        ``keys``: only these message keys (of ``TEMPLATE_KEYS``); all by default.

        Subjects and SMS texts use inline_template (``{{ object.partner_id.name }}``),
        bodies use QWeb (``<t t-out="object.offer_description"/>``); ``object`` is
        the delivery, so the customer and the offer are both reachable. Rendering
        goes through the rule's mail.render.mixin (trusted like mail.template, since
        saving is guarded) after checking who wrote each template.

        :raises AccessError: a template with code written by a non template editor
        """
        renderer = self.env["crm.campaign.rule"]
        result = {delivery.id: {} for delivery in self}
        langs = self._get_render_langs()
        groups = {}
        for (key, template, authors), ids in self._template_groups(keys).items():
            self._check_template_authors(template, TEMPLATE_ENGINES[key], authors)
            for res_id in ids:
                groups.setdefault((key, template, langs[res_id]), []).append(res_id)
        for (key, template, lang), ids in groups.items():
            try:
                rendered = renderer.with_context(lang=lang)._render_template(
                    template, self._name, ids, engine=TEMPLATE_ENGINES[key]
                )
            except AccessError:
                raise
            except Exception as error:
                # Odoo's rendering error holds the template and a Python traceback:
                # the server log keeps them (mail.render.mixin logs them), users
                # read which message failed.
                raise MessageRenderError(self._get_render_error_message(key), key) from error
            for res_id in ids:
                result[res_id][key] = rendered[res_id]
        return result

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_technical_params(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_technical_params(vals)
        return super().write(vals)

    def _check_technical_params(self, vals):
        """Refuse explanation or reason parameters that do not fit their codes when
        written by a user (through RPC: the views show them read-only); the planner
        and the dispatch only write parameters that fit.

        :raises ValidationError: plan_explanation_params or failure_params do not fit
        """
        if self.env.su:
            return
        planner = self.env["crm.campaign.planner"]
        params = vals.get("plan_explanation_params")
        if params and not planner._is_valid_explanation(params):
            raise ValidationError(self.env._("These explanation parameters are not valid."))
        params = vals.get("failure_params")
        if params and not self._is_valid_failure(params):
            raise ValidationError(self.env._("These reason parameters are not valid."))

    def _failure_values(self, code, **params):
        """Values recording why a delivery is cancelled or failed: the code and
        parameters (shown in each reader's language, see `_render_failure`) and
        the text in the current language (kept as written).

        :param code: a key of `_render_failure`
        :return: dict of field values (failure_params, failure_reason)
        """
        failure = {"code": code, **params}
        return {"failure_params": failure, "failure_reason": self._render_failure(failure)[:500]}

    @api.model
    def _is_valid_failure(self, failure):
        """Whether ``failure`` (a stored failure_params) fits `_render_failure`: a
        known code with its parameters of the right type (message parts, trace
        failure types and delivery states known; ids positive integers; names
        and numbers plain strings).

        :param failure: any JSON value
        :return: bool
        """
        if not isinstance(failure, dict):
            return False
        code = failure.get("code")
        if code == "render_failed":
            return failure.get("part") in ("subject", "body_html", "sms_body")
        if code == "trace_failure":
            trace_field = self.env["mailing.trace"]._fields["failure_type"]
            return failure.get("failure_type") in trace_field.get_values(self.env)
        if code == "channel_cannot_send":
            return isinstance(failure.get("channel"), str)
        if code == "invalid_phone":
            return isinstance(failure.get("number"), str)
        if code == "merged":
            delivery = failure.get("delivery")
            return (
                isinstance(failure.get("partner"), str)
                and isinstance(failure.get("kept"), str)
                and type(delivery) is int
                and delivery > 0
                and failure.get("state") in self._fields["state"].get_values(self.env)
            )
        return code in FAILURE_CODES_WITHOUT_PARAMS

    def _render_failure(self, failure):
        """The reason ``failure`` ({"code": ..., ...}) in the language of self.env.

        :raises KeyError: unknown code or missing parameter
        """
        code = failure["code"]
        if code == "render_failed":
            return self._get_render_error_message(failure["part"])
        if code == "trace_failure":
            labels = dict(
                self.env["mailing.trace"]._fields["failure_type"]._description_selection(self.env)
            )
            return labels.get(failure["failure_type"], failure["failure_type"])
        if code == "channel_cannot_send":
            return self.env._("Channel %(code)s cannot send.", code=failure["channel"])
        if code == "invalid_phone":
            return self.env._("Invalid phone number %(number)s", number=failure["number"])
        if code == "merged":
            states = dict(self._fields["state"]._description_selection(self.env))
            return self.env._(
                "Contact %(partner)s merged into %(kept)s, whose delivery "
                "#%(delivery)s of this campaign is kept (this one was %(state)s).",
                partner=failure["partner"],
                kept=failure["kept"],
                delivery=failure["delivery"],
                state=states.get(failure["state"], failure["state"]),
            )
        return {
            "render_error": self.env._("The message could not be rendered."),
            "send_error": self.env._("The message could not be sent."),
            "consent_withdrawn": self.env._(
                "The customer withdrew consent for this channel before sending."
            ),
            "no_message": self.env._("No message was generated."),
            "cancelled_by_hand": self.env._("Cancelled by hand."),
            "campaign_closed": self.env._("The campaign was closed."),
        }[code]

    def _get_render_error_message(self, key):
        """What a user reads when the message ``key`` (subject, body_html, sms_body)
        cannot be rendered for a customer: which message, and what to check."""
        part = {
            "subject": self.env._("email subject"),
            "body_html": self.env._("email body"),
            "sms_body": self.env._("SMS text"),
        }.get(key, key)
        return self.env._(
            "The %(part)s could not be rendered for this customer: a placeholder uses a "
            "field that does not exist or is empty for them. Check it with the preview.",
            part=part,
        )

    def _get_render_langs(self):
        """{delivery id: language code} the messages are written in: the customer's
        language, else the current one, as mail.template with
        ``lang = {{ object.partner_id.lang }}`` (so Odoo's format_date and
        format_amount give the customer's formats)."""
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        default = self.env.lang or "en_US"
        return {
            delivery.id: delivery.partner_id.lang
            if delivery.partner_id.lang in installed
            else default
            for delivery in self
        }

    # ---- Dispatch ----

    @api.model
    def _cron_dispatch(self, batch_size=1000):
        """Send one batch of due deliveries and report progress to the cron runner.

        The cron runner commits after each call and calls again while work
        remains, so a crash loses at most the batch in progress, which is
        rolled back as a whole and sent by the next run (emails and SMS already
        created are committed with their traces by mass_mailing every
        ``mail.batch_size`` messages and are linked, not sent again). Rows are
        locked with SKIP LOCKED so that two runs at once never pick the same
        delivery. The batch is large because each call pays mass_mailing's fixed
        cost per send (composer, link tracker, opt-out and blacklist lists):
        1,000 per call costs about 20 % less CPU per email than 200.

        :param batch_size: deliveries claimed by this call
        :return: the deliveries sent by this call
        """
        self.flush_model()
        self.env["crm.campaign"].flush_model(["state"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT delivery.id
                  FROM crm_campaign_delivery delivery
                  JOIN crm_campaign campaign ON campaign.id = delivery.campaign_id
                 WHERE delivery.state = 'planned'
                   AND delivery.scheduled_date <= %(now)s
                   AND campaign.state = 'active'
                 ORDER BY delivery.scheduled_date, delivery.id
                 LIMIT %(limit)s
                   FOR UPDATE OF delivery SKIP LOCKED
                """,
                now=fields.Datetime.now(),
                limit=batch_size,
            )
        )
        deliveries = self.browse([row[0] for row in rows])
        deliveries._dispatch()
        remaining = self.search_count(
            [
                ("state", "=", "planned"),
                ("scheduled_date", "<=", fields.Datetime.now()),
                ("campaign_id.state", "=", "active"),
            ]
        )
        self.env["ir.cron"]._notify_progress(done=len(deliveries), remaining=remaining)
        return deliveries

    def _dispatch(self):
        """Send planned deliveries on their channel; one bad customer never stops the rest.

        Only the deliveries this worker could claim (row lock, SKIP LOCKED) are
        sent: two workers dispatching the same deliveries never both send one.
        Returns the deliveries that were sent.
        """
        deliveries = self._claim_for_dispatch()
        deliveries = deliveries._cancel_opted_out()
        deliveries = deliveries._fail_invalid_phone()
        handlers = self._get_channel_handlers()
        groups = {}
        for delivery in deliveries:
            key = (delivery.channel_code, delivery.rule_id, delivery.variant_id)
            groups.setdefault(key, self.browse())
            groups[key] |= delivery
        for (code, _rule, _variant), group in groups.items():
            handler = handlers.get(code)
            if not handler:
                group._mark_failed("channel_cannot_send", channel=code)
                continue
            keys = self._get_channel_template_keys().get(code)
            if code in self._get_platform_channels():
                group._send_on_platform(handler, keys)
                continue
            group = group._fail_unrenderable(keys)
            if group:
                group._run_channel_handler(handler)
        sent = deliveries.filtered(lambda d: d.state in self._get_sent_states())
        sent._log_delivery_interactions("sent")
        return sent

    def _claim_for_dispatch(self):
        """Lock the planned deliveries of ``self`` that no other transaction holds.

        Returns them, state re-read after the lock; rows locked by another worker
        or no longer planned are left out.
        """
        if not self:
            return self
        self.flush_recordset(["state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM crm_campaign_delivery WHERE id IN %s AND state = 'planned' "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                tuple(self.ids),
            )
        )
        claimed = self.browse([row[0] for row in rows])
        self.invalidate_recordset(["state"])
        return claimed

    def _get_channel_handlers(self):
        """Channel code -> method sending a recordset of deliveries (extension point)."""
        return {
            "email": "_send_email",
            "sms": "_send_sms",
            "phone": "_send_phone_task",
            "portal": "_send_portal_notice",
        }

    def _get_platform_channels(self):
        """Channels sent by mass_mailing / mass_mailing_sms rather than by this module."""
        return {"email", "sms"}

    def _get_channel_template_keys(self):
        """Channel code -> message keys (of ``TEMPLATE_KEYS``) that channel sends."""
        return {
            "email": ("subject", "body_html"),
            "sms": ("sms_body",),
            "phone": ("subject", "sms_body"),
            "portal": ("subject", "body_html"),
        }

    def _fail_unrenderable(self, keys=None):
        """Mark failed the deliveries whose message cannot be rendered; return the others.

        ``keys``: the message keys the channel sends (all by default).
        """
        try:
            self._render_messages(keys)
            return self
        except Exception:
            _logger.info("Campaign messages failed to render, checking one by one")
        failed = self.browse()
        for delivery in self:
            try:
                delivery._render_messages(keys)
            except MessageRenderError as error:
                delivery._mark_failed("render_failed", part=error.part)
                failed |= delivery
            except UserError as error:  # AccessError included: worded for users
                delivery.write({"state": "failed", "failure_reason": error.args[0][:500]})
                failed |= delivery
            except Exception:
                _logger.exception("Campaign delivery %s could not be rendered", delivery.id)
                delivery._mark_failed("render_error")
                failed |= delivery
        return self - failed

    def _fail_unsafe_templates(self, keys=None):
        """Mark failed, without rendering anything, the deliveries whose template holds
        code its authors may not write (``_check_template_authors``); return the others.

        ``keys``: the message keys the channel sends (all by default).
        """
        failed = self.browse()
        for (key, template, authors), ids in self._template_groups(keys).items():
            try:
                self._check_template_authors(template, TEMPLATE_ENGINES[key], authors)
            except AccessError as error:  # worded for users
                refused = self.browse(ids) - failed
                refused.write({"state": "failed", "failure_reason": error.args[0][:500]})
                failed |= refused
        return self - failed

    def _send_on_platform(self, handler, keys):
        """Send through mass_mailing / mass_mailing_sms, which render every message.

        mass_mailing may commit while it sends (outside tests): no savepoint around
        it; its traces make a rerun, or the retry below, skip what was already sent.
        Templates holding code their authors may not write are refused first (no
        rendering needed). A message that cannot be rendered makes mass_mailing
        raise before it creates its batch: the deliveries are then rendered here one
        by one, the failing ones marked failed and the others sent. Rendering is
        thus done once (by the platform) when nothing fails, instead of a full
        rendering here before the platform renders the same messages again.
        """
        group = self._fail_unsafe_templates(keys)
        if not group:
            return
        try:
            getattr(group, handler)()
            return
        except psycopg2.Error:
            raise  # the transaction is aborted: nothing more can be done in it
        except Exception:
            _logger.info("Campaign messages failed to render, checking one by one")
        group = group._fail_unrenderable(keys)
        if group:
            getattr(group, handler)()

    def _fail_invalid_phone(self):
        """Mark failed the SMS and call deliveries whose number is unusable; return the others.

        A missing number is left to the channel (mass_mailing_sms records it on the trace).
        """
        invalid = self.browse()
        for delivery in self.filtered(lambda d: d.channel_code in ("sms", "phone")):
            number = contact_number(delivery.partner_id, delivery.channel_code)
            if number and not is_usable_phone(delivery.partner_id, number):
                delivery._mark_failed("invalid_phone", number=number)
                invalid |= delivery
        return self - invalid

    def _run_channel_handler(self, handler):
        """Send the group in one go; when it fails, retry one by one to isolate the culprit."""
        try:
            with self.env.cr.savepoint():
                getattr(self, handler)()
            return
        except Exception:
            _logger.info("Campaign batch failed, retrying %d deliveries one by one", len(self))
        for delivery in self:
            try:
                with self.env.cr.savepoint():
                    getattr(delivery, handler)()
            except UserError as error:  # worded for users
                delivery.write({"state": "failed", "failure_reason": error.args[0][:500]})
            except Exception:
                # Python's text is for the server log, not for the marketing user
                _logger.exception("Campaign delivery %s could not be sent", delivery.id)
                delivery._mark_failed("send_error")

    def _mark_failed(self, code, **params):
        """Mark failed with the reason ``code`` (see `_render_failure`)."""
        self.write({"state": "failed", **self._failure_values(code, **params)})

    def _cancel_opted_out(self):
        """Consent and blacklist are checked again at send time.

        Returns the deliveries that may still be sent; the others are cancelled
        with the reason.
        """
        if not self:
            return self
        consents = self.partner_id._crm_get_consent(list(set(self.mapped("channel_code"))))
        require_opt_in = self.company_id.filtered("crm_require_opt_in")
        refused = self.browse()
        for delivery in self:
            consent = consents.get(delivery.partner_id.id, {}).get(delivery.channel_code)
            if consent == "opt_out" or (
                consent != "opt_in" and delivery.company_id in require_opt_in
            ):
                refused |= delivery
        refused.write({"state": "cancelled", **self._failure_values("consent_withdrawn")})
        return self - refused

    def _get_mailing(self, mailing_type):
        """The mailing of this rule, variant and day, created on first use."""
        rule, variant = self.rule_id, self.variant_id
        today = fields.Date.context_today(self)
        Mailing = self.env["mailing.mailing"]
        mailing = Mailing.search(
            [
                ("crm_campaign_rule_id", "=", rule.id),
                ("crm_campaign_variant_id", "=", variant.id),
                ("crm_dispatch_date", "=", today),
                ("mailing_type", "=", mailing_type),
            ],
            limit=1,
        )
        if not mailing:
            mailing = Mailing.create(self._prepare_mailing_values(mailing_type, today))
            # Sending the mailing by hand from Email Marketing must never reach
            # deliveries that are not due: its own deliveries are sent already.
            mailing.mailing_domain = repr(
                [("mailing_id", "=", mailing.id), ("state", "=", "planned")]
            )
        return mailing

    def _get_mailing_title(self, mailing_type, day):
        """Clean name of the mailing of this rule, variant, channel and day:
        campaign / rule / variant / channel / day (never a template's source)."""
        rule, variant = self.rule_id, self.variant_id
        channel = dict(
            self.env["mailing.mailing"]._fields["mailing_type"]._description_selection(self.env)
        ).get(mailing_type, mailing_type)
        day_text = format_date(self.env, day)
        return " / ".join(
            filter(None, [rule.campaign_id.name, rule.name, variant.name, channel, day_text])
        )

    def _prepare_mailing_values(self, mailing_type, day):
        """Values of the mailing of this rule, variant and day. Its subject and
        name are the clean title: the templates are only put on it while it sends
        (`_send_through_mailing`)."""
        rule, variant = self.rule_id, self.variant_id
        templates = self[:1]._get_templates()
        campaign = rule.campaign_id
        title = self._get_mailing_title(mailing_type, day)
        values = {
            "name": title,
            "subject": title,
            "mailing_type": mailing_type,
            "mailing_model_id": self.env["ir.model"]._get_id(self._name),
            "mailing_domain": repr([("id", "=", 0)]),
            "campaign_id": campaign.utm_campaign_id.id,
            "user_id": campaign.user_id.id,
            "crm_campaign_rule_id": rule.id,
            "crm_campaign_variant_id": variant.id,
            "crm_dispatch_date": day,
        }
        if mailing_type == "mail":
            values.update(body_html=templates["body_html"], body_arch=templates["body_html"])
        else:
            values.update(body_plaintext=templates["sms_body"], sms_allow_unsubscribe=False)
        return values

    def _send_through_mailing(self, mailing_type):
        """Let mass_mailing send: it renders, blacklists, tracks links and writes traces.

        The trace (model ``crm.campaign.delivery``, res_id = the delivery) is the
        link delivery -> message: mass_mailing commits it together with the mail
        (every ``mail.batch_size`` mails), so a worker that dies before the
        deliveries are updated leaves the link behind. Deliveries that have a
        trace in ANY mailing (a previous run, another day, another cron user time
        zone) are only linked to it, never sent again; a unique index on the
        trace (see ``mailing_trace.py``) makes a second trace impossible.
        """
        Trace = self.env["mailing.trace"]
        domain = [("model", "=", self._name), ("res_id", "in", self.ids)]
        existing = Trace.search(domain)
        already = set(existing.mapped("res_id"))
        to_send = self.filtered(lambda d: d.id not in already)
        if to_send:
            mailing = to_send._get_mailing(mailing_type)
            # mass_mailing renders the mailing's subject and body per recipient (in
            # the customer's language, see mail_compose_message.py): the rule's
            # current templates go on the mailing while it sends, and its subject is
            # the clean title again afterwards, so that Email Marketing, the traces
            # and the statistics never show a template's source.
            templates = to_send[:1]._get_templates()
            # the name is given with the subject: utm.source.mixin would make it up
            # from the subject otherwise
            name = mailing.name
            if mailing_type == "mail":
                mailing.write(
                    {
                        "name": name,
                        "subject": templates["subject"],
                        "body_html": templates["body_html"],
                        "body_arch": templates["body_html"],
                    }
                )
            else:
                mailing.body_plaintext = templates["sms_body"]
            mailing.action_send_mail(res_ids=to_send.ids)
            if mailing_type == "mail":
                mailing.write({"name": name, "subject": name})
            existing = Trace.search(domain)
        self._apply_traces(existing)

    def _apply_traces(self, traces):
        """Update the deliveries from their traces (whatever mailing holds them).

        Deliveries with the same outcome (state and reason) are written together,
        one ORM write per outcome (recomputations and write date as usual); the
        per-delivery links to mailing, trace and SMS, which nothing computes from,
        are stored with one UPDATE.
        """
        if not self:
            return
        no_trace = self.env["mailing.trace"]
        trace_by_res = {trace.res_id: trace for trace in traces}
        now = fields.Datetime.now()
        outcomes = {}
        links = []
        for delivery in self:
            trace = trace_by_res.get(delivery.id, no_trace)
            if not trace:
                outcome = ("failed", "no_message")
            elif trace.trace_status in ("cancel", "error"):
                # a wrong address is a failure; blacklist, opt-out, duplicate are cancellations
                cancelled = trace.trace_status == "cancel" and trace.failure_type not in (
                    "sms_number_format",
                    "sms_number_missing",
                    "mail_email_invalid",
                    "mail_email_missing",
                )
                outcome = (
                    "cancelled" if cancelled else "failed",
                    "trace_failure",
                    trace.failure_type or trace.trace_status,
                )
            else:
                outcome = ("sent",)
            outcomes.setdefault(outcome, []).append(delivery.id)
            links.append(
                (
                    delivery.id,
                    trace.mass_mailing_id.id or None,
                    trace.id or None,
                    (trace.sms_id.id or None) if trace.trace_type == "sms" else None,
                )
            )
        for outcome, ids in outcomes.items():
            if outcome == ("sent",):
                values = {"state": "sent", "sent_date": now}
            elif outcome[1] == "no_message":
                values = {"state": outcome[0], **self._failure_values("no_message")}
            else:
                values = {
                    "state": outcome[0],
                    **self._failure_values("trace_failure", failure_type=outcome[2]),
                }
            self.browse(ids).write(values)
        link_fields = ["mailing_id", "mailing_trace_id", "sms_id"]
        self.flush_recordset(link_fields)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_campaign_delivery delivery
                   SET mailing_id = link.mailing_id,
                       mailing_trace_id = link.trace_id,
                       sms_id = COALESCE(link.sms_id, delivery.sms_id)
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[])
                       AS link(id, mailing_id, trace_id, sms_id)
                 WHERE delivery.id = link.id
                """,
                *(list(column) for column in zip(*links, strict=True)),
            )
        )
        self.invalidate_recordset(link_fields)

    def _send_email(self):
        self._send_through_mailing("mail")

    def _send_sms(self):
        self._send_through_mailing("sms")

    def _send_phone_task(self):
        """A call task for the customer's salesperson, else the campaign responsible.

        The task carries its delivery (unique in the database), so a retry links
        an existing task instead of creating a second one.
        """
        # sudo: the tasks may be assigned to other users than the marketing user;
        # the search is restricted to the tasks of these very deliveries.
        Activity = self.env["mail.activity"].sudo()
        existing = Activity.search([("crm_campaign_delivery_id", "in", self.ids)])
        by_delivery = {activity.crm_campaign_delivery_id.id: activity for activity in existing}
        to_create = self.filtered(lambda d: d.id not in by_delivery)
        rendered = to_create._render_messages()
        call_type = self.env.ref("mail.mail_activity_data_call")
        partner_model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list = []
        for delivery in to_create:
            messages = rendered[delivery.id]
            user = delivery.partner_id.user_id or delivery.campaign_id.user_id or self.env.user
            vals_list.append(
                {
                    "res_model_id": partner_model_id,
                    "res_id": delivery.partner_id.id,
                    "activity_type_id": call_type.id,
                    "user_id": user.id,
                    "summary": messages["subject"],
                    "note": messages["sms_body"],
                    "date_deadline": fields.Date.to_date(delivery.scheduled_date)
                    or fields.Date.context_today(self),
                    "crm_campaign_delivery_id": delivery.id,
                }
            )
        for activity in Activity.create(vals_list):
            by_delivery[activity.crm_campaign_delivery_id.id] = activity
        now = fields.Datetime.now()
        for delivery in self:
            delivery.write(
                {"state": "sent", "sent_date": now, "activity_id": by_delivery[delivery.id].id}
            )

    def _send_portal_notice(self):
        """Store the rendered offer; the customer reads it on the portal (/my/offers)."""
        rendered = self._render_messages()
        now = fields.Datetime.now()
        for delivery in self:
            delivery.write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "portal_subject": rendered[delivery.id]["subject"],
                    "portal_body": rendered[delivery.id]["body_html"],
                }
            )

    # ---- Tracking ----

    def _sync_from_traces(self, traces):
        """Move deliveries forward from their mailing traces (open, click, reply, bounce)."""
        by_trace = {delivery.mailing_trace_id.id: delivery for delivery in self}
        changes = {}
        for trace in traces:
            delivery = by_trace.get(trace.id)
            if not delivery:
                continue
            if trace.trace_status == "bounce":
                new_state = "bounced"
            elif trace.trace_status == "reply":
                new_state = "replied"
            elif trace.links_click_datetime:
                new_state = "clicked"
            elif trace.trace_status == "open":
                new_state = "opened"
            else:
                continue
            if delivery._accepts_state(new_state):
                changes.setdefault(new_state, self.browse())
                changes[new_state] |= delivery
        for state, deliveries in changes.items():
            deliveries.write({"state": state})
            deliveries._log_delivery_interactions(state)

    def _accepts_state(self, new_state):
        self.ensure_one()
        if self.state in ("skipped", "cancelled", "failed", "planned", "converted"):
            return False
        if new_state == "bounced":
            return self.state == "sent"
        if self.state == "bounced":
            return False
        return STATE_RANK[new_state] > STATE_RANK[self.state]

    def _prepare_interaction_shared_values(self, event):
        """Values of the interactions logged for ``event`` that do not depend on the
        delivery, computed once for a whole batch (see ``_prepare_interaction_values``)."""
        subjects = {
            "sent": self.env._("Campaign %(campaign)s: offer sent"),
            "opened": self.env._("Campaign %(campaign)s: offer opened"),
            "clicked": self.env._("Campaign %(campaign)s: offer clicked"),
            "replied": self.env._("Campaign %(campaign)s: customer replied"),
            "bounced": self.env._("Campaign %(campaign)s: message bounced"),
            "converted": self.env._("Campaign %(campaign)s: offer converted"),
        }
        marketing = self.env.ref(
            "crm_unified.interaction_department_marketing", raise_if_not_found=False
        )
        return {
            "subject": subjects[event],
            "department_id": marketing.id if marketing else False,
            "outcome": dict(self._fields["state"]._description_selection(self.env))[event],
            "date": fields.Datetime.now(),
        }

    def _prepare_interaction_values(self, event, shared=None):
        """Values of the interaction logged for this delivery's ``event`` (a state).

        :param shared: the batch's ``_prepare_interaction_shared_values(event)``,
            computed here when not given
        :return: dict for ``crm.interaction._log_interactions``
        """
        self.ensure_one()
        shared = shared or self._prepare_interaction_shared_values(event)
        campaign = self.campaign_id
        return {
            "partner_id": self.partner_id.id,
            "channel_id": self.channel_id.id,
            # A bounce is the mail server's answer to the company's send, not the
            # customer's touch; opened/clicked/replied/converted are the customer's.
            "kind": "event" if event == "bounced" else "touch",
            "direction": "outbound" if event in ("sent", "bounced") else "inbound",
            "department_id": shared["department_id"],
            "user_id": campaign.user_id.id,
            "subject": shared["subject"] % {"campaign": campaign.name},
            # Shown in the reader's language (crm.interaction._crm_event_subject_templates);
            # no capture key: the delivery's state machine already logs each state once.
            "capture_event": f"campaign_{event}",
            "capture_key": False,
            "subject_params": {"campaign": campaign.name},
            "outcome": shared["outcome"],
            "summary": self.offer_description,
            "res_model": self._name,
            "res_id": self.id,
            "source": "automatic",
            "company_id": self.company_id.id,
            "date": shared["date"],
        }

    def _log_delivery_interactions(self, event):
        if not self:
            return self.env["crm.interaction"]
        shared = self._prepare_interaction_shared_values(event)
        return self.env["crm.interaction"]._log_interactions(
            [delivery._prepare_interaction_values(event, shared) for delivery in self]
        )

    # ---- Actions ----

    def action_dispatch(self):
        self._dispatch()
        return True

    def action_cancel(self):
        self.filtered(lambda d: d.state == "planned").write(
            {"state": "cancelled", **self._failure_values("cancelled_by_hand")}
        )
        return True
