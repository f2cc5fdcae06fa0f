from . import crm_campaign_rule_dry_run
from . import crm_campaign_rule_dry_run_line
