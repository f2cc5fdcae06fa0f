from odoo import models
from odoo.tools import SQL, email_normalize


class PrivacyLookupWizard(models.TransientModel):
    """Privacy lookup also finds personal data copied into CRM Unified records.

    A model lists its copies of a person's data in `_crm_privacy_fields`
    ({field name: "email" | "phone" | "name"}); the lookup matches them against
    the searched email/name and the phone numbers of the persons found.
    """

    _inherit = "privacy.lookup.wizard"

    def _get_query_models_blacklist(self):
        # Opt-outs must survive an erasure: blacklist entries are not offered for
        # deletion (they keep only the address, to refuse mail to it). Profiles are
        # figures deleted with their customer.
        return [
            *super()._get_query_models_blacklist(),
            "mail.blacklist",
            "phone.blacklist",
            "crm.partner.profile",
        ]

    def _get_query(self):
        query = super()._get_query()
        name = self.name.strip()
        email = f"%{self.email.strip()}%"
        phones = SQL(
            "SELECT phone FROM res_partner WHERE id IN (SELECT id FROM indirect_references) "
            "AND phone IS NOT NULL UNION SELECT mobile FROM res_partner "
            "WHERE id IN (SELECT id FROM indirect_references) AND mobile IS NOT NULL"
        )
        models_ids = {
            model.model: model.id
            for model in self.env["ir.model"].search(
                [("model", "in", [m for m in self.env if self.env[m]._auto])]
            )
        }
        for model_name in self.env:
            model = self.env[model_name]
            privacy_fields = getattr(model, "_crm_privacy_fields", None)
            if not privacy_fields or model._transient or not model._auto:
                continue
            conditions = []
            for field_name, kind in privacy_fields.items():
                column = SQL.identifier(field_name)
                if kind == "email":
                    conditions.append(SQL("%s ilike %s", column, email))
                elif kind == "phone":
                    conditions.append(SQL("%s IN (%s)", column, phones))
                elif kind == "name" and name:
                    conditions.append(SQL("%s ilike %s", column, name))
            if not conditions:
                continue
            query = SQL(
                "%s UNION ALL SELECT %s AS res_model_id, id AS res_id, %s AS is_active "
                "FROM %s WHERE %s",
                query,
                models_ids[model_name],
                SQL.identifier("active") if "active" in model else True,
                SQL.identifier(model._table),
                SQL(" OR ").join(conditions),
            )
        return query


class PrivacyLookupWizardLine(models.TransientModel):
    _inherit = "privacy.lookup.wizard.line"

    def action_unlink(self):
        """Deleting a person erases the CRM data kept about them first.

        See res.partner._crm_privacy_erase: copies of their email/phone are
        cleared, their history and consents deleted, their opt-outs kept.
        """
        self.ensure_one()
        if self.res_model == "res.partner" and not self.is_unlinked:
            partner = self.env["res.partner"].browse(self.res_id).exists()
            # sudo: the privacy officer's lookup already runs with superuser
            # rights for the deletion itself (see privacy_lookup's action_unlink).
            partner.sudo()._crm_privacy_erase(email_normalize(self.wizard_id.email or ""))
        return super().action_unlink()
