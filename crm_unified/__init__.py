from . import controllers
from . import models
from . import report
from . import wizard


def post_init_hook(env):
    """Queue the back-fill of the history of existing documents (run by its scheduled action)."""
    env["crm.interaction"]._crm_backfill_enqueue()
