from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

# Channels a customer can give or withdraw consent for on the portal.
PORTAL_CONSENT_CHANNELS = ("email", "sms", "phone", "letter")
CONSENT_STATES = ("opt_in", "opt_out")


class CrmUnifiedPortal(CustomerPortal):
    """/my/preferences: the logged-in customer's own contact preferences.

    The partner is always the current user's: no partner id is read from the
    request, so a crafted POST cannot reach another customer.
    """

    def _crm_preferences_values(self, partner, **extra):
        # sudo: portal users have no access to CRM models; only the current
        # user's own partner and the public channel list are read.
        partner_sudo = partner.sudo()
        channels = (
            request.env["crm.interaction.channel"]
            .sudo()
            .search([("code", "in", PORTAL_CONSENT_CHANNELS)])
        )
        consents = partner_sudo._crm_get_consent(channels.mapped("code"))[partner.id]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "crm_preferences",
                "partner": partner_sudo,
                "channels": channels,
                "consents": consents,
                "languages": request.env["res.lang"].get_installed(),
                "hours": list(range(25)),
                "success": False,
                "error": False,
            }
        )
        values.update(extra)
        return values

    @http.route("/my/preferences", type="http", auth="user", website=True, methods=["GET", "POST"])
    def crm_preferences(self, **post):
        partner = request.env.user.partner_id
        if request.httprequest.method != "POST":
            return request.render(
                "crm_unified.portal_my_preferences", self._crm_preferences_values(partner)
            )
        try:
            self._crm_save_preferences(partner, post)
        except (ValueError, ValidationError) as error:
            message = error.args[0] if isinstance(error, ValidationError) else str(error)
            return request.render(
                "crm_unified.portal_my_preferences",
                self._crm_preferences_values(partner, error=message),
            )
        return request.render(
            "crm_unified.portal_my_preferences",
            self._crm_preferences_values(partner, success=True),
        )

    def _crm_save_preferences(self, partner, post):
        # sudo: writes only the current user's own partner, with checked values.
        partner_sudo = partner.sudo()
        env = request.env
        channels = (
            env["crm.interaction.channel"].sudo().search([("code", "in", PORTAL_CONSENT_CHANNELS)])
        )
        states = {}
        for channel in channels:
            state = post.get(f"consent_{channel.code}")
            if state in CONSENT_STATES:
                states[channel.code] = state
        vals = {}
        preferred = post.get("preferred_channel_id")
        if preferred:
            preferred_channel = channels.filtered(lambda c: str(c.id) == preferred)
            if not preferred_channel:
                raise ValidationError(env._("Please choose one of the listed channels."))
            vals["preferred_channel_stated_id"] = preferred_channel.id
        elif "preferred_channel_id" in post:
            vals["preferred_channel_stated_id"] = False
        for fname in ("quiet_hour_start", "quiet_hour_end"):
            if post.get(fname) not in (None, ""):
                hour = float(post[fname])
                if not 0 <= hour <= 24:
                    raise ValidationError(env._("Quiet hours must be between 00:00 and 24:00."))
                vals[fname] = hour
        lang = post.get("lang")
        if lang:
            if lang not in dict(env["res.lang"].get_installed()):
                raise ValidationError(env._("This language is not available."))
            vals["lang"] = lang
        if vals:
            partner_sudo.write(vals)
        if states:
            partner_sudo._crm_set_consent(states, source="portal")
