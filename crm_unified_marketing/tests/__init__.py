from . import test_campaign
from . import test_planner
from . import test_planner_queries
from . import test_dispatch
from . import test_tracking
from . import test_dry_run
from . import test_security
from . import test_ui
