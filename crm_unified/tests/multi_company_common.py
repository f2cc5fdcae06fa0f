"""Two companies, two currencies: a fixture for tests of figures across companies.

    company_a  currency USD      rates in A: USD 1, EUR 0.5 (1 EUR = 2 USD)
    company_b  currency EUR      rates in B: EUR 1, USD 2   (1 EUR = 2 USD)

Rates are company-specific and dated RATE_DATE, so demo rates do not interfere.
Users (CRM user rights): user_a (company A only), user_b (company B only),
user_ab (both, A current). `shared_customer` belongs to no company.
Helpers create confirmed (or draft/cancelled) orders in a given company and
currency at a given date, and interactions in a given company.
"""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon

# Tuesday 16 June 2026, noon UTC.
MC_NOW = datetime(2026, 6, 16, 12, 0)
RATE_DATE = date(2020, 1, 1)


class MultiCompanyCommon(BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(freeze_time(MC_NOW))
        cls.usd = cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        (cls.usd | cls.eur).active = True
        cls.company_a = cls.env["res.company"].create(
            {"name": "MC Company A (USD)", "currency_id": cls.usd.id}
        )
        cls.company_b = cls.env["res.company"].create(
            {"name": "MC Company B (EUR)", "currency_id": cls.eur.id}
        )
        cls._set_rate(cls.company_a, cls.usd, 1.0)
        cls._set_rate(cls.company_a, cls.eur, 0.5)
        cls._set_rate(cls.company_b, cls.eur, 1.0)
        cls._set_rate(cls.company_b, cls.usd, 2.0)
        cls.env.user.company_ids |= cls.company_a | cls.company_b
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company_a.id, cls.company_b.id])
        )
        groups = "crm_unified.group_user,sales_team.group_sale_salesman"
        cls.user_a = new_test_user(
            cls.env,
            login="mc_user_a",
            groups=groups,
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.user_b = new_test_user(
            cls.env,
            login="mc_user_b",
            groups=groups,
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.user_ab = new_test_user(
            cls.env,
            login="mc_user_ab",
            groups=groups,
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.product = cls.env["product.product"].create(
            {"name": "MC Widget", "list_price": 1.0, "taxes_id": [Command.clear()]}
        )
        cls.pricelists = {}
        for company in cls.company_a | cls.company_b:
            for currency in cls.usd | cls.eur:
                cls.pricelists[company, currency] = cls.env["product.pricelist"].create(
                    {
                        "name": f"MC {company.name} {currency.name}",
                        "currency_id": currency.id,
                        "company_id": company.id,
                    }
                )
        cls.shared_customer = cls.env["res.partner"].create(
            {"name": "MC Shared Customer", "is_company": True, "email": "shared@mc.example.com"}
        )
        cls.channel_phone = cls.env.ref("crm_unified.interaction_channel_phone")

    @classmethod
    def _set_rate(cls, company, currency, rate):
        cls.env["res.currency.rate"].create(
            {
                "name": RATE_DATE,
                "currency_id": currency.id,
                "company_id": company.id,
                "rate": rate,
            }
        )

    @classmethod
    def _order(cls, partner, company, amount, currency=None, days_ago=10, state="sale"):
        """An order of `amount` (untaxed, in `currency`, default the company's) in `company`."""
        currency = currency or company.currency_id
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "pricelist_id": cls.pricelists[company, currency].id,
                    "date_order": MC_NOW - timedelta(days=days_ago),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if state in ("sale", "cancel"):
            order.action_confirm()
            order.date_order = MC_NOW - timedelta(days=days_ago)
        if state == "cancel":
            order.with_context(disable_cancel_warning=True).action_cancel()
        return order

    @classmethod
    def _interaction(cls, partner, company, days_ago=5, direction="inbound"):
        return cls.env["crm.interaction"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "channel_id": cls.channel_phone.id,
                "direction": direction,
                "date": MC_NOW - timedelta(days=days_ago),
                "subject": "MC call",
            }
        )

    @classmethod
    def _as(cls, user, records):
        """`records` read by `user`, working in the user's own companies."""
        return records.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    @classmethod
    def _env_for(cls, *companies):
        """The test env working in these companies (the first one current)."""
        return cls.env(context=dict(cls.env.context, allowed_company_ids=[c.id for c in companies]))
