import random
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models

# (channel code, weight) of the generated demo history.
DEMO_CHANNELS = [
    ("email", 35),
    ("phone", 25),
    ("meeting", 8),
    ("visit", 5),
    ("chat", 8),
    ("sms", 5),
    ("portal", 6),
    ("letter", 2),
    ("social", 6),
]
DEMO_DIRECTIONS = [("inbound", 45), ("outbound", 50), ("internal", 5)]
DEMO_DEPARTMENTS = [("sales", 50), ("support", 25), ("marketing", 15), ("accounting", 10)]
# Commercial partner whose generated history stops more than 200 days ago (churn risk).
DEMO_SILENT_CUSTOMER = "crm_unified.partner_sakura_sweets_demo"
# Channels whose interactions last a while.
TIMED = ("phone", "meeting", "visit")
DEMO_SUBJECTS = {
    "sales": [
        "Asked for a volume discount",
        "Follow-up on the quotation",
        "New product range presented",
        "Delivery schedule agreed",
        "Renewal of the yearly contract",
    ],
    "support": [
        "Damaged delivery reported",
        "Question about the invoice lines",
        "Installation help",
        "Complaint about a late delivery",
    ],
    "marketing": [
        "Spring catalogue sent",
        "Invitation to the trade fair",
        "Newsletter: new seasonal products",
        "Customer satisfaction survey",
    ],
    "accounting": [
        "Payment reminder",
        "Payment terms discussed",
        "Copy of the invoice requested",
    ],
}


def _weighted_choice(rnd, weighted):
    values, weights = zip(*weighted, strict=True)
    return rnd.choices(values, weights)[0]


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    @api.model
    def _demo_generate_history(self, paid_invoice_ids=()):
        """Demo data only: pay some invoices and build a year of mixed-channel history.

        Deterministic (fixed seed). Captured interactions are given the dates of
        their documents so that the timeline reads like a real year.
        """
        self._demo_pay_invoices(self.env["account.move"].browse(paid_invoice_ids))
        partners = self._demo_partners()
        self._demo_align_captured_dates(partners)
        self.create(self._demo_history_values(partners))
        # captured rows were dated after they were counted in the profiles
        partners._crm_mark_profile_dirty()

    @api.model
    def _demo_partners(self):
        data = self.env["ir.model.data"].search(
            [
                ("module", "=", "crm_unified"),
                ("model", "=", "res.partner"),
                ("name", "=like", "partner_%_demo"),
            ]
        )
        return self.env["res.partner"].browse(data.mapped("res_id")).exists()

    @api.model
    def _demo_pay_invoices(self, invoices):
        for invoice in invoices.filtered(lambda move: move.state == "posted"):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": invoice.invoice_date + timedelta(days=14)})._create_payments()

    @api.model
    def _demo_align_captured_dates(self, partners):
        captured = self.search(
            [
                ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ("source", "=", "automatic"),
            ]
        )
        for interaction in captured:
            document = interaction.document_ref
            if not document:
                continue
            if document._name == "sale.order":
                interaction.date = document.date_order
            elif document._name == "account.move":
                day = document.invoice_date
                if interaction.capture_event == "invoice_paid":
                    day += timedelta(days=14)
                interaction.date = datetime.combine(day, time(11, 0))

    @api.model
    def _demo_history_values(self, partners):
        rnd = random.Random(2026)
        channels = {
            code: self.env.ref(f"crm_unified.interaction_channel_{code}")
            for code, _w in DEMO_CHANNELS
        }
        departments = {
            code: self.env.ref(f"crm_unified.interaction_department_{code}")
            for code, _w in DEMO_DEPARTMENTS
        }
        users = self.env.ref("base.user_admin") | self.env.ref(
            "base.user_demo", raise_if_not_found=False
        )
        now = fields.Datetime.now()
        # A customer who went silent: no contact for more than the churn delay, so that
        # the card and the segments show a churn risk.
        silent = self.env.ref(DEMO_SILENT_CUSTOMER, raise_if_not_found=False)
        vals_list = []
        for company in partners.filtered("is_company").sorted("id"):
            people = company | company.child_ids
            tz = pytz.timezone(company.tz or "UTC")
            for _i in range(rnd.randint(18, 40)):
                department = _weighted_choice(rnd, DEMO_DEPARTMENTS)
                channel = _weighted_choice(rnd, DEMO_CHANNELS)
                days_ago = rnd.randint(1, 365)
                if company == silent:
                    days_ago = 200 + days_ago % 160
                local = datetime.combine(
                    (now - timedelta(days=days_ago)).date(),
                    time(rnd.randint(8, 17), rnd.choice((0, 15, 30, 45))),
                )
                date = tz.localize(local).astimezone(pytz.utc).replace(tzinfo=None)
                vals_list.append(
                    {
                        "partner_id": rnd.choice(people).id,
                        "date": date,
                        "channel_id": channels[channel].id,
                        "direction": _weighted_choice(rnd, DEMO_DIRECTIONS),
                        "department_id": departments[department].id,
                        "user_id": rnd.choice(users).id,
                        "subject": rnd.choice(DEMO_SUBJECTS[department]),
                        "duration": rnd.choice((0.25, 0.5, 1.0)) if channel in TIMED else 0.0,
                        "outcome": rnd.choice((False, "Answered", "Follow-up planned", "Resolved")),
                        "confidential": department == "sales" and rnd.random() < 0.05,
                        "source": "import" if rnd.random() < 0.1 else "manual",
                    }
                )
        return vals_list
