import logging

from odoo import models

_logger = logging.getLogger(__name__)

# Activity categories captured when done, with the interaction channel they map to.
ACTIVITY_CATEGORY_CHANNELS = {"phonecall": "phone", "meeting": "meeting"}


def _activity_customer(record):
    """The customer an activity on `record` is about, if any."""
    if record._name == "res.partner":
        return record
    field = record._fields.get("partner_id")
    if field and field.type == "many2one" and field.comodel_name == "res.partner":
        return record.partner_id
    return record.env["res.partner"]


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        try:
            with self.env.cr.savepoint():
                # sudo: only the customer of each activity's document is read.
                vals_list = self.sudo()._crm_prepare_done_interactions(feedback)
        except Exception:
            # Marking an activity done must never fail because of the history.
            _logger.exception("Could not prepare interactions for done activities")
            vals_list = []
        # The order in which super() posts one message per activity (by model).
        posting_order = [
            activity.id
            for data in self._classify_by_model().values()
            for activity in data["activities"]
        ]
        result = super(
            MailActivity, self.with_context(crm_interaction_skip_message=True)
        )._action_done(feedback=feedback, attachment_ids=attachment_ids)
        messages = result[0] if result else self.env["mail.message"]
        message_by_activity = dict(zip(posting_order, messages, strict=False))
        Interaction = self.env["crm.interaction"]
        for vals in vals_list:
            # The "done" message is the event's identity (and its real date), shared
            # with the history back-fill.
            message = message_by_activity.get(vals.pop("activity_id"))
            if message:
                vals["date"] = message.date
                vals["capture_key"] = Interaction._crm_capture_key(
                    vals["res_model"], vals["res_id"], "activity_done", message.id
                )
            else:
                vals["capture_key"] = False
        Interaction._log_interactions(vals_list)
        return result

    def _crm_prepare_done_interactions(self, feedback):
        """Values of the interactions for the calls and meetings being marked done.

        Built before the activities are deleted; meetings linked to a calendar
        event are left to the "meeting held" capture to avoid double logging.
        """
        activities = self.filtered(
            lambda act: (
                act.activity_type_id.category in ACTIVITY_CATEGORY_CHANNELS
                and act.res_model
                and act.res_id
                and act.res_model in self.env
                and not ("calendar_event_id" in act._fields and act.calendar_event_id)
            )
        )
        vals_list = []
        for res_model, model_activities in activities.grouped("res_model").items():
            documents = self.env[res_model].browse(model_activities.mapped("res_id")).exists()
            partner_by_doc = {doc.id: _activity_customer(doc) for doc in documents}
            customers = self.env["res.partner"].union(*partner_by_doc.values())
            customers = customers._crm_filter_customers()
            for activity in model_activities:
                partner = partner_by_doc.get(activity.res_id)
                if partner and partner & customers:
                    vals_list.append(activity._prepare_done_interaction_values(partner, feedback))
        return vals_list

    def _prepare_done_interaction_values(self, partner, feedback):
        self.ensure_one()
        Source = self.env["crm.interaction.source.mixin"]
        Document = self.env[self.res_model]
        department_code = getattr(Document, "_crm_interaction_department", "sales")
        return {
            "partner_id": partner.id,
            "res_model": self.res_model,
            "res_id": self.res_id,
            "subject": self.summary or self.activity_type_id.name,
            "summary": feedback or self.note,
            "channel_id": Source._crm_channel(
                ACTIVITY_CATEGORY_CHANNELS[self.activity_type_id.category]
            ).id,
            # A call or meeting the salesperson did with the customer.
            "kind": "touch",
            "direction": "outbound",
            "department_id": Source._crm_department(department_code).id,
            "user_id": (self.user_id or self.env.user).id,
            "company_id": (partner.company_id or self.env.company).id,
            "source": "automatic",
            "capture_event": "activity_done",
            "activity_id": self.id,
        }
