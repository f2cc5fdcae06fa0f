from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.addons.base.tests.common import BaseCommon

# Monday 15 June 2026, noon UTC: every date of the data set is relative to it.
NOW = datetime(2026, 6, 15, 12, 0)


class ProfileCommon(BaseCommon):
    """A company of its own (RFM quintiles are per company) with hand-built history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(freeze_time(NOW))
        cls.company = cls.env["res.company"].create({"name": "Profile Test Company"})
        cls.env.user.company_ids |= cls.company
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.product = cls.env["product.product"].create(
            {"name": "Profile Widget", "list_price": 100.0, "taxes_id": [(5, 0, 0)]}
        )
        cls.channel = {
            code: cls.env.ref(f"crm_unified.interaction_channel_{code}")
            for code in ("email", "phone", "chat", "sms", "meeting")
        }

    @classmethod
    def _create_partners(cls, names, **vals):
        return cls.env["res.partner"].create(
            [{"name": name, "company_id": cls.company.id, **vals} for name in names]
        )

    @classmethod
    def _confirm_orders(cls, specs):
        """specs: [(partner, days_ago, amount)] -> confirmed orders dated days_ago."""
        orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [(5, 0, 0)],
                            },
                        )
                    ],
                }
                for partner, _days, amount in specs
            ]
        )
        orders.action_confirm()
        for order, (_partner, days, _amount) in zip(orders, specs, strict=True):
            order.date_order = NOW - timedelta(days=days)
        return orders

    @classmethod
    def _log(cls, partner, code, when, direction="inbound", **vals):
        return cls.env["crm.interaction"].create(
            {
                "partner_id": partner.id,
                "channel_id": cls.channel[code].id,
                "direction": direction,
                "date": when,
                "subject": f"{code} {direction}",
                "company_id": cls.company.id,
                **vals,
            }
        )
