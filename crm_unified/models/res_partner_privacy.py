from odoo import models


class ResPartner(models.Model):
    """Erasure of what CRM Unified keeps about a person (privacy lookup)."""

    _inherit = "res.partner"

    def _crm_privacy_erase(self, email=False):
        """Erase the CRM data of these persons before they are deleted.

        :param email: normalised email the privacy officer searched for; copies
            of it are erased even on records no longer linked to the persons
        Opt-outs survive: an email or SMS opt-out (or "do not contact") is
        written to the mail / phone blacklist, which keeps only the address.
        Consents (with their tracking messages) and interactions of the persons
        are deleted. Other addons extend this to anonymise their copies of the
        persons' email/phone/name (tickets, deliveries).
        """
        if not self:
            return True
        consents = self._crm_get_consent(["email", "sms"])
        emails, numbers = set(), set()
        for partner in self:
            states = consents.get(partner.id, {})
            if partner.email_normalized and states.get("email") == "opt_out":
                emails.add(partner.email_normalized)
            if partner.crm_phone_sanitized and states.get("sms") == "opt_out":
                numbers.add(partner.crm_phone_sanitized)
        message = self.env._("Kept after a privacy erasure: the person had opted out.")
        for address in emails:
            self.env["mail.blacklist"]._add(address, message=message)
        if numbers:
            self.env["phone.blacklist"]._add(sorted(numbers), message=message)
        # Through the ORM (not the database cascade), so that their messages and
        # tracking (the consent audit trail) go with them.
        self.env["crm.contact.consent"].with_context(active_test=False).search(
            [("partner_id", "in", self.ids)]
        ).unlink()
        self.env["crm.interaction"].with_context(active_test=False).search(
            [("partner_id", "in", self.ids)]
        ).unlink()
        return True
