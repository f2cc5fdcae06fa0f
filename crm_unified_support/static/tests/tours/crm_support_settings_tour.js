import { registry } from "@web/core/registry";

// The Support block of the CRM Unified settings.
registry.category("web_tour.tours").add("crm_support_settings", {
    steps: () => [
        {
            content: "Open the CRM Unified settings",
            trigger: ".settings_tab [data-key=crm_unified]",
            run: "click",
        },
        {
            content: "The support hours are set in the Support block",
            trigger: ".o_setting_box:contains('Support hours') .o_field_widget[name=support_calendar_id]",
        },
        {
            content: "The SLA policies are counted",
            trigger: ".o_setting_box:contains('SLA policies') .o_field_widget[name=support_sla_count]",
        },
        {
            content: "Open the SLA policies",
            trigger: ".o_setting_box:contains('SLA policies') button:contains('Configure SLA policies')",
            run: "click",
        },
        {
            content: "The SLA policies are listed",
            trigger: ".o_breadcrumb:contains('SLA')",
        },
    ],
});
