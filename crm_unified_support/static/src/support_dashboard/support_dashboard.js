import { Component, markup, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";

/**
 * The agent's own figures (open, due today, breached, satisfaction) above the
 * queue cards of the support dashboard; each number opens its tickets.
 */
export class SupportAgentFigures extends Component {
    static template = "crm_unified_support.SupportAgentFigures";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ figures: null });
        onWillStart(async () => {
            this.state.figures = await this.orm.call("crm.support.ticket", "get_my_support_figures");
        });
    }

    get csat() {
        const csat = this.state.figures.csat;
        return csat === null || csat === undefined ? "–" : `${formatFloat(csat, { digits: [false, 1] })} / 5`;
    }

    async open(figure) {
        const action = await this.orm.call("crm.support.ticket", "action_my_support_figure", [
            figure,
        ]);
        // An action returned by an RPC (not a button) carries its empty-list help as a
        // string: the web client renders it as HTML only when it is markup.
        if (action.help) {
            action.help = markup(action.help);
        }
        await this.action.doAction(action);
    }
}

export class SupportDashboardRenderer extends KanbanRenderer {
    static template = "crm_unified_support.SupportDashboardRenderer";
    static components = { ...KanbanRenderer.components, SupportAgentFigures };
}

registry.category("views").add("crm_support_dashboard_kanban", {
    ...kanbanView,
    Renderer: SupportDashboardRenderer,
});
