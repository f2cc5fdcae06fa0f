{
    "name": "CRM Unified Support",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "summary": "Support queues and tickets with email intake, SLA on working hours, "
    "escalation, routing and a customer portal, feeding the CRM Unified history",
    "author": "CRM Unified",
    "website": "https://github.com/crm-unified/crm-unified",
    "license": "LGPL-3",
    # rating: customer satisfaction on closed tickets (rating.mixin).
    # resource: working calendars and public holidays for SLA deadlines and routing.
    # sale: link tickets to sale orders and open a ticket from an order.
    "depends": ["crm_unified", "portal", "rating", "resource", "utm", "sale"],
    "data": [
        "security/crm_unified_support_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_support_security.xml",
        "data/ir_sequence_data.xml",
        "data/mail_message_subtype_data.xml",
        "data/mail_template_data.xml",
        "data/crm_support_stage_data.xml",
        "data/ir_cron_data.xml",
        "views/crm_support_stage_views.xml",
        "views/crm_support_ticket_type_views.xml",
        "views/crm_support_tag_views.xml",
        "views/crm_support_skill_views.xml",
        "views/crm_support_agent_views.xml",
        "views/crm_support_sla_views.xml",
        "views/crm_support_ticket_sla_views.xml",
        "views/crm_support_ticket_views.xml",
        "views/crm_support_queue_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "views/sale_order_views.xml",
        "views/crm_support_portal_templates.xml",
        "report/crm_support_ticket_report_views.xml",
        "report/crm_support_ticket_flow_report_views.xml",
        "views/crm_unified_support_menus.xml",
    ],
    "demo": ["demo/crm_support_demo.xml"],
    "assets": {
        "web.assets_tests": ["crm_unified_support/static/tests/tours/*.js"],
    },
}
