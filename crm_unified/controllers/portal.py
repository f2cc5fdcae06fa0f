import re

from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

# Channels a customer can give or withdraw consent for on the portal.
PORTAL_CONSENT_CHANNELS = ("email", "sms", "phone", "letter")
CONSENT_STATES = ("opt_in", "opt_out")
# "22", "22.5" (what the form posts) or "22:30" (an option's label, which a
# browser posts when the option has no value attribute).
HOUR_PATTERN = re.compile(r"^\s*(\d{1,2})(?:[.,](\d+)|:(\d{2}))?\s*$")


def parse_hour(text):
    """Hour of the day posted by the quiet-hours selects, as a float.

    :param str text: "22", "22.5" or "22:30"
    :return: hours after midnight (0.0-24.0), or None when the text is no hour
        of the day (not a number, minutes over 59, beyond 24:00).
    """
    match = HOUR_PATTERN.match(text or "")
    if not match:
        return None
    hours, fraction, minutes = match.groups()
    if minutes is not None:
        if int(minutes) > 59:
            return None
        value = int(hours) + int(minutes) / 60
    else:
        value = float(f"{hours}.{fraction or 0}")
    return value if 0 <= value <= 24 else None


def form_texts(post, files=()):
    """The text fields of a posted form, as the controllers may read them.

    A browser posts text, but a crafted request can send a file part under a
    text field's name (counted here as a missing field) or NUL bytes, which
    PostgreSQL refuses in text (dropped).

    :param dict post: the posted form (request params)
    :param files: names of the fields that are file uploads, kept as they are
    :return: new dict {name: str without NUL} plus the file fields named in `files`
    """
    texts = {}
    for key, value in post.items():
        if key in files:
            texts[key] = value
        elif isinstance(value, str):
            texts[key] = value.replace("\x00", "")
    return texts


def format_hour(value):
    """'HH:MM' label of an hour of the day given as a float (22.5 -> '22:30')."""
    minutes = round(value * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class CrmUnifiedPortal(CustomerPortal):
    """/my/preferences: the logged-in customer's own contact preferences.

    The partner is always the current user's: no partner id is read from the
    request, so a crafted POST cannot reach another customer. Each posted field
    is checked on its own: the valid ones are saved, each bad one is named in a
    message and keeps its stored value.
    """

    def _crm_portal_channels(self):
        # sudo: portal users cannot read channels; only the public list of
        # channels offered on the portal is read.
        return (
            request.env["crm.interaction.channel"]
            .sudo()
            .search([("code", "in", PORTAL_CONSENT_CHANNELS)])
        )

    def _crm_hour_options(self, partner_sudo):
        """(value, label) of the quiet-hours options: every whole hour, plus the
        customer's own values when they are not whole hours (set in the back
        office), so that saving the form never changes them silently."""
        hours = {float(hour) for hour in range(25)}
        hours |= {partner_sudo.quiet_hour_start, partner_sudo.quiet_hour_end}
        # Values are strings: QWeb drops an attribute whose value is 0, and the
        # browser would then post the option's label instead.
        return [(f"{hour:g}", format_hour(hour)) for hour in sorted(hours)]

    def _crm_languages(self, partner_sudo):
        """(code, name) of the installed languages, plus the customer's own when
        it is no longer installed, so that saving the form never changes it."""
        languages = request.env["res.lang"].get_installed()
        if partner_sudo.lang and partner_sudo.lang not in dict(languages):
            languages = [(partner_sudo.lang, partner_sudo.lang), *languages]
        return languages

    def _crm_preferences_values(self, partner, **extra):
        # sudo: portal users have no access to CRM models; only the current
        # user's own partner and the public channel list are read.
        partner_sudo = partner.sudo()
        channels = self._crm_portal_channels()
        consents = partner_sudo._crm_get_consent(channels.mapped("code"))[partner.id]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "crm_preferences",
                "partner": partner_sudo,
                "channels": channels,
                # The customer's stated channel stays on offer even when it is no
                # longer a portal channel, so that saving never clears it silently.
                "preferred_channels": channels | partner_sudo.preferred_channel_stated_id,
                "consents": consents,
                "languages": self._crm_languages(partner_sudo),
                "hour_options": self._crm_hour_options(partner_sudo),
                "quiet_hour_values": {
                    "quiet_hour_start": f"{partner_sudo.quiet_hour_start:g}",
                    "quiet_hour_end": f"{partner_sudo.quiet_hour_end:g}",
                },
                "success": False,
                "errors": [],
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
        errors = self._crm_save_preferences(partner, form_texts(post))
        return request.render(
            "crm_unified.portal_my_preferences",
            self._crm_preferences_values(partner, success=True, errors=errors),
        )

    def _crm_read_preferences(self, partner, post):
        """Values and consent states from the posted form, field by field.

        :param dict post: the posted form
        :return: (partner values, {channel code: state}, [translated error messages]);
            a field that is missing from the form is left unchanged, a bad one
            is left out of the values and named in the messages.
        """
        env = request.env
        channels = self._crm_portal_channels()
        errors = []
        # sudo: the current user's own partner, see _crm_preferences_values
        partner_sudo = partner.sudo()
        # What the page showed: only the choices the customer changed are
        # recorded (a consent the customer did not touch is not "given on the
        # portal", e.g. an opt-out shown because of a blacklist).
        shown = partner_sudo._crm_get_consent(channels.mapped("code"))[partner.id]
        states = {}
        for channel in channels:
            state = post.get(f"consent_{channel.code}")
            if state is None:
                continue
            if state in CONSENT_STATES:
                if state != shown.get(channel.code):
                    states[channel.code] = state
            else:
                errors.append(env._("Choose Yes or No for %(channel)s.", channel=channel.name))
        vals = {}
        if "preferred_channel_id" in post:
            preferred = (post["preferred_channel_id"] or "").strip()
            # sudo: the customer's own stated channel, see _crm_preferences_values
            offered = channels | partner_sudo.preferred_channel_stated_id
            preferred_channel = offered.filtered(lambda c: str(c.id) == preferred)
            if not preferred:
                vals["preferred_channel_stated_id"] = False
            elif preferred_channel:
                vals["preferred_channel_stated_id"] = preferred_channel.id
            else:
                errors.append(env._("Choose your preferred channel from the list."))
        labels = {
            "quiet_hour_start": env._("start of your quiet hours"),
            "quiet_hour_end": env._("end of your quiet hours"),
        }
        for fname, label in labels.items():
            if post.get(fname) in (None, ""):
                continue
            hour = parse_hour(post[fname])
            if hour is None:
                errors.append(
                    env._("The %(field)s must be a time between 00:00 and 24:00.", field=label)
                )
            else:
                vals[fname] = hour
        lang = post.get("lang")
        if lang and lang != partner_sudo.lang:
            if lang in dict(env["res.lang"].get_installed()):
                vals["lang"] = lang
            else:
                errors.append(env._("This language is not available."))
        return vals, states, errors

    def _crm_save_preferences(self, partner, post):
        """Save the valid posted preferences of `partner` (the current user's).

        :return: list of translated messages, one per field that was not saved
        """
        vals, states, errors = self._crm_read_preferences(partner, post)
        # sudo: writes only the current user's own partner, with checked values.
        partner_sudo = partner.sudo()
        if vals:
            partner_sudo.write(vals)
        if states:
            partner_sudo._crm_set_consent(states, source="portal")
        return errors
