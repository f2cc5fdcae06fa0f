from odoo import api, models, tools


class CrmCodedMixin(models.AbstractModel):
    """Configuration records found by a technical code (channels, departments).

    Capture hooks look codes up for every captured event; the id behind a code
    is cached per registry so that a batch of events costs no query per record.
    """

    _name = "crm.coded.mixin"
    _description = "Record with a technical code"

    @api.model
    @tools.ormcache("code")
    def _get_id_by_code(self, code):
        # sudo: codes of configuration records are not confidential, and capture
        # may run as a portal or public user who cannot read this model.
        record = self.sudo().with_context(active_test=False).search([("code", "=", code)], limit=1)
        return record.id

    @api.model
    def _get_by_code(self, code):
        """Record for a technical code, or an empty record."""
        return self.browse(self._get_id_by_code(code))

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "code" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
