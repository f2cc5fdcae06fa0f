from . import crm_support_ticket_source_mixin
from . import (
    crm_lead,
    crm_segment,
    crm_support_agent,
    crm_support_queue,
    crm_support_skill,
    crm_support_sla,
    crm_support_sla_escalation,
    crm_support_stage,
    crm_support_tag,
    crm_support_ticket,
    crm_support_ticket_sla,
    crm_support_ticket_sla_time,
    crm_support_ticket_type,
    mail_thread,
    res_partner,
    sale_order,
)
