"""Screen texts of the three addons: no English plural built by concatenation.

"1 orders" came from a template that glued a count to a plural noun. Odoo has
no plural forms in its translations (and Ukrainian has three), so a count is
shown as "Orders: 1" (label, then the figure), never "%(count)s orders" or
"order(s)". This test reads the sources of the three addons and names every
place that builds such a text, so the kind cannot come back elsewhere.
"""

import re
from pathlib import Path

from odoo.modules.module import get_module_path
from odoo.tests import BaseCase, tagged

ADDONS = ("crm_unified", "crm_unified_marketing", "crm_unified_support")
# Names of a figure that counts something.
COUNT_NAME = r"[\w.]*(?:count|length|total|done|remaining)\w*"
# A value printed by a template, then a lowercase word: "<t t-esc="x.order_count"/> orders".
TEMPLATE_COUNT_NOUN = re.compile(
    r"""(?:t-(?:esc|out)="[^"]*\b%s\b[^"]*"|<field\s+name="%s")[^>]*/>\s*[a-z]{3,}"""
    % (COUNT_NAME, COUNT_NAME)
)
# A translatable text with a count placeholder followed by a word: "%(count)s customers".
PLACEHOLDER_COUNT_NOUN = re.compile(r"%%\((?:%s|n|number)\)s [a-z]{3,}" % COUNT_NAME)
# "order(s)", "ticket(s)" in a text shown to users.
OPTIONAL_PLURAL = re.compile(r"[a-z]\(s\)")
IMPLICIT_CONCATENATION = re.compile(r"(?<=[^\\])([\"'])\s*\n\s*\1")
# Phrases where a word after the figure is not a noun counted by it.
ALLOWED = re.compile(r"%\(\w+\)s (?:of|per|and|or|to|left|used|late)\b")


def _sources(patterns):
    for addon in ADDONS:
        path = get_module_path(addon, display_warning=False)
        if not path:
            continue
        for pattern in patterns:
            for file in sorted(Path(path).glob(pattern)):
                if "/tests/" in str(file) or "/i18n/" in str(file):
                    continue
                yield addon, file


@tagged("post_install", "-at_install")
class TestScreenTexts(BaseCase):
    def _offences(self, patterns, regexes):
        found = []
        for addon, file in _sources(patterns):
            text = file.read_text(encoding="utf-8")
            # Adjacent string literals are one text: "... %(count)s "\n "customers".
            text = IMPLICIT_CONCATENATION.sub("", text)
            for number, line in enumerate(text.splitlines(), 1):
                if "_logger" in line or line.lstrip().startswith(("#", "//")):
                    continue
                for regex in regexes:
                    for match in regex.finditer(line):
                        if not ALLOWED.match(match.group(0)):
                            found.append(f"{addon}/{file.name}:{number}: {match.group(0)}")
        return found

    def test_templates_never_glue_a_count_to_a_plural_noun(self):
        self.assertEqual(
            self._offences(
                ["static/src/**/*.xml", "views/*.xml", "wizard/*.xml"], [TEMPLATE_COUNT_NOUN]
            ),
            [],
        )

    def test_translatable_texts_never_glue_a_count_to_a_plural_noun(self):
        self.assertEqual(
            self._offences(
                ["**/*.py", "static/src/**/*.js"], [PLACEHOLDER_COUNT_NOUN, OPTIONAL_PLURAL]
            ),
            [],
        )

    def test_the_rule_catches_the_examples(self):
        """The patterns do catch what the newcomer saw (so the tests above can fail)."""
        self.assertTrue(
            TEMPLATE_COUNT_NOUN.search('· <t t-esc="state.data.order_count"/> orders</span>')
        )
        self.assertTrue(
            TEMPLATE_COUNT_NOUN.search('<field name="progress_total" class="oe_inline"/> customers')
        )
        self.assertTrue(PLACEHOLDER_COUNT_NOUN.search('"%(count)s customers match"'))
        self.assertTrue(OPTIONAL_PLURAL.search('"%(count)s ticket(s) assigned."'))
        self.assertFalse(TEMPLATE_COUNT_NOUN.search('Orders: <t t-esc="state.data.order_count"/>'))
