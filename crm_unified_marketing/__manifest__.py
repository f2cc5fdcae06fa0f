{
    "name": "CRM Unified Marketing",
    "version": "18.0.1.1.0",
    "category": "Marketing",
    "summary": "Personalised campaign rules: the right offer to the right customer, "
    "at their time, on their channel, sent through Odoo's own mass mailing and SMS",
    "author": "CRM Unified",
    "website": "https://github.com/crm-unified/crm-unified",
    "license": "LGPL-3",
    "depends": ["crm_unified", "mass_mailing", "mass_mailing_sms", "sale"],
    "data": [
        "security/crm_unified_marketing_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_campaign_security.xml",
        "data/ir_cron_data.xml",
        "wizard/crm_campaign_rule_dry_run_views.xml",
        "views/crm_campaign_delivery_views.xml",
        "views/crm_campaign_variant_views.xml",
        "views/crm_campaign_rule_views.xml",
        "views/crm_campaign_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_interaction_channel_views.xml",
        "views/portal_templates.xml",
        "report/crm_campaign_report_views.xml",
        "views/crm_unified_marketing_menus.xml",
    ],
    "demo": ["demo/crm_campaign_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_unified_marketing/static/tests/tours/*.js",
        ],
    },
}
