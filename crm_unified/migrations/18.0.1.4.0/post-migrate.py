from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    """Profiles gained the all-time interaction count and the monthly trend per
    channel: queue every customer for a full recompute, and read those figures
    from the history itself until then (history flag)."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env.cr.execute(
        SQL(
            "UPDATE res_partner SET crm_profile_dirty = TRUE, crm_profile_history_dirty = TRUE "
            "WHERE id = commercial_partner_id AND crm_profile_date IS NOT NULL"
        )
    )
    env["res.partner"]._crm_mark_all_profiles_dirty()
