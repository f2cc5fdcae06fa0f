import { registry } from "@web/core/registry";

// The agent merges two tickets from the list, choosing which one to keep.
registry.category("web_tour.tours").add("crm_support_merge", {
    steps: () => [
        {
            content: "Select the older ticket",
            trigger: ".o_data_row:contains('Merge older') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Select the newer ticket",
            trigger: ".o_data_row:contains('Merge newer') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus button.dropdown-toggle",
            run: "click",
        },
        {
            content: "Merge",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Merge Tickets')",
            run: "click",
        },
        {
            content: "The dialog offers the older ticket to keep",
            trigger: ".modal .o_field_widget[name=target_id] input:value(Merge older)",
        },
        {
            content: "Keep the newer one instead",
            trigger: ".modal .o_field_widget[name=target_id] input",
            run: "edit Merge newer",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-item:contains('Merge newer')",
            run: "click",
        },
        {
            content: "The older one is the one merged",
            trigger: ".modal .o_field_widget[name=merged_ticket_ids]:contains('Merge older')",
        },
        {
            content: "Merge",
            trigger: ".modal button[name=action_merge]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "The kept ticket is shown",
            trigger: ".o_breadcrumb .active:contains('Merge newer')",
        },
    ],
});
