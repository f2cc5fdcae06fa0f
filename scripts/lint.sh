#!/usr/bin/env bash
# Lint step of the test command; fails on any mandatory finding.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
ADDONS=(crm_unified crm_unified_marketing crm_unified_support)
present=()
for a in "${ADDONS[@]}"; do [ -d "$a" ] && present+=("$a"); done
rc=0
run() { echo "+ $*"; "$@" || rc=1; }

run "$PYTHON" -m ruff check .
run "$PYTHON" -m ruff format --check .
# pylint-odoo, with the checks .pylintrc-mandatory enables for 18.0.
run "$PYTHON" -m pylint --rcfile=.pylintrc-mandatory --score=n "${present[@]}"
# XML, CSV and manifest checks from oca-odoo-pre-commit-hooks (well-formed XML, duplicate xml ids, ...).
run oca-checks-odoo-module --no-verbose --config=.oca_hooks.cfg "${present[@]}"
run oca-checks-po --no-verbose --config=.oca_hooks.cfg $(git ls-files '*/i18n/*.po' '*/i18n/*.pot' 2>/dev/null)
exit $rc
