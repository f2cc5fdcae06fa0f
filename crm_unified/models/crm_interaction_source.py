import logging

from odoo import api, fields, models
from odoo.tools import html2plaintext

_logger = logging.getLogger(__name__)


class CrmInteractionSourceMixin(models.AbstractModel):
    """Behaviour shared by every business document that feeds the customer history.

    A model inheriting this mixin gets: the common values of a captured
    interaction, a batch-safe `_crm_capture` helper, a "Log interaction" button
    action, a count of its interactions, and the cleanup that keeps the history
    when the document is deleted.
    """

    _name = "crm.interaction.source.mixin"
    _description = "Customer Interaction Source"
    # Department credited with the interactions captured from this model.
    _crm_interaction_department = "sales"
    # Capture the emails exchanged with the customer in this document's chatter.
    _crm_capture_messages = True

    crm_interaction_count = fields.Integer(
        string="Interactions",
        compute="_compute_crm_interaction_count",
        groups="crm_unified.group_user",
    )

    def _compute_crm_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for record in self:
            record.crm_interaction_count = counts.get(record.id, 0)

    # ---- CRUD ----

    @api.ondelete(at_uninstall=False)
    def _unlink_crm_interaction_keep_history(self):
        self.env["crm.interaction"]._clear_document_links(self._name, self.ids)

    # ---- Actions ----

    def action_crm_log_interaction(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified.crm_interaction_log_action"
        )
        action["context"] = {
            "default_partner_id": self._crm_interaction_partner().id,
            "default_res_model": self._name,
            "default_res_id": self.id,
            "default_department_id": self._crm_department().id,
            "default_subject": self.display_name,
        }
        return action

    def action_crm_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_unified.crm_interaction_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {
            "default_partner_id": self._crm_interaction_partner().id,
            "default_res_model": self._name,
            "default_res_id": self.id,
        }
        return action

    # ---- Capture helpers ----

    def _crm_interaction_partner(self):
        """The customer of this document (one record)."""
        self.ensure_one()
        return self.partner_id

    @api.model
    def _crm_channel(self, code):
        return self.env["crm.interaction.channel"]._get_by_code(code)

    @api.model
    def _crm_department(self, code=None):
        code = code or self._crm_interaction_department
        return self.env["crm.interaction.department"]._get_by_code(code)

    def _prepare_crm_interaction_values(self, event, subject, channel_code="other", **values):
        """Common values of an interaction captured from this document (one record).

        By default a business event initiated by the company (kind "event",
        direction "outbound"); customer touches pass kind="touch" and their
        direction.
        """
        self.ensure_one()
        if "partner_id" in values:
            partner = self.env["res.partner"].browse(values["partner_id"])
        else:
            partner = self._crm_interaction_partner()
        user = self["user_id"] if "user_id" in self._fields and self["user_id"] else self.env.user
        company = self["company_id"] if "company_id" in self._fields else self.env.company
        return {
            "partner_id": partner.id,
            "res_model": self._name,
            "res_id": self.id,
            "subject": subject,
            "channel_id": self._crm_channel(channel_code).id,
            "kind": "event",
            "direction": "outbound",
            "department_id": self._crm_department().id,
            "user_id": user.id,
            "company_id": (company or partner.company_id or self.env.company).id,
            "source": "automatic",
            "capture_event": event,
            "date": fields.Datetime.now(),
            **values,
        }

    def _crm_capture(self, prepare_method):
        """Log one interaction per record, built by `prepare_method`, in one batch.

        `prepare_method` is the name of a method of the record returning the
        values of its interaction, or a falsy value to skip it. Never raises:
        capture must not break the business action that triggers it. With the
        context key ``crm_interaction_no_capture`` nothing is captured (bulk
        imports of past documents, and the benchmark's baseline of the bare action).
        """
        if not self or self.env.context.get("crm_interaction_no_capture"):
            return self.env["crm.interaction"]
        try:
            with self.env.cr.savepoint():
                vals_list = [vals for record in self if (vals := getattr(record, prepare_method)())]
        except Exception:
            _logger.exception("Could not prepare customer interactions (%s)", prepare_method)
            return self.env["crm.interaction"]
        return self.env["crm.interaction"]._log_interactions(vals_list)

    def _prepare_message_interaction_values(self, message, partner, direction):
        """Values of the interaction for one customer email on this document."""
        self.ensure_one()
        if message.message_type == "comment" and direction == "inbound":
            channel_code = "portal"  # a customer posting in the document's portal chatter
        else:
            channel_code = "email"
        subject = message.subject or html2plaintext(message.body or "")[:80].strip()
        return self._prepare_crm_interaction_values(
            "message",
            subject or self.env._("Email about %(name)s", name=self.display_name),
            channel_code=channel_code,
            # Only the generated subject is shown in the reader's language.
            subject_params=False if subject else {"name": self.display_name},
            partner_id=partner.id,
            kind="touch",
            direction=direction,
            capture_key=self.env["crm.interaction"]._crm_capture_key(
                self._name, self.id, "message", message.id
            ),
            date=message.date,
            summary=message.body,
            user_id=(message.author_id.user_ids[:1] or self.env.user).id,
        )
