from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Interactions captured so far get their unique capture key; then the history of
    documents older than the install is back-filled in the background."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.interaction"]._crm_migrate_capture_keys()
    env["crm.interaction"]._crm_backfill_enqueue()
