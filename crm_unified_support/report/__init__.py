from . import crm_support_ticket_report
from . import crm_support_ticket_flow_report
