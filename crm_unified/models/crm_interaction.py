import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


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
        "crm.interaction.channel", string="Channel", required=True, ondelete="restrict", index=True
    )
    channel_code = fields.Char(related="channel_id.code", string="Channel Code")
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")],
        required=True,
        default="outbound",
    )
    department_id = fields.Many2one(
        "crm.interaction.department", string="Department", ondelete="restrict", index=True
    )
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, index=True
    )
    subject = fields.Char(required=True)
    summary = fields.Html(sanitize=True)
    outcome = fields.Char()
    duration = fields.Float(help="Duration in hours.")
    res_model = fields.Char(string="Source Document Model", index=True)
    res_id = fields.Many2oneReference(string="Source Document ID", model_field="res_model")
    source = fields.Selection(
        [("manual", "Manual"), ("automatic", "Automatic"), ("import", "Imported")],
        required=True,
        default="manual",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    confidential = fields.Boolean(
        help="Visible only to the interaction's department and to CRM managers."
    )

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
        if not vals_list:
            return self.browse()
        try:
            with self.env.cr.savepoint():
                # sudo: capture runs as whoever triggered the business action, who
                # may not have CRM rights; the values are built by our own hooks.
                return self.sudo().create(vals_list).sudo(False)
        except Exception:
            _logger.exception("Could not log %d customer interaction(s)", len(vals_list))
            return self.browse()
