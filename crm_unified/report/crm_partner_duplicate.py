from odoo import fields, models, tools
from odoo.tools import SQL


class CrmPartnerDuplicate(models.Model):
    """Partners sharing a normalised email, phone or Tax ID with another partner."""

    _name = "crm.partner.duplicate"
    _description = "Duplicate Customer Candidates"
    _auto = False
    _order = "match_type, match_value, partner_id"
    _rec_name = "match_value"

    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    commercial_partner_id = fields.Many2one(
        "res.partner", string="Commercial Entity", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    match_type = fields.Selection(
        [("email", "Email"), ("phone", "Phone"), ("vat", "Tax ID")],
        string="Matched On",
        readonly=True,
    )
    match_value = fields.Char(string="Shared Value", readonly=True)
    group_size = fields.Integer(string="Partners in Group", readonly=True)

    def _duplicate_keys_query(self):
        return SQL(
            """
            SELECT id AS partner_id, 'email' AS match_type, email_normalized AS match_value
              FROM res_partner WHERE active AND email_normalized IS NOT NULL
            UNION
            SELECT id, 'phone', crm_phone_key FROM res_partner
             WHERE active AND crm_phone_key IS NOT NULL
            UNION
            SELECT id, 'phone', crm_mobile_key FROM res_partner
             WHERE active AND crm_mobile_key IS NOT NULL
            UNION
            SELECT id, 'vat', crm_vat_key FROM res_partner
             WHERE active AND crm_vat_key IS NOT NULL AND id = commercial_partner_id
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                    WITH keys AS (%(keys)s),
                    groups AS (
                        SELECT match_type, match_value, count(*) AS group_size
                          FROM keys GROUP BY match_type, match_value HAVING count(*) > 1
                    )
                    SELECT row_number() OVER (ORDER BY k.match_type, k.match_value, k.partner_id)
                               AS id,
                           k.partner_id,
                           p.commercial_partner_id,
                           p.company_id,
                           k.match_type,
                           k.match_value,
                           g.group_size
                      FROM keys k
                      JOIN groups g ON g.match_type = k.match_type
                                   AND g.match_value = k.match_value
                      JOIN res_partner p ON p.id = k.partner_id
                )
                """,
                table=SQL.identifier(self._table),
                keys=self._duplicate_keys_query(),
            )
        )

    def action_merge(self):
        """Open Odoo's merge wizard preloaded with the partners of this group."""
        self.ensure_one()
        group = self.search(
            [("match_type", "=", self.match_type), ("match_value", "=", self.match_value)]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge Contacts"),
            "res_model": "base.partner.merge.automatic.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": "res.partner",
                "active_ids": group.partner_id.ids,
            },
        }
