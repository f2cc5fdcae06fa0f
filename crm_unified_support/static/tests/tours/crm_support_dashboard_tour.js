/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_support_dashboard", {
    url: "/odoo/action-crm_unified_support.crm_support_queue_action_dashboard",
    steps: () => [
        {
            content: "The queue card shows its unassigned tickets",
            trigger: ".o_kanban_record:contains(Test Care) .o_support_kpi_unassigned:contains(1)",
        },
        {
            content: "The satisfaction KPI is on the card",
            trigger: ".o_kanban_record:contains(Test Care):contains(Satisfaction)",
        },
        {
            content: "Open the unassigned tickets",
            trigger: ".o_kanban_record:contains(Test Care) .o_support_kpi_unassigned",
            run: "click",
        },
        {
            content: "The breadcrumb names the queue and the KPI",
            trigger: ".o_breadcrumb:contains(Test Care: Unassigned)",
        },
        {
            content: "Only the unassigned ticket is shown",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains(Tour assigned ticket))) .o_kanban_record:contains(Tour unassigned ticket)",
        },
    ],
});
