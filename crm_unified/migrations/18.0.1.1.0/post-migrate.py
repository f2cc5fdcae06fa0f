from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Interactions get a kind (customer touch / business event) and direction = who initiated."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.interaction"]._crm_migrate_kind_direction()
    # Contact times, preferred channel and engagement are learned from touches only now.
    env["res.partner"]._crm_mark_all_profiles_dirty()
