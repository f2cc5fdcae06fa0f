import logging

import psycopg2.errors
import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, email_normalize
from odoo.tools.sql import table_exists
from odoo.tools.translate import LazyTranslate

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
HOURS = [(f"{hour:02d}", f"{hour:02d}:00") for hour in range(24)]

# What the customer did (wrote, called, replied, clicked, bought on the portal): the
# only signals the profile learns the customer's habits from (best contact time,
# preferred channel, engagement). See _crm_customer_touch_domain().
CUSTOMER_TOUCH_DOMAIN = [("kind", "=", "touch"), ("direction", "=", "inbound")]

# Captured events that are things the company did to a document (kind "event").
BUSINESS_EVENTS = (
    "sale_quotation_sent",
    "sale_order_confirmed",
    "sale_order_cancelled",
    "invoice_posted",
    "invoice_paid",
    "opportunity_created",
    "opportunity_won",
    "opportunity_lost",
)

# Import-only columns: when a file gives no customer, the customer is found by these.
PARTNER_MATCH_FIELDS = ("partner_email", "partner_phone", "partner_vat", "partner_ref")


class CrmInteraction(models.Model):
    """One touch point between the company and a customer.

    Deliberately not a mail.thread: interactions are written by the thousand
    by capture hooks and imports, and must stay cheap to create and to list.
    """

    _name = "crm.interaction"
    _description = "Customer Interaction"
    _order = "date desc, id desc"
    _rec_name = "subject"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Commercial Entity",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel_id = fields.Many2one(
        "crm.interaction.channel", required=True, ondelete="restrict", index=True
    )
    channel_code = fields.Char(related="channel_id.code", string="Channel Code")
    channel_icon = fields.Char(related="channel_id.icon", string="Channel Icon")
    kind = fields.Selection(
        [("touch", "Customer Touch"), ("event", "Business Event")],
        required=True,
        default="touch",
        index=True,
        help="Customer Touch: a contact between the customer and the company (email, call, "
        "meeting, portal message, click). Business Event: something the company did to a "
        "document (order confirmed, invoice posted, opportunity won); its time says nothing "
        "about the customer's habits.",
    )
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")],
        required=True,
        default="outbound",
        help="Who initiated it: Inbound = the customer, Outbound = the company, "
        "Internal = within the company, without the customer.",
    )
    department_id = fields.Many2one("crm.interaction.department", ondelete="restrict", index=True)
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, index=True
    )
    subject = fields.Char(required=True)
    # What a captured event's subject is made of ({"name": "S00012", ...}; optional key
    # "template" when one event has several wordings): the subject is shown in the
    # reader's language from _crm_event_subject_templates(). Empty for rows logged
    # by hand or imported, and for rows captured before it existed: those show `subject`.
    subject_params = fields.Json(readonly=True, copy=False)
    subject_display = fields.Char(
        string="Subject (reader's language)",
        compute="_compute_subject_display",
        help="The subject of an automatically recorded event in your language; "
        "otherwise the subject as written.",
    )
    # Not prefetched: list and kanban views never show it, and it can be long.
    summary = fields.Html(sanitize=True, prefetch=False)
    outcome = fields.Char()
    duration = fields.Float(help="Duration in hours.")
    res_model = fields.Char(string="Source Document Model", index=True)
    res_id = fields.Many2oneReference(
        string="Source Document ID", model_field="res_model", index="btree_not_null"
    )
    document_ref = fields.Reference(
        selection="_selection_document_model",
        string="Source Document",
        compute="_compute_document_ref",
    )
    document_model_name = fields.Char(
        string="Document Type", compute="_compute_document_model_name"
    )
    source = fields.Selection(
        [("manual", "Manual"), ("automatic", "Automatic"), ("import", "Imported")],
        required=True,
        default=lambda self: "import" if self.env.context.get("import_file") else "manual",
    )
    capture_event = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="Technical name of the captured business event, e.g. sale_order_confirmed.",
    )
    capture_key = fields.Char(
        readonly=True,
        copy=False,
        help="Identity of the captured event (source model, id, event[, message or customer]): "
        "unique in the database, so that live capture and history back-fill never log one "
        "document event twice. Empty for interactions logged by hand or imported.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    confidential = fields.Boolean(
        help="Visible only to the interaction's department and to CRM managers."
    )
    # Local weekday/hour in the customer's time zone: contact-time heatmap (profile helper).
    weekday = fields.Selection(
        WEEKDAYS,
        compute="_compute_local_time_slot",
        store=True,
        help="In the customer's time zone.",
    )
    hour = fields.Selection(
        HOURS,
        compute="_compute_local_time_slot",
        store=True,
        help="In the customer's time zone.",
    )
    # ---- Import-only columns (never stored) ----
    partner_email = fields.Char(
        string="Customer Email", store=False, help="Import only: finds the customer by email."
    )
    partner_phone = fields.Char(
        string="Customer Phone",
        store=False,
        help="Import only: finds the customer by phone or mobile (normalised).",
    )
    partner_vat = fields.Char(
        string="Customer Tax ID", store=False, help="Import only: finds the customer by Tax ID."
    )
    partner_ref = fields.Char(
        string="Customer Reference",
        store=False,
        help="Import only: finds the customer by its internal reference.",
    )

    def _auto_init(self):
        res = super()._auto_init()
        # Rows inserted by SQL (imports, fixtures, other addons' bulk jobs) are touches
        # unless they say otherwise, as rows created through the ORM.
        self.env.cr.execute(
            SQL("ALTER TABLE crm_interaction ALTER COLUMN kind SET DEFAULT 'touch'")
        )
        # A customer's history newest first (timeline pages, latest interactions of the
        # partner form, last contact date): read from the index, never sorted in full.
        # The columns of the record rules (company, confidentiality) are included, so
        # that counting a customer's rows as a user may see them (the list's count)
        # reads the index only, as a raw count would, instead of every row.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_interaction_commercial_partner_date_rules_index"
                " ON crm_interaction (commercial_partner_id, date DESC, id DESC)"
                " INCLUDE (company_id, confidential, department_id)"
            )
        )
        self.env.cr.execute(
            SQL("DROP INDEX IF EXISTS crm_interaction_commercial_partner_date_index")
        )
        # One document event is one interaction, whoever writes it (capture hooks,
        # back-fill, two workers at once): enforced here, not by a Python check.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_interaction_capture_key_uniq"
                " ON crm_interaction (capture_key) WHERE capture_key IS NOT NULL"
            )
        )
        return res

    # ---- Compute methods ----

    @api.depends("subject", "capture_event", "subject_params")
    @api.depends_context("lang")
    def _compute_subject_display(self):
        templates = self._crm_event_subject_templates()
        lang = self.env.lang or "en_US"
        cache = {}
        for interaction in self:
            # Rows logged by hand or imported (no event) show their subject as written.
            rendered = interaction.capture_event and interaction._crm_render_event_subject(
                templates, lang, cache
            )
            interaction.subject_display = rendered or interaction.subject

    @api.depends("subject_display")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for interaction in self:
            interaction.display_name = interaction.subject_display or interaction.subject

    @api.depends("date", "partner_id.tz")
    def _compute_local_time_slot(self):
        for interaction in self:
            if not interaction.date:
                interaction.weekday = interaction.hour = False
                continue
            try:
                tz = pytz.timezone(interaction.partner_id.tz or "UTC")
            except pytz.UnknownTimeZoneError:
                tz = pytz.utc
            local = pytz.utc.localize(interaction.date).astimezone(tz)
            interaction.weekday = str(local.weekday())
            interaction.hour = f"{local.hour:02d}"

    @api.model
    def _selection_document_model(self):
        # sudo: only model names and labels are read, to label the reference link.
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_document_ref(self):
        for interaction in self:
            if interaction.res_model in self.env and interaction.res_id:
                interaction.document_ref = f"{interaction.res_model},{interaction.res_id}"
            else:
                interaction.document_ref = False

    @api.depends("res_model")
    def _compute_document_model_name(self):
        for interaction in self:
            model = interaction.res_model
            interaction.document_model_name = (
                self.env["ir.model"]._get(model).name if model and model in self.env else False
            )

    @api.constrains("res_model")
    def _check_res_model(self):
        for interaction in self:
            if interaction.res_model and interaction.res_model not in self.env:
                raise ValidationError(
                    self.env._(
                        "Unknown source document model %(model)s.", model=interaction.res_model
                    )
                )

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        self._resolve_import_partners(vals_list)
        for vals in vals_list:
            self._check_required_values(vals)
        interactions = super().create(vals_list)
        # The history figures of the customers' profiles count the new rows at once
        # (a call logged shows on the card and the trend); the rest is queued for
        # the background recompute (one UPDATE).
        interactions._crm_profile_add_interactions()
        interactions.partner_id._crm_mark_profile_dirty(history=False)
        return interactions

    @api.model
    def _check_required_values(self, vals):
        """Clear errors for the values people forget, instead of a database error."""
        context = self.env.context
        if not vals.get("partner_id") and not context.get("default_partner_id"):
            raise ValidationError(
                self.env._(
                    'The interaction "%(subject)s" has no customer: give a customer, '
                    "or an email, phone, Tax ID or reference to find one.",
                    subject=vals.get("subject") or "",
                )
            )
        if not vals.get("channel_id") and not context.get("default_channel_id"):
            raise ValidationError(
                self.env._(
                    'The interaction "%(subject)s" has no channel (e.g. phone, email).',
                    subject=vals.get("subject") or "",
                )
            )

    @api.model
    def _resolve_import_partners(self, vals_list):
        """Fill partner_id from the import-only columns, in one search per kind of key.

        Keys are compared exactly: emails normalised, phone numbers in full
        international form (a number without country code is read in the
        company's country), Tax IDs without separators, references as given.
        The first given key that designates one customer wins; a key shared by
        one company and its contacts designates the company. A row whose keys
        match nobody, or only several customers, raises a ValidationError naming
        the row's values (and the customers), so that the import reports it and
        saves nothing: a row is never attached to a guessed customer.
        """
        to_match = []
        for vals in vals_list:
            keys = {fname: vals.pop(fname, False) for fname in PARTNER_MATCH_FIELDS}
            if not vals.get("partner_id") and any(keys.values()):
                to_match.append((vals, keys))
        if not to_match:
            return
        Partner = self.env["res.partner"].with_context(active_test=False)
        normalizers = {
            "partner_email": email_normalize,
            "partner_phone": Partner._crm_phone_key,
            "partner_vat": Partner._crm_vat_key,
            "partner_ref": lambda value: (value or "").strip() or False,
        }
        # partner field holding each normalised key: one search per kind of key
        key_domains = {
            "partner_email": lambda keys: [("email_normalized", "in", keys)],
            "partner_phone": lambda keys: [
                "|",
                ("crm_phone_key", "in", keys),
                ("crm_mobile_key", "in", keys),
            ],
            "partner_vat": lambda keys: [("crm_vat_key", "in", keys)],
            "partner_ref": lambda keys: [("ref", "in", keys)],
        }
        key_values = {
            "partner_email": lambda p: [p.email_normalized],
            "partner_phone": lambda p: [p.crm_phone_key, p.crm_mobile_key],
            "partner_vat": lambda p: [p.crm_vat_key],
            "partner_ref": lambda p: [p.ref],
        }
        by_key = {fname: {} for fname in PARTNER_MATCH_FIELDS}
        for fname in PARTNER_MATCH_FIELDS:
            wanted = {normalizers[fname](k[fname]) for _v, k in to_match if k[fname]}
            wanted.discard(False)
            if not wanted:
                continue
            for partner in Partner.search(key_domains[fname](list(wanted)), order="id"):
                for key in set(key_values[fname](partner)) & wanted:
                    by_key[fname][key] = by_key[fname].get(key, Partner) | partner
        for vals, keys in to_match:
            partner, ambiguous = Partner, Partner
            for fname, value in keys.items():
                candidates = by_key[fname].get(normalizers[fname](value)) if value else None
                if not candidates:
                    continue
                partner = self._pick_import_partner(candidates)
                if partner:
                    break
                ambiguous |= candidates
            if partner:
                vals["partner_id"] = partner.id
                continue
            given = ", ".join(
                f"{self._fields[fname].string}: {value}" for fname, value in keys.items() if value
            )
            if ambiguous:
                raise ValidationError(
                    self.env._(
                        "Several customers match this row (%(values)s): %(customers)s. "
                        "Merge the duplicates, or give a key that only one of them has.",
                        values=given,
                        customers=", ".join(ambiguous.mapped("display_name")),
                    )
                )
            raise ValidationError(
                self.env._("No customer matches this row (%(values)s).", values=given)
            )

    @api.model
    def _pick_import_partner(self, candidates):
        """The customer designated by partners sharing one import key.

        :param candidates: res.partner records sharing the key
        :return: the partner when there is one (archived ones only count when
            no active partner shares the key), their commercial entity when all
            are one company and its contacts, else an empty recordset (ambiguous)
        """
        active = candidates.filtered("active")
        candidates = active or candidates
        if len(candidates) == 1:
            return candidates
        commercial = candidates.commercial_partner_id
        if len(commercial) == 1:
            return commercial
        return candidates.browse()

    # ---- Customer touches ----

    @api.model
    def _crm_customer_touch_domain(self):
        """Domain of the customer's own touches: what the customer initiated.

        The profile learns best contact time, preferred channel and engagement
        from these only; business events (a salesperson confirming an order at
        night) and company-initiated contacts are left out. Extend with super().
        """
        return list(CUSTOMER_TOUCH_DOMAIN)

    @api.model
    def _crm_customer_touch_sql(self):
        """The SQL condition of `_crm_customer_touch_domain()`, built from that domain.

        :return: an odoo.tools.SQL condition on the table ``crm_interaction``
            (queries using it must not alias that table)
        """
        return self._where_calc(self._crm_customer_touch_domain()).where_clause

    @api.model
    def _crm_migrate_kind_direction(self):
        """Give rows written before kind existed their kind and the direction of who initiated.

        Run by the 18.0.1.1.0 migration; idempotent (only rows in the old shape
        change). Returns the number of rows updated.
        """
        self.env.flush_all()
        cr = self.env.cr
        updated = 0
        # An order confirmed by the salesperson was logged "inbound": it is the company's event,
        # unless the customer signed it on the portal (then it is the customer's touch).
        cr.execute(
            SQL(
                """
                UPDATE crm_interaction i
                   SET kind = CASE WHEN so.signed_on IS NOT NULL THEN 'touch' ELSE 'event' END,
                       direction = CASE WHEN so.signed_on IS NOT NULL
                                        THEN 'inbound' ELSE 'outbound' END,
                       channel_id = CASE WHEN so.signed_on IS NOT NULL
                                         THEN COALESCE(portal.id, i.channel_id)
                                         ELSE i.channel_id END
                  FROM sale_order so
             LEFT JOIN crm_interaction_channel portal ON portal.code = 'portal'
                 WHERE i.capture_event = 'sale_order_confirmed'
                   AND i.res_model = 'sale.order' AND so.id = i.res_id
                   AND i.direction = 'inbound' AND i.kind = 'touch'
                   AND (so.signed_on IS NULL OR i.channel_id IS DISTINCT FROM portal.id)
                """
            )
        )
        updated += cr.rowcount
        cr.execute(
            SQL(
                "UPDATE crm_interaction SET kind = 'event'"
                " WHERE kind = 'touch' AND (capture_event IN %s OR direction = 'internal')"
                " AND NOT (capture_event = 'sale_order_confirmed' AND direction = 'inbound')",
                BUSINESS_EVENTS,
            )
        )
        updated += cr.rowcount
        # A campaign bounce was logged as the customer's inbound reaction.
        if table_exists(cr, "crm_campaign_delivery"):
            cr.execute(
                SQL(
                    """
                    UPDATE crm_interaction i SET kind = 'event', direction = 'outbound'
                      FROM crm_campaign_delivery d
                     WHERE i.res_model = 'crm.campaign.delivery' AND i.res_id = d.id
                       AND d.state = 'bounced' AND i.direction = 'inbound'
                       AND i.kind = 'touch'
                    """
                )
            )
            updated += cr.rowcount
        self.invalidate_model(["kind", "direction", "channel_id"])
        return updated

    # ---- Import ----

    @api.model
    def get_import_templates(self):
        return [
            {
                "label": self.env._("Import Template for Customer Interactions"),
                "template": "/crm_unified/static/xls/crm_interaction_template.csv",
            }
        ]

    # ---- Actions ----

    def action_open_document(self):
        self.ensure_one()
        if not self.document_ref:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
            "target": "current",
        }

    # ---- Subjects of captured events, in the reader's language ----

    @api.model
    def _crm_event_subject_templates(self):
        """Subject templates of captured events: {template key: lazy translated string}.

        The key is the interaction's ``capture_event``, or the ``template`` key
        of its ``subject_params`` when one event has several wordings. The
        strings are the ones the capture hooks write into ``subject``; their
        placeholders are filled from ``subject_params`` (see
        `_crm_event_subject_values`). Sub-addons add their own events with super().

        :return: dict {str: LazyGettext}
        """
        return {
            "sale_quotation_sent": _lt("Quotation %(name)s sent"),
            "sale_quotation_marked_sent": _lt("Quotation %(name)s marked as sent"),
            "sale_order_confirmed": _lt("Order %(name)s confirmed"),
            "sale_order_cancelled": _lt("Order %(name)s cancelled"),
            "invoice_posted": _lt("%(type)s %(name)s posted"),
            "invoice_paid": _lt("%(type)s %(name)s paid"),
            "opportunity_created": _lt("Opportunity created: %(name)s"),
            "opportunity_won": _lt("Opportunity won: %(name)s"),
            "opportunity_lost": _lt("Opportunity lost: %(name)s"),
            "meeting_held": _lt("Meeting: %(name)s"),
            "message": _lt("Email about %(name)s"),
        }

    @api.model
    def _crm_event_subject_values(self, params, cache):
        """Placeholder values of a subject template, in the language of self.env.

        :param params: the interaction's ``subject_params`` (dict)
        :param cache: dict shared by one compute batch (translated labels)
        :return: dict {placeholder: str}; ``move_type`` gives ``type`` (the
            document type name, e.g. "Invoice")
        """
        values = {key: value for key, value in params.items() if key != "template"}
        move_type = params.get("move_type")
        if move_type and "type" not in values:
            key = ("move_type", move_type)
            if key not in cache:
                Move = self.env["account.move"]
                cache[key] = (
                    Move.new({"move_type": move_type}).type_name
                    if move_type in dict(Move._fields["move_type"].selection)
                    else move_type
                )
            values["type"] = cache[key]
        return values

    def _crm_render_event_subject(self, templates, lang, cache):
        """The subject of this captured event in `lang`, or False to show `subject`."""
        self.ensure_one()
        params = self.subject_params
        if not isinstance(params, dict) or not self.capture_event:
            return False
        template = templates.get(params.get("template") or self.capture_event)
        if template is None:
            return False
        try:
            return template._translate(lang) % self._crm_event_subject_values(params, cache)
        except (KeyError, TypeError, ValueError):
            # A translation or parameters that do not fit: the subject as written.
            return False

    # ---- Capture API ----

    @api.model
    def _log_interactions(self, vals_list):
        """Create interactions for captured events without ever breaking the caller.

        Capture hooks run inside business actions (order confirmation, invoice
        posting, ...). Logging is secondary to those actions, so a failure is
        written to the server log and the savepoint is rolled back, leaving the
        caller's transaction intact.
        """
        vals_list = [vals for vals in vals_list if vals.get("partner_id")]
        for vals in vals_list:
            if "capture_key" not in vals and vals.get("capture_event") and vals.get("res_id"):
                vals["capture_key"] = self._crm_capture_key(
                    vals.get("res_model"), vals["res_id"], vals["capture_event"]
                )
        for attempt in range(2):
            todo = self._crm_without_logged_keys(vals_list)
            if not todo:
                return self.browse()
            try:
                with self.env.cr.savepoint():
                    # sudo: capture runs as whoever triggered the business action, who
                    # may not have CRM rights; the values are built by our own hooks.
                    return self.sudo()._create_captured(todo).sudo(False)
            except psycopg2.errors.UniqueViolation:
                # Another transaction (back-fill, a second worker) logged the same event
                # and committed meanwhile: drop what it wrote and try the rest once more.
                if attempt:
                    _logger.info("Customer interactions already logged by a concurrent job")
            except (psycopg2.errors.TransactionRollbackError, psycopg2.errors.LockNotAvailable):
                # A deadlock, serialization failure or lock timeout: the whole transaction must be
                # rolled back and retried (Odoo retries the request); swallowing it
                # would leave a transaction that fails later (InFailedSqlTransaction)
                # or writes from a stale snapshot.
                raise
            except Exception:
                _logger.exception("Could not log %d customer interaction(s)", len(todo))
                return self.browse()
        return self.browse()

    @api.model
    def _crm_capture_key(self, res_model, res_id, event, ref=None):
        """Unique identity of a captured event: "model,id,event[,ref]".

        :param ref: what tells apart several events of one kind on one document
            (the mail.message id of an email or done activity, the customer
            company of a meeting); None for one-per-document events
        """
        parts = [res_model or "", str(res_id), event]
        if ref:
            parts.append(str(ref))
        return ",".join(parts)

    @api.model
    def _crm_without_logged_keys(self, vals_list):
        """vals_list without the events already in the database or repeated in the list."""
        keys = {vals["capture_key"] for vals in vals_list if vals.get("capture_key")}
        logged = set()
        if keys:
            self.flush_model(["capture_key"])
            rows = self.env.execute_query(
                SQL(
                    "SELECT capture_key FROM crm_interaction WHERE capture_key = ANY(%s)",
                    list(keys),
                )
            )
            logged = {key for (key,) in rows}
        result = []
        for vals in vals_list:
            key = vals.get("capture_key")
            if key:
                if key in logged:
                    continue
                logged.add(key)
            result.append(vals)
        return result

    def _create_captured(self, vals_list):
        """The one batched create behind `_log_interactions`.

        Takes the value dicts of the hooks (partner_id set) and returns the new
        interactions in the same order. Captured rows are written with ONE
        INSERT ... SELECT (the ORM's create costs several times more per row
        for a model without mail.thread): defaults, the stored related
        commercial entity and the customer-local weekday/hour are filled in the
        same statement, then the usual checks run set-wise. When the values
        hold anything that statement does not cover (import keys, x2many,
        fields of another addon computed or inverse on write), the ORM's create
        is used instead, so nothing is ever skipped.

        :raises ValidationError: as ``create`` would (missing customer or channel,
            unknown source model, company mismatch)
        """
        if not self._crm_can_insert_captured(vals_list):
            return self.create(vals_list)
        for vals in vals_list:
            self._check_required_values(vals)
        for model in {vals.get("res_model") for vals in vals_list} - {None, False}:
            if model not in self.env:
                raise ValidationError(
                    self.env._("Unknown source document model %(model)s.", model=model)
                )
        columns = self._crm_captured_columns(vals_list)
        defaults = self.default_get([fname for fname in columns if fname != "date"])
        now = fields.Datetime.now()
        self.env["res.partner"].flush_model(["commercial_partner_id", "tz"])
        tz_of = self._crm_partner_time_zones({vals["partner_id"] for vals in vals_list})
        arrays = {fname: [] for fname in columns}
        zones = []
        # Sanitizing HTML is the costly part of converting a row, and captured rows
        # often share a text (a campaign's offer): each distinct text once.
        sanitized = {}
        for vals in vals_list:
            for fname, values in arrays.items():
                field = self._fields[fname]
                value = vals[fname] if fname in vals else defaults.get(fname, False)
                if fname == "date" and not value:
                    value = now
                if field.type == "html" and isinstance(value, str):
                    if (fname, value) not in sanitized:
                        sanitized[fname, value] = field.convert_to_column_insert(value, self, vals)
                    values.append(sanitized[fname, value])
                    continue
                values.append(field.convert_to_column_insert(value, self, vals))
            zones.append(tz_of.get(vals["partner_id"], "UTC"))
        unnest_args = SQL(", ").join(
            SQL("%s::%s[]", values, SQL(self._fields[fname].column_type[0]))
            for fname, values in arrays.items()
        )
        names = [SQL.identifier(fname) for fname in columns]
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_interaction (%(names)s, commercial_partner_id, weekday, hour,
                                             create_uid, create_date, write_uid, write_date)
                SELECT %(values)s, partner.commercial_partner_id,
                       (EXTRACT(ISODOW FROM local.at)::int - 1)::varchar,
                       to_char(local.at, 'HH24'),
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(arrays)s, %(zones)s::varchar[])
                       WITH ORDINALITY AS v(%(names)s, zone, position)
                  JOIN res_partner partner ON partner.id = v.partner_id
                 CROSS JOIN LATERAL (
                       SELECT (v.date AT TIME ZONE 'UTC') AT TIME ZONE v.zone AS at
                 ) AS local
                 ORDER BY v.position
                RETURNING id
                """,
                names=SQL(", ").join(names),
                values=SQL(", ").join(SQL("v.%s", name) for name in names),
                uid=self.env.uid,
                now=now,
                arrays=unnest_args,
                zones=zones,
            )
        )
        interactions = self.browse([row[0] for row in rows])
        if len(interactions) != len(vals_list):
            # A customer id that does not exist: the ORM reports it properly.
            raise ValidationError(self.env._("Some captured interactions have no customer."))
        self._crm_check_captured_companies(arrays["partner_id"], arrays["company_id"])
        # The customers just written go to the cache: no fetch of the new rows.
        self.env.cache.update(interactions, self._fields["partner_id"], arrays["partner_id"])
        interactions._crm_profile_add_interactions()
        interactions.partner_id._crm_mark_profile_dirty(history=False)
        return interactions

    def _crm_profile_add_interactions(self):
        """Add these new interactions to the history figures of their customers' profiles.

        One INSERT ... ON CONFLICT for the whole batch, grouped by customer and
        company: all-time and 12-month counts, last contact and its channel,
        last touch, counts per channel, contact-time histogram and monthly trend
        grow by the new rows, exactly as a full recompute would count them
        (res.partner._crm_profile_measure_sql). Its cost grows with the new rows,
        not with the customers' history. Figures that cannot be updated by
        addition (preferred channel, windows moving with time) wait for the
        background recompute the caller queues.
        """
        if not self:
            return
        self.flush_recordset()
        Partner = self.env["res.partner"]
        # Same lock order as every profile writer: the customer rows, then the profile rows.
        Partner._crm_lock_profile_partners(sorted(set(self.sudo().commercial_partner_id.ids)))
        now = fields.Datetime.now()
        since = now - relativedelta(months=12)
        touch = self._crm_customer_touch_sql()
        profile = SQL.identifier("crm_partner_profile")

        def add_counts(column):
            """SQL: the stored {key: count} json plus the new one, key by key."""
            return SQL(
                "(SELECT COALESCE(jsonb_object_agg(k, n), '{}'::jsonb) FROM ("
                "SELECT k, SUM(v::int) AS n FROM ("
                "SELECT key AS k, value AS v FROM jsonb_each_text(COALESCE(%(old)s, '{}'))"
                " UNION ALL "
                "SELECT key, value FROM jsonb_each_text(COALESCE(%(new)s, '{}'))"
                ") sums GROUP BY k) merged)",
                old=SQL("%s.%s", profile, SQL.identifier(column)),
                new=SQL("EXCLUDED.%s", SQL.identifier(column)),
            )

        def add(column):
            return SQL(
                "%(col)s = COALESCE(%(profile)s.%(col)s, 0) + EXCLUDED.%(col)s",
                col=SQL.identifier(column),
                profile=profile,
            )

        self.env.execute_query(
            SQL(
                """
                WITH base AS (
                    SELECT crm_interaction.id, crm_interaction.commercial_partner_id AS partner_id,
                           crm_interaction.company_id, crm_interaction.date,
                           crm_interaction.channel_id, crm_interaction.weekday,
                           crm_interaction.hour, COALESCE(%(touch)s, FALSE) AS is_touch
                      FROM crm_interaction
                     WHERE crm_interaction.id = ANY(%(ids)s)
                ), per_channel AS (
                    SELECT b.partner_id, b.company_id, jsonb_object_agg(c.code, b.n) AS counts
                      FROM (SELECT partner_id, company_id, channel_id, COUNT(*) AS n FROM base
                             WHERE date >= %(since)s GROUP BY 1, 2, 3) b
                      JOIN crm_interaction_channel c ON c.id = b.channel_id
                  GROUP BY b.partner_id, b.company_id
                ), per_slot AS (
                    SELECT partner_id, company_id, jsonb_object_agg(slot, n) AS histogram
                      FROM (SELECT partner_id, company_id,
                                   weekday::int || '-' || hour::int AS slot, COUNT(*) AS n
                              FROM base
                             WHERE date >= %(since)s AND is_touch
                               AND weekday IS NOT NULL AND hour IS NOT NULL
                          GROUP BY 1, 2, 3) s
                  GROUP BY partner_id, company_id
                ), per_month AS (
                    SELECT partner_id, company_id, jsonb_object_agg(month, n) AS months
                      FROM (SELECT partner_id, company_id,
                                   to_char(date, 'YYYY-MM') || ':' || channel_id AS month,
                                   COUNT(*) AS n
                              FROM base
                             WHERE date >= %(month_since)s
                          GROUP BY 1, 2, 3) m
                  GROUP BY partner_id, company_id
                ), totals AS (
                    SELECT partner_id, company_id, COUNT(*) AS count_all, MAX(date) AS last_date,
                           (ARRAY_AGG(channel_id ORDER BY date DESC, id DESC))[1] AS last_channel,
                           COUNT(*) FILTER (WHERE date >= %(since)s) AS count_12m,
                           COUNT(*) FILTER (WHERE date >= %(since)s AND is_touch) AS inbound_12m,
                           MAX(date) FILTER (WHERE date >= %(since)s AND is_touch) AS last_touch
                      FROM base
                  GROUP BY partner_id, company_id
                )
                INSERT INTO crm_partner_profile (
                       partner_id, company_id, interaction_count_total, last_interaction_date,
                       last_interaction_channel_id, interaction_count_12m, inbound_count_12m,
                       last_touch_date, interaction_channel_counts, contact_time_histogram,
                       interaction_month_counts, create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, t.company_id, t.count_all, t.last_date, t.last_channel,
                       t.count_12m, t.inbound_12m, t.last_touch, COALESCE(pc.counts, '{}'::jsonb),
                       COALESCE(ps.histogram, '{}'::jsonb), COALESCE(pm.months, '{}'::jsonb),
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM totals t
             LEFT JOIN per_channel pc
                    ON pc.partner_id = t.partner_id AND pc.company_id = t.company_id
             LEFT JOIN per_slot ps
                    ON ps.partner_id = t.partner_id AND ps.company_id = t.company_id
             LEFT JOIN per_month pm
                    ON pm.partner_id = t.partner_id AND pm.company_id = t.company_id
                ON CONFLICT (partner_id, company_id) DO UPDATE SET
                       %(count_total)s, %(count_12m)s, %(inbound_12m)s,
                       last_interaction_channel_id = CASE
                           WHEN %(profile)s.last_interaction_date IS NULL
                             OR EXCLUDED.last_interaction_date >= %(profile)s.last_interaction_date
                           THEN EXCLUDED.last_interaction_channel_id
                           ELSE %(profile)s.last_interaction_channel_id END,
                       last_interaction_date = GREATEST(%(profile)s.last_interaction_date,
                                                        EXCLUDED.last_interaction_date),
                       last_touch_date = GREATEST(%(profile)s.last_touch_date,
                                                  EXCLUDED.last_touch_date),
                       interaction_channel_counts = %(channel_counts)s,
                       contact_time_histogram = %(histogram)s,
                       interaction_month_counts = %(month_counts)s,
                       write_date = EXCLUDED.write_date
                """,
                touch=touch,
                ids=self.ids,
                since=since,
                month_since=Partner._crm_trend_since(now),
                uid=self.env.uid,
                now=now,
                profile=profile,
                count_total=add("interaction_count_total"),
                count_12m=add("interaction_count_12m"),
                inbound_12m=add("inbound_count_12m"),
                channel_counts=add_counts("interaction_channel_counts"),
                histogram=add_counts("contact_time_histogram"),
                month_counts=add_counts("interaction_month_counts"),
            )
        )
        self.env["crm.partner.profile"]._invalidate_figures()

    @api.model
    def _crm_check_captured_companies(self, partner_ids, company_ids):
        """What create()'s check_company does for partner_id, once per company.

        :raises ValidationError: when a customer belongs to another company
        """
        by_company = {}
        for partner_id, company_id in zip(partner_ids, company_ids, strict=True):
            by_company.setdefault(company_id, set()).add(partner_id)
        # sudo: only the customers' companies are compared; nothing is returned.
        Partner = self.env["res.partner"].sudo()
        for company_id, ids in by_company.items():
            partners = Partner.browse(ids)
            allowed = partners.filtered_domain(Partner._check_company_domain(company_id))
            if len(allowed) != len(partners):
                raise ValidationError(
                    self.env._(
                        "Customers of another company cannot get this company's interactions: "
                        "%(names)s.",
                        names=", ".join((partners - allowed).mapped("display_name")),
                    )
                )

    @api.model
    def _crm_can_insert_captured(self, vals_list):
        """Whether `_create_captured` may write these values with its single INSERT."""
        handled = {"commercial_partner_id", "weekday", "hour"}
        for fname, field in self._fields.items():
            if field.store and (field.compute or field.related) and fname not in handled:
                return False
        for vals in vals_list:
            for fname in vals:
                field = self._fields.get(fname)
                if (
                    not field
                    or not field.store
                    or not field.column_type
                    or field.compute
                    or field.inverse
                    or field.translate
                    or fname in PARTNER_MATCH_FIELDS
                ):
                    return False
        return True

    @api.model
    def _crm_captured_columns(self, vals_list):
        """Columns the captured INSERT writes: those given, plus the defaulted ones."""
        magic = {"id", "create_uid", "create_date", "write_uid", "write_date"}
        given = {fname for vals in vals_list for fname in vals}
        columns = [
            fname
            for fname, field in self._fields.items()
            if field.store
            and field.column_type
            and not field.compute
            and fname not in magic
            and (fname in given or field.default or fname == "date")
        ]
        return columns

    @api.model
    def _crm_partner_time_zones(self, partner_ids):
        """{partner id: time zone name} for the local weekday/hour; unknown zones are UTC."""
        rows = self.env.execute_query(
            SQL(
                "SELECT id, tz FROM res_partner WHERE id = ANY(%s) AND tz IS NOT NULL",
                list(partner_ids),
            )
        )
        return {pid: tz for pid, tz in rows if tz in pytz.all_timezones_set}

    @api.model
    def _clear_document_links(self, res_model, res_ids):
        """Keep the history of deleted documents: forget the link, not the interaction."""
        if not res_ids:
            return
        # sudo: the user deleting the document may not see every interaction about it;
        # only the dangling document id is cleared.
        self.sudo().search([("res_model", "=", res_model), ("res_id", "in", res_ids)]).write(
            {"res_id": False}
        )
