from odoo import api, fields, models

# Channels whose opt-out lives in an Odoo blacklist as well, so that stock mass
# mailing / SMS marketing honour it: channel code -> blacklist model.
BLACKLIST_MODELS = {"email": "mail.blacklist", "sms": "phone.blacklist"}


class CrmContactConsent(models.Model):
    """A customer's consent to be contacted on one channel.

    Changes of state and source are tracked in the chatter (audit trail: who,
    when, from where). Email and SMS opt-outs are mirrored to mail.blacklist and
    phone.blacklist, and back (see mail_blacklist.py / phone_blacklist.py).
    """

    _name = "crm.contact.consent"
    _inherit = ["mail.thread"]
    _description = "Contact Consent"
    _order = "partner_id, channel_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    channel_id = fields.Many2one("crm.interaction.channel", required=True, ondelete="restrict")
    channel_code = fields.Char(related="channel_id.code")
    state = fields.Selection(
        [("opt_in", "Opted in"), ("opt_out", "Opted out"), ("unknown", "Unknown")],
        required=True,
        default="unknown",
        tracking=True,
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True, tracking=True)
    source = fields.Selection(
        [
            ("form", "Web form"),
            ("import", "Import"),
            ("email", "Email reply"),
            ("portal", "Portal"),
            ("manual", "By hand"),
            ("blacklist", "Blacklist"),
        ],
        required=True,
        default="manual",
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded by", default=lambda self: self.env.user, tracking=True
    )
    note = fields.Char(help="Why or how the customer gave or withdrew consent.")

    _sql_constraints = [
        (
            "partner_channel_uniq",
            "unique(partner_id, channel_id)",
            "A customer has one consent per channel.",
        ),
    ]

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        consents = super().create(vals_list)
        consents._sync_blacklists()
        return consents

    def write(self, vals):
        if "state" in vals:
            vals.setdefault("date", fields.Datetime.now())
            vals.setdefault("user_id", self.env.user.id)
        result = super().write(vals)
        if "state" in vals:
            self._sync_blacklists()
        return result

    # ---- Blacklist mirroring ----

    def _sync_blacklists(self):
        """Opt-out adds the address/number to the blacklist, opt-in removes it."""
        if self.env.context.get("crm_consent_sync"):
            return
        for code, model in BLACKLIST_MODELS.items():
            consents = self.filtered(lambda c, code=code: c.channel_id.code == code)
            if not consents:
                continue
            # sudo: blacklists are restricted to marketing admins; we only mirror
            # the customer's own recorded choice, never read other entries.
            blacklist = self.env[model].sudo().with_context(crm_consent_sync=True)
            for state, method in (("opt_out", "_add"), ("opt_in", "_remove")):
                changed = consents.filtered(lambda c, state=state: c.state == state)
                keys = changed._blacklist_keys(code)
                if method == "_remove":
                    # An address or number shared with a customer who opted out
                    # stays blacklisted: one customer's opt-in never lifts another's.
                    keys = sorted(set(keys) - set(changed._shared_opt_out_keys(code)))
                if not keys:
                    continue
                message = self.env._("Customer consent recorded in CRM Unified.")
                if model == "mail.blacklist":
                    for email in keys:
                        getattr(blacklist, method)(email, message=message)
                else:
                    getattr(blacklist, method)(keys, message=message)

    def _blacklist_keys(self, code):
        if code == "email":
            values = self.partner_id.mapped("email_normalized")
        else:
            values = self.partner_id.mapped("crm_phone_sanitized")
        return sorted({value for value in values if value})

    def _shared_opt_out_keys(self, code):
        """Blacklist keys of the partners of `self` that another partner, opted
        out on channel `code`, shares."""
        keys = self._blacklist_keys(code)
        if not keys:
            return []
        key_field = "email_normalized" if code == "email" else "crm_phone_sanitized"
        # sudo: only reads which of these keys belong to opted-out customers.
        others = (
            self.sudo()
            .search(
                [
                    ("channel_id.code", "=", code),
                    ("state", "=", "opt_out"),
                    ("partner_id", "not in", self.partner_id.ids),
                    (f"partner_id.{key_field}", "in", keys),
                ]
            )
            .partner_id
        )
        return others.mapped(key_field)

    @api.model
    def _mirror_from_blacklist(self, code, keys, blacklisted):
        """Blacklist changed outside consent: update the matching customers' consent.

        Added to the blacklist -> opt-out (created when missing); removed from it
        -> existing opt-outs become opt-in (no consent is invented otherwise).
        """
        keys = [key for key in keys if key]
        if not keys or self.env.context.get("crm_consent_sync"):
            return
        key_field = "email_normalized" if code == "email" else "crm_phone_sanitized"
        # sudo: the blacklist change was already authorised; consents follow it.
        partners = self.env["res.partner"].sudo().search([(key_field, "in", keys)])
        if not partners:
            return
        partners = partners.with_context(crm_consent_sync=True)
        if blacklisted:
            partners._crm_set_consent({code: "opt_out"}, source="blacklist")
            return
        # sudo: same authorised change, applied to the consents it concerns.
        opted_out = (
            self.sudo()
            .with_context(crm_consent_sync=True)
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("channel_id.code", "=", code),
                    ("state", "=", "opt_out"),
                ]
            )
        )
        opted_out.write({"state": "opt_in", "source": "blacklist"})
