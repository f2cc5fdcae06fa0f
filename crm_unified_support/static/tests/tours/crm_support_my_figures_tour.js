import { registry } from "@web/core/registry";

// The agent's own figures on the support dashboard; a figure opens its tickets.
registry.category("web_tour.tours").add("crm_support_my_figures", {
    url: "/odoo/action-crm_unified_support.crm_support_queue_action_dashboard",
    steps: () => [
        {
            content: "My open tickets are counted",
            trigger: ".o_support_my_figures [data-figure=open] .o_support_my_value:contains(2)",
        },
        {
            content: "My breached ticket is counted",
            trigger: ".o_support_my_figures [data-figure=breached] .o_support_my_value:contains(1)",
        },
        {
            content: "The queue cards are still there",
            trigger: ".o_kanban_record:contains(Test Care)",
        },
        {
            content: "My figures and the queue card name the same figures with the same words",
            trigger:
                ".o_support_my_figures [data-figure=due_today] .o_support_my_label:contains(SLA due today)",
        },
        {
            content: "The queue card says breached, as my figures do (not 'failed')",
            trigger:
                ".o_kanban_record:contains(Test Care) .o_support_kpi_sla_failed:contains(SLA breached)" +
                ":not(:contains(SLA failed))",
        },
        {
            content: "Open my breached tickets",
            trigger: ".o_support_my_figures [data-figure=breached]",
            run: "click",
        },
        {
            content: "Only my breached ticket is shown",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains(My calm ticket))) .o_kanban_record:contains(My breached ticket)",
        },
    ],
});
