/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_support_portal_new_ticket", {
    url: "/my/tickets",
    steps: () => [
        {
            content: "Open the new ticket form",
            trigger: "a.o_support_new_ticket",
            run: "click",
        },
        {
            content: "The queue is asked for with the product's word, not 'Team'",
            trigger: "form.o_support_new_ticket_form label[for=queue_id]:contains(Queue):not(:contains(Team))",
        },
        {
            content: "Choose the support queue",
            trigger: "form.o_support_new_ticket_form select[name=queue_id]",
            run: "selectByLabel Test Care",
        },
        {
            content: "Write the subject",
            trigger: "form.o_support_new_ticket_form input[name=subject]",
            run: "edit Tour: the app crashes on start",
        },
        {
            content: "Describe the problem",
            trigger: "form.o_support_new_ticket_form textarea[name=description]",
            run: "edit It crashes right after the splash screen.",
        },
        {
            content: "Submit the ticket",
            trigger: "button.o_support_submit",
            run: "click",
        },
        {
            content: "The ticket page shows the new ticket",
            trigger: ".o_support_ticket_name:contains(Tour: the app crashes on start)",
        },
        {
            content: "The conversation is available",
            trigger: "#ticket_chat .o_portal_chatter, #ticket_chat #discussion",
        },
    ],
});

registry.category("web_tour.tours").add("crm_support_agent_answer", {
    url: "/odoo/action-crm_unified_support.crm_support_ticket_action",
    steps: () => [
        {
            content: "The ticket is in the kanban",
            trigger: ".o_kanban_record:contains(Tour: the app crashes on start)",
            run: "click",
        },
        {
            content: "The form is open",
            // Not "any name field": the step must fail when another ticket opens.
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Tour: the app crashes on start)",
        },
        {
            content: "Answer the customer",
            trigger: "button:contains(Send message)",
            run: "click",
        },
        {
            content: "Write the answer",
            trigger: ".o-mail-Composer-input",
            run: "edit Please reinstall version 2.1, it fixes this crash.",
        },
        {
            content: "Send",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The answer is in the chatter",
            trigger: ".o-mail-Message:contains(Please reinstall version 2.1)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_support_portal_rate", {
    url: "/my/tickets",
    steps: () => [
        {
            content: "Open the solved ticket",
            trigger: "a:contains(Tour: the app crashes on start)",
            run: "click",
        },
        {
            content: "The agent's answer is visible to the customer",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(Please reinstall version 2.1)",
        },
        {
            content: "Rate: satisfied",
            trigger: "a.o_support_rate_5",
            run: "click",
        },
        {
            content: "Leave feedback",
            trigger: "textarea[name=feedback]",
            run: "edit Fixed, thank you!",
        },
        {
            content: "Send the feedback",
            trigger: "button[type=submit]:contains(Send Feedback)",
            run: "click",
        },
        {
            content: "Thank-you page",
            trigger: ".o_rating_page_thank_you",
        },
    ],
});
