import { Component, markup, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { formatFloat } from "@web/core/utils/numbers";
import { formatMonetary } from "@web/views/fields/formatters";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const { DateTime, Info } = luxon;

// The card's clock of the customer's local time moves every 30 seconds.
const CLOCK_INTERVAL_MS = 30000;

/**
 * Customer card: the one picture of a customer (RFM, engagement, revenue,
 * quotations, overdue, support figures, satisfaction, preferred channel, best
 * contact time in the customer's local time, consent and segments).
 *
 * Usage in a form arch: <widget name="crm_customer_card"/> on res.partner, or
 * <widget name="crm_customer_card" partner_field="partner_id"/> on documents.
 * It reads everything with one RPC (res.partner.get_customer_card_data) and
 * reloads whenever the record is (re)loaded or saved, or its customer changes.
 */
export class CustomerCard extends Component {
    static template = "crm_unified.CustomerCard";
    static props = {
        ...standardWidgetProps,
        partnerField: { type: String, optional: true },
    };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, now: DateTime.utc() });
        this.loadedFor = { partnerId: null, data: null };
        useRecordObserver(async (record) => {
            const partnerId = this.getPartnerId(record);
            // record.data is a new object after each load and save: refresh then,
            // and when the customer changes; not on every keystroke.
            const data = record.data;
            if (partnerId === this.loadedFor.partnerId && data === this.loadedFor.data) {
                return;
            }
            this.loadedFor = { partnerId, data };
            await this.load(partnerId);
        });
        const timer = setInterval(() => (this.state.now = DateTime.utc()), CLOCK_INTERVAL_MS);
        onWillUnmount(() => clearInterval(timer));
    }

    getPartnerId(record) {
        if (!this.props.partnerField) {
            return record.resId || false;
        }
        const value = record.data[this.props.partnerField];
        return (value && value[0]) || false;
    }

    async load(partnerId) {
        if (!partnerId) {
            this.state.data = null;
            return;
        }
        const data = await this.orm.call("res.partner", "get_customer_card_data", [[partnerId]]);
        if (this.loadedFor.partnerId === partnerId) {
            this.state.data = data;
        }
    }

    async refresh() {
        await this.load(this.loadedFor.partnerId);
    }

    async openFigure(figure) {
        const action = await this.orm.call("res.partner", "action_open_customer_card_figure", [
            [this.state.data.partner_id],
            figure,
        ]);
        // An action returned by an RPC (not a button) carries its empty-list help as a
        // string: the web client renders it as HTML only when it is markup.
        if (action.help) {
            action.help = markup(action.help);
        }
        await this.action.doAction(action);
    }

    money(value) {
        return formatMonetary(value || 0, { currencyId: this.state.data.currency_id });
    }

    get engagementClass() {
        const score = this.state.data.engagement || 0;
        if (score >= 60) {
            return "text-bg-success";
        }
        return score >= 30 ? "text-bg-warning" : "text-bg-danger";
    }

    /** What the RFM label is based on (purchases, not contacts) and the segment's rule. */
    get rfmExplanation() {
        const rfm = this.state.data.rfm;
        return rfm ? [rfm.scores, ...(rfm.explanation || [])].filter(Boolean).join("\n") : "";
    }

    get satisfaction() {
        const support = this.state.data.support;
        if (!support || support.rating_avg === null || support.rating_avg === undefined) {
            return false;
        }
        return `${formatFloat(support.rating_avg, { digits: [false, 1] })} / 5`;
    }

    get localNow() {
        const tz = this.state.data.tz;
        if (!tz) {
            return false;
        }
        const local = this.state.now.setZone(tz);
        return local.isValid ? local : false;
    }

    get localTimeText() {
        const local = this.localNow;
        return local ? local.toLocaleString(DateTime.TIME_SIMPLE) : "";
    }

    get localWeekdayText() {
        const local = this.localNow;
        return local ? local.toFormat("ccc") : "";
    }

    /**
     * The time zone the best slots are expressed in: the customer's, else UTC
     * (interaction hours of a customer without a time zone are counted in UTC,
     * see crm.interaction._compute_local_time_slot), always named.
     */
    get bestSlotsZone() {
        return this.state.data.tz || "UTC";
    }

    get bestSlots() {
        const weekdays = Info.weekdays("short");
        return (this.state.data.best_slots || []).map((slot) => ({
            key: `${slot.weekday}-${slot.hour}`,
            text: `${weekdays[slot.weekday]} ${String(slot.hour).padStart(2, "0")}:00`,
        }));
    }

    get lastContactText() {
        const last = this.state.data.last_contact;
        if (!last) {
            return _t("Never");
        }
        const date = DateTime.fromSQL(last.date, { zone: "utc" });
        if (this.state.now.diff(date, "minutes").minutes < 1) {
            return _t("Just now");
        }
        return date.toRelative({ base: this.state.now }) || "";
    }

    consentClass(consent) {
        return {
            opt_in: "text-bg-success",
            opt_out: "text-bg-danger",
        }[consent.state] || "text-bg-light";
    }
}

export const customerCard = {
    component: CustomerCard,
    extractProps: ({ attrs }) => ({ partnerField: attrs.partner_field }),
};

registry.category("view_widgets").add("crm_customer_card", customerCard);
