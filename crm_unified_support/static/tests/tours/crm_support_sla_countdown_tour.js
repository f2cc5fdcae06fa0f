import { registry } from "@web/core/registry";

// The SLA countdown on the ticket kanban, list and form.
registry.category("web_tour.tours").add("crm_support_sla_countdown", {
    steps: () => [
        {
            content: "Kanban: the late ticket counts down in red",
            trigger: ".o_kanban_record:contains('Countdown late') .o_crm_sla_countdown[data-state=late] .text-bg-danger:contains('Late by')",
        },
        {
            content: "Kanban: the fresh ticket is green, time left in working hours",
            trigger: ".o_kanban_record:contains('Countdown fresh') .o_crm_sla_countdown[data-state=on_track] .text-bg-success:contains('left')",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "List: the countdown column",
            trigger: ".o_data_row:contains('Countdown late') td[name=sla_time_left_hours] .o_crm_sla_countdown[data-state=late]",
        },
        {
            content: "Open the fresh ticket",
            trigger: ".o_data_row td[name=name]:contains('Countdown fresh')",
            run: "click",
        },
        {
            content: "Form: the countdown names the governing policy",
            trigger: ".o_form_view .o_field_widget[name=sla_time_left_hours] .o_crm_sla_policy:contains('Tour SLA')",
        },
    ],
});
