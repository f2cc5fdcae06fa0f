from markupsafe import Markup

from odoo import fields, models

from .crm_contact_consent import BLACKLIST_MODELS

# Which consent wins when merged contacts disagree: the strictest.
CONSENT_STRICTNESS = {"opt_out": 2, "opt_in": 1, "unknown": 0}


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        # Odoo moves rows to the kept partner with one UPDATE per table and,
        # when a unique constraint refuses it, DELETES every row of the merged
        # partners in that table: rows unique per partner are settled first.
        self._crm_settle_partner_rows(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)

    def _crm_settle_partner_rows(self, src_partners, dst_partner):
        """Settle the rows of tables unique per partner before a merge.

        After this, the merged partners (`src_partners`) own no row that would
        clash with one of the kept partner (`dst_partner`) in such a table, so
        that Odoo's generic update moves everything and deletes nothing.
        Sub-addons extend this with their own tables.
        """
        self._crm_settle_consents(src_partners, dst_partner)

    def _crm_settle_consents(self, src_partners, dst_partner):
        """One consent per channel for the kept partner: the strictest state
        (opted out > opted in > unknown; the latest record among equals), with
        the chatter of every merged consent moved to it and a note listing them.
        """
        # sudo: a merge must settle every consent of the merged contacts, whatever
        # the merging user may read; nothing leaves the merged contacts' records.
        Consent = self.env["crm.contact.consent"].sudo().with_context(crm_consent_sync=True)
        consents = Consent.search([("partner_id", "in", (src_partners | dst_partner).ids)])
        for rows in consents.grouped("channel_id").values():
            if len(rows) == 1 and rows.partner_id == dst_partner:
                continue
            winner = max(
                rows,
                key=lambda c: (
                    CONSENT_STRICTNESS.get(c.state, 0),
                    c.date,
                    c.partner_id == dst_partner,
                    c.id,
                ),
            )
            kept = rows.filtered(lambda c: c.partner_id == dst_partner)[:1] or winner
            merged = rows - kept
            note = self._crm_consent_merge_note(rows)
            if kept != winner:
                kept.write(
                    {
                        "state": winner.state,
                        "date": winner.date,
                        "source": winner.source,
                        "user_id": winner.user_id.id,
                        "note": winner.note,
                    }
                )
            if kept.partner_id != dst_partner:
                kept.partner_id = dst_partner
            # The audit trail of the merged consents (state changes, who, when)
            # goes on with the kept one. sudo: mail.message is not writable by users, and only
            # the messages of the consents being merged (rows the merging user edits) move.
            if merged:
                self.env["mail.message"].sudo().search(
                    [("model", "=", Consent._name), ("res_id", "in", merged.ids)]
                ).write({"res_id": kept.id})
            kept.message_post(body=note, subtype_xmlid="mail.mt_note")
            merged.unlink()

    def _crm_consent_merge_note(self, consents):
        """HTML note listing the consents of one channel that a merge settles."""
        state_labels = dict(consents._fields["state"]._description_selection(self.env))
        source_labels = dict(consents._fields["source"]._description_selection(self.env))
        lines = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(partner)s: %(state)s since %(date)s (%(origin)s, recorded by %(user)s)",
                partner=consent.partner_id.display_name,
                state=state_labels.get(consent.state, consent.state),
                date=fields.Datetime.to_string(consent.date),
                origin=source_labels.get(consent.source, consent.source),
                user=consent.user_id.display_name or "-",
            )
            for consent in consents
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Merged contacts' consents for this channel (the strictest one is kept):"),
            lines,
        )

    def _crm_resync_blacklists(self, partner):
        """After a merge: the kept partner's email and phone blacklists and its
        consents agree again, the strictest side winning (a blacklisted address or
        number opts the channel out; an opt-out blacklists the address or number
        the kept partner has now). Nothing is ever removed from a blacklist here.
        """
        # sudo: blacklists and consents are restricted; only the kept partner's
        # own entries are read and written.
        partner = partner.sudo()
        codes = list(BLACKLIST_MODELS)
        effective = partner._crm_get_consent(codes)[partner.id]
        consents = partner.consent_ids.filtered(lambda c: c.channel_id.code in codes)
        stored = {consent.channel_id.code: consent.state for consent in consents}
        to_opt_out = {
            code: "opt_out"
            for code, state in effective.items()
            if state == "opt_out" and stored.get(code) != "opt_out"
        }
        if to_opt_out:
            partner.with_context(crm_consent_sync=True)._crm_set_consent(
                to_opt_out, source="blacklist"
            )
        partner.consent_ids.filtered(
            lambda c: c.channel_id.code in codes and c.state == "opt_out"
        )._sync_blacklists()

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        kept = self.env["res.partner"].browse(partner_ids).exists()
        if len(kept) != 1:
            return res  # nothing was merged
        merged_ids = [pid for pid in partner_ids if pid != kept.id]
        Interaction = self.env["crm.interaction"]
        # The generic foreign-key update moved partner_id (and commercial_partner_id)
        # by SQL; recompute the commercial entity, which differs when the merged
        # contacts belonged to different companies.
        Interaction.invalidate_model(["partner_id", "commercial_partner_id", "res_id"])
        # sudo: the history must follow the merge whatever the merging user may read.
        interactions = Interaction.sudo().search([("partner_id", "=", kept.id)])
        self.env.add_to_compute(Interaction._fields["commercial_partner_id"], interactions)
        interactions.flush_recordset(["commercial_partner_id"])
        # Interactions whose source document was one of the merged contacts
        # (e.g. a call logged on the contact) now point to the kept contact.
        Interaction.sudo().search(
            [("res_model", "=", "res.partner"), ("res_id", "in", merged_ids)]
        ).write({"res_id": kept.id})
        # The kept contact may have taken a merged contact's email or number.
        self._crm_resync_blacklists(kept)
        # The kept customer has a longer history now: queue its profile for recompute.
        # sudo: the profile queue is technical state, whatever the merging user may read.
        kept.sudo()._crm_mark_profile_dirty()
        return res
