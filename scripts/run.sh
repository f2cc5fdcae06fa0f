#!/usr/bin/env bash
# Command 1: set up and start Odoo with the three CRM Unified addons and demo data.
# Idempotent: a second run reuses the database and only updates the addons.
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

DB=${CRM_UNIFIED_DB:-crm_unified}
PORT=${CRM_UNIFIED_HTTP_PORT:-8069}

find_odoo
ensure_python_packages
ensure_postgres

installed=$(psql -d "$DB" -Atqc "select 1 from ir_module_module where name = 'crm_unified' and state = 'installed'" 2>/dev/null || true)
if [ "$installed" = 1 ]; then
    say "Database $DB exists: updating the CRM Unified addons"
    step=(-u "$CU_ADDONS")
else
    say "Creating database $DB with demo data and the CRM Unified addons (about 2 minutes)"
    step=(-i "$CU_ADDONS")
fi
"${ODOO_CMD[@]}" -d "$DB" --addons-path="$ODOO_ADDONS_PATH" "${step[@]}" \
    --stop-after-init --log-level=warn --http-port="$PORT"

if [ "$installed" != 1 ]; then
    # A known admin login for a newcomer; demo databases already use admin/admin.
    "${ODOO_CMD[@]}" shell -d "$DB" --addons-path="$ODOO_ADDONS_PATH" --log-level=error --no-http <<'PY' >/dev/null
env.ref("base.user_admin").write({"login": "admin", "password": "admin"})
env.cr.commit()
PY
fi

cat >&2 <<MSG

  CRM Unified is starting on http://localhost:$PORT
  Database: $DB    Login: admin    Password: admin
  Stop it with Ctrl+C.

MSG
exec "${ODOO_CMD[@]}" -d "$DB" --addons-path="$ODOO_ADDONS_PATH" --http-port="$PORT" \
    --db-filter="^${DB}\$" ${CRM_UNIFIED_ODOO_ARGS:-}
