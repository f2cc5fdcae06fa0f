import pytz

from odoo import api, fields, models
from odoo.tools import format_datetime

HOUR_SELECTION = [(f"{hour:02d}", f"{hour:02d}:00") for hour in range(24)]


class CrmCampaignRuleDryRunLine(models.TransientModel):
    _name = "crm.campaign.rule.dry.run.line"
    _description = "Campaign Rule Dry Run Result"
    _order = "kind, scheduled_date, id"

    dry_run_id = fields.Many2one("crm.campaign.rule.dry.run", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("reach", "Would be reached"), ("skipped", "Would be skipped")], required=True
    )
    channel_id = fields.Many2one("crm.interaction.channel", readonly=True)
    scheduled_date = fields.Datetime(string="Send Time", readonly=True)
    tz = fields.Char(
        string="Customer's Time Zone",
        readonly=True,
        help="Time zone of the customers counted on this line (theirs, or the campaign "
        "owner's when they have none).",
    )
    local_hour = fields.Selection(
        HOUR_SELECTION,
        string="Customer's Local Hour",
        compute="_compute_local_hour",
        store=True,
        help="Hour of day of the send time in the customer's own time zone.",
    )
    local_time = fields.Char(
        string="Customer's Local Time",
        compute="_compute_local_time",
        help="Send time as the customer's clock shows it, with their time zone.",
    )
    skip_reason = fields.Selection(
        selection=lambda self: self.env["crm.campaign.delivery"]._fields["skip_reason"].selection,
        readonly=True,
    )
    count = fields.Integer(string="Customers", readonly=True)

    @api.depends("scheduled_date", "tz")
    def _compute_local_hour(self):
        for line in self:
            local = line._get_local_moment()
            line.local_hour = f"{local.hour:02d}" if local else False

    @api.depends("scheduled_date", "tz")
    def _compute_local_time(self):
        for line in self:
            if not line.scheduled_date:
                line.local_time = False
                continue
            tz_name = line._get_tz_name()
            when = format_datetime(
                self.env, line.scheduled_date, tz=tz_name, dt_format="EEE d MMM HH:mm"
            )
            line.local_time = f"{when} ({tz_name})"

    def _get_tz_name(self):
        self.ensure_one()
        return self.tz if self.tz in pytz.all_timezones_set else "UTC"

    def _get_local_moment(self):
        """The send time (aware) in the line's time zone, or None without a send time."""
        self.ensure_one()
        if not self.scheduled_date:
            return None
        return pytz.utc.localize(self.scheduled_date).astimezone(pytz.timezone(self._get_tz_name()))
