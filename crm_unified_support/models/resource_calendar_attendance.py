from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        self.env["crm.support.ticket.sla"]._sla_follow_calendars(attendances.calendar_id)
        return attendances

    def write(self, vals):
        calendars = self.calendar_id
        res = super().write(vals)
        self.env["crm.support.ticket.sla"]._sla_follow_calendars(calendars | self.calendar_id)
        return res

    def unlink(self):
        calendars = self.calendar_id
        res = super().unlink()
        self.env["crm.support.ticket.sla"]._sla_follow_calendars(calendars)
        return res
