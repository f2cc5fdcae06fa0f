from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The standard stages a new queue starts with (data file), in order.
DEFAULT_STAGE_XMLIDS = (
    "crm_unified_support.stage_new",
    "crm_unified_support.stage_in_progress",
    "crm_unified_support.stage_waiting",
    "crm_unified_support.stage_solved",
    "crm_unified_support.stage_cancelled",
)


class CrmSupportStage(models.Model):
    _name = "crm.support.stage"
    _description = "Support Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    queue_ids = fields.Many2many(
        "crm.support.queue",
        "crm_support_queue_stage_rel",
        "stage_id",
        "queue_id",
        string="Queues",
        help="Queues using this stage. A stage without queue is offered to no queue.",
    )
    fold = fields.Boolean(string="Folded in Kanban")
    is_closed = fields.Boolean(
        string="Closing Stage",
        help="Tickets in this stage are solved or closed: the resolution clock stops.",
    )
    pause_sla = fields.Boolean(
        string="Pause SLA",
        help="While a ticket is in this stage (e.g. waiting for the customer), "
        "its SLA clocks stand still.",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "crm.support.ticket")],
        help="Email sent to the customer when a ticket enters this stage.",
    )

    # ---- Constraints ----

    @api.constrains("is_closed", "active", "queue_ids")
    def _check_queues_keep_open_and_closing(self):
        self.with_context(active_test=True).queue_ids._check_open_and_closing_stages()

    # ---- CRUD ----

    def write(self, vals):
        # Queues this stage leaves must still have an open and a closing stage.
        old_queues = self.queue_ids if "queue_ids" in vals or "active" in vals else None
        res = super().write(vals)
        if old_queues:
            (old_queues - self.queue_ids)._check_open_and_closing_stages()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_open_or_closing(self):
        for queue in self.queue_ids:
            remaining = queue.stage_ids - self
            if not remaining.filtered(lambda s: not s.is_closed) or not remaining.filtered(
                "is_closed"
            ):
                raise ValidationError(
                    self.env._(
                        "Deleting these stages would leave the queue %(queue)s without an "
                        "open or a closing stage.",
                        queue=queue.name,
                    )
                )

    # ---- Business methods ----

    @api.model
    def _get_default_queue_stages(self):
        """Stages given to a new queue: the standard stages still present and
        active, and stages no queue uses yet; a minimal "New"/"Closed" pair is
        created when that set lacks an open or a closing stage.

        :return: crm.support.stage recordset
        """
        stages = self.browse()
        for xmlid in DEFAULT_STAGE_XMLIDS:
            stage = self.env.ref(xmlid, raise_if_not_found=False)
            if stage and stage.active:
                stages |= stage
        stages |= self.search([("queue_ids", "=", False)])
        if not stages.filtered(lambda s: not s.is_closed):
            stages |= self.create({"name": self.env._("New"), "sequence": 1})
        if not stages.filtered("is_closed"):
            stages |= self.create(
                {"name": self.env._("Closed"), "sequence": 100, "is_closed": True, "fold": True}
            )
        return stages.sorted()
