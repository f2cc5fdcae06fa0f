#!/usr/bin/env bash
# Command 2: set up and run the whole CRM Unified test suite.
#   1. lint (ruff, pylint-odoo mandatory checks, XML checks)
#   2. fresh database, install the three addons with --test-enable: each addon's tests/ (at_install + post_install, tours in Chromium)
#   3. the cross-addon suite in tests/ through pytest-odoo on that database
#   4. platform checks: the run command's server answers /web/login; upgrade; uninstall of the two
#      sub-addons leaves crm_unified working (its tests run again); reinstall; uninstall of the core
# Fails on any failed/errored/skipped test, any WARNING/ERROR/CRITICAL line in Odoo's log, and on zero tests.
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

DB=${CRM_UNIFIED_TEST_DB:-crm_unified_test}
PORT=${CRM_UNIFIED_TEST_HTTP_PORT:-8169}
LOGS=$CU_ROOT/.odoo-run
ADDON=${CRM_UNIFIED_TEST_ADDON:-}       # run a single addon's tests (skips lint/pytest/platform checks)
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log   # Odoo appends to its log file: start every run clean

passed=0 failed=0
# An Odoo log line at a level that fails the build.
BAD_LINE='^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) '
check() {  # check <name> <command...>: one platform check, counted in the summary
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); say "check passed: $name"
    else failed=$((failed + 1)); say "check FAILED: $name"; fi
}

# Reads an Odoo log: counts tests, and fails on bad lines or skipped tests.
scan_odoo_log() {  # scan_odoo_log <logfile> <label>
    local log=$1 label=$2 result run fail err bad skipped
    result=$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1 || true)
    bad=$(grep -E "$BAD_LINE" "$log" || true)
    if [ -z "$result" ]; then
        say "$label: Odoo printed no test result (the install failed?); see $log"
        printf '%s\n' "$bad" | head -40 >&2
        failed=$((failed + 1)); return
    fi
    fail=$(sed -E 's/.*: ([0-9]+) failed.*/\1/' <<<"$result")
    err=$(sed -E 's/.* ([0-9]+) error\(s\).*/\1/' <<<"$result")
    run=$(sed -E 's/.* of ([0-9]+) tests.*/\1/' <<<"$result")
    skipped=$(grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ [A-Z]+ \S+ \S+: skipped ' "$log" || true)
    passed=$((passed + run - fail - err - skipped))
    failed=$((failed + fail + err + skipped))
    say "$label: $run tests, $fail failed, $err errors, $skipped skipped"
    if [ "$skipped" != 0 ]; then
        say "$label: skipped tests count as failures (browser tours need chromium and websocket-client):"
        grep -E ': skipped ' "$log" >&2 || true
    fi
    if [ -n "$bad" ]; then
        say "$label: Odoo logged warnings or errors, which fail the build:"
        printf '%s\n' "$bad" | head -40 >&2
        failed=$((failed + 1))
    fi
    if [ "$run" = 0 ]; then say "$label: zero tests ran"; failed=$((failed + 1)); fi
}

odoo() { "${ODOO_CMD[@]}" --addons-path="$ODOO_ADDONS_PATH" --http-port="$PORT" "$@"; }

# Runs the Python read from stdin in an Odoo shell on the test database.
odoo_shell() {  # odoo_shell <logfile>
    "${ODOO_CMD[@]}" shell --addons-path="$ODOO_ADDONS_PATH" -d "$DB" --no-http --log-level=warn \
        --logfile="$1"
}

no_bad_lines() { ! grep -E "$BAD_LINE" "$1" >&2; }

# The server the run command starts answers with the login form.
serves_login_page() {
    local pid ok=1 log=$LOGS/server.log
    # Started directly (not through the odoo function) so that $! is Odoo's own pid.
    "${ODOO_CMD[@]}" --addons-path="$ODOO_ADDONS_PATH" --http-port="$PORT" -d "$DB" \
        --db-filter="^$DB\$" --logfile="$log" --log-level=warn --max-cron-threads=0 &
    pid=$!
    for _ in $(seq 60); do
        if curl -fsS "http://127.0.0.1:$PORT/web/login" 2>/dev/null | grep -q 'name="login"'; then ok=0; break; fi
        sleep 1
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    [ "$ok" = 0 ] && no_bad_lines "$log"
}

upgrade_addons() {
    odoo -d "$DB" -u "$CU_ADDONS" --stop-after-init --log-level=warn --logfile="$LOGS/upgrade.log" \
        && no_bad_lines "$LOGS/upgrade.log"
}

# Uninstall the two sub-addons from a database full of their data, then run crm_unified's tests again.
uninstall_sub_addons() {
    odoo_shell "$LOGS/uninstall.log" <<'PY' || return 1
modules = env["ir.module.module"].search([("name", "in", ["crm_unified_marketing", "crm_unified_support"])])
modules.button_immediate_uninstall()
env.cr.rollback()
left = env["ir.module.module"].search([("name", "like", "crm_unified%"), ("state", "=", "installed")]).mapped("name")
assert left == ["crm_unified"], left
PY
    no_bad_lines "$LOGS/uninstall.log" || return 1
    no_orphans "$LOGS/uninstall-orphans.log" crm_unified_marketing crm_unified_support || return 1
    odoo -d "$DB" -u crm_unified --test-enable --test-tags /crm_unified --stop-after-init \
        --log-level=test --logfile="$LOGS/after-uninstall.log" || true
}

# Install the two sub-addons again on a database that already holds data.
reinstall_sub_addons() {
    odoo -d "$DB" -i crm_unified_marketing,crm_unified_support --stop-after-init --log-level=warn \
        --logfile="$LOGS/reinstall.log" && no_bad_lines "$LOGS/reinstall.log" \
        && [ "$(installed_count)" = 3 ]
}

# Uninstall the core addon too (its dependents go with it), leaving a clean database.
uninstall_core() {
    odoo_shell "$LOGS/uninstall-core.log" <<'PY' || return 1
env["ir.module.module"].search([("name", "=", "crm_unified")]).button_immediate_uninstall()
PY
    # Odoo deletes the module's records one by one before dropping the tables; records still
    # referenced (channels used by interactions, demo partners with posted invoices) are kept
    # and PostgreSQL's refusal is logged by odoo.sql_db. Anything else is a failure.
    ! grep -E "$BAD_LINE" "$LOGS/uninstall-core.log" \
        | grep -v ' ERROR [^ ]* odoo.sql_db: bad query: ' >&2 \
        && ! grep -q '^Traceback' "$LOGS/uninstall-core.log" && [ "$(installed_count)" = 0 ] \
        && [ "$(psql -d "$DB" -Atqc "select count(*) from pg_tables where tablename = 'crm_interaction'")" = 0 ]
}

# What an uninstall must not leave behind: rows of the removed addons, crons, rules, menus,
# views or fields that point at models that no longer exist.
no_orphans() {  # no_orphans <logfile> <module>...
    local log=$1; shift
    odoo_shell "$log" <<PY || return 1
modules = "$*".split()
cr = env.cr
checks = {
    # Business records Odoo refuses to delete (posted demo invoices, their customers) keep
    # their xml ids; technical records (ir.*) and records of removed models must not.
    "technical xml ids of the removed addons": (
        "SELECT count(*) FROM ir_model_data WHERE module = ANY(%s)"
        " AND (model LIKE 'ir.%%' OR model NOT IN (SELECT model FROM ir_model))", [modules]),
    "crons of missing models": (
        "SELECT count(*) FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id"
        " LEFT JOIN ir_model m ON m.id = a.model_id WHERE m.id IS NULL", None),
    "record rules of missing models": (
        "SELECT count(*) FROM ir_rule r LEFT JOIN ir_model m ON m.id = r.model_id WHERE m.id IS NULL", None),
    "access rights of missing models": (
        "SELECT count(*) FROM ir_model_access a LEFT JOIN ir_model m ON m.id = a.model_id WHERE m.id IS NULL",
        None),
    "menus opening a window on a missing model": (
        "SELECT count(*) FROM ir_ui_menu u JOIN ir_act_window w ON u.action = 'ir.actions.act_window,' || w.id"
        " WHERE w.res_model NOT IN (SELECT model FROM ir_model)", None),
    "views of missing models": (
        "SELECT count(*) FROM ir_ui_view v WHERE v.model IS NOT NULL AND v.model NOT IN (SELECT model FROM ir_model)",
        None),
    "fields of missing models": (
        "SELECT count(*) FROM ir_model_fields f WHERE f.model NOT IN (SELECT model FROM ir_model)", None),
    }
bad = {}
for name, (query, params) in checks.items():
    cr.execute(query, params)
    count = cr.fetchone()[0]
    if count:
        bad[name] = count
for model in env.registry:
    for field in env.registry[model]._fields.values():
        if getattr(field, "_module", None) in modules:
            bad.setdefault("fields still defined by a removed addon", []).append(f"{model}.{field.name}")
assert not bad, bad
PY
    no_bad_lines "$log"
}

# A database made by the previous release, with its demo data, upgrades to this one with its data
# intact (migration scripts run; the figures the users saw are still there).
PREVIOUS_RELEASE=$(cat "$CU_ROOT/scripts/previous-release")
upgrade_from_previous_release() {
    local prev=$LOGS/previous-release db=${DB}_previous
    git -C "$CU_ROOT" cat-file -e "$PREVIOUS_RELEASE^{commit}" 2>/dev/null \
        || { say "previous release $PREVIOUS_RELEASE is not in this clone's history"; return 1; }
    rm -rf "$prev" && mkdir -p "$prev"
    git -C "$CU_ROOT" archive "$PREVIOUS_RELEASE" crm_unified crm_unified_marketing crm_unified_support \
        | tar -x -C "$prev"
    dropdb --if-exists --force "$db" 2>/dev/null || dropdb --if-exists "$db"
    "${ODOO_CMD[@]}" --addons-path="${ODOO_ADDONS_PATH%,"$CU_ROOT"},$prev" -d "$db" -i "$CU_ADDONS" \
        --stop-after-init --log-level=warn --logfile="$LOGS/previous-install.log" || return 1
    local count_sql="SELECT (SELECT count(*) FROM crm_interaction) || ' ' || (SELECT count(*) FROM crm_contact_consent)
        || ' ' || (SELECT count(*) FROM crm_segment) || ' ' || (SELECT count(*) FROM crm_campaign_delivery)
        || ' ' || (SELECT count(*) FROM crm_support_ticket) || ' ' || (SELECT count(*) FROM crm_support_ticket_sla)
        || ' ' || (SELECT count(*) FROM crm_interaction WHERE partner_id IS NOT NULL)"
    local before after
    before=$(psql -d "$db" -Atqc "$count_sql")
    odoo -d "$db" -u "$CU_ADDONS" --stop-after-init --log-level=warn --logfile="$LOGS/upgrade-previous.log" \
        && no_bad_lines "$LOGS/upgrade-previous.log" || return 1
    after=$(psql -d "$db" -Atqc "$count_sql")
    say "rows before/after the upgrade (interactions consents segments deliveries tickets SLA lines): $before / $after"
    # An upgrade may add history (back-fill), never lose any.
    "$PYTHON" - "$before" "$after" <<'PY' || return 1
import sys
before, after = (list(map(int, arg.split())) for arg in sys.argv[1:3])
sys.exit(0 if all(new >= old for old, new in zip(before, after)) and before[0] > 0 else 1)
PY
    dropdb --if-exists "$db"
}

# A batch cron's worker killed (SIGKILL) inside the open transaction of a batch, then run
# again, ends in the same state as a run that was never interrupted: nothing lost, nothing twice.
#   killed_worker_reruns_clean <name> <prepare> <step> <snapshot>
#   prepare:  Python run (and committed) on a copy of the test database to queue the work
#   step:     Python doing one batch and setting `left` (what remains, 0 when done)
#   snapshot: Python printing the final state as lines starting with SNAP
killed_worker_reruns_clean() {
    local name=$1 prepare=$2 step=$3 snapshot=$4
    local db=${DB}_kill log=$LOGS/killed-$1 pid
    local loop="
import time
while True:
$(sed 's/^/    /' <<<"$step")
    print('batch', left, flush=True)
    time.sleep(SLEEP)  # the batch's transaction is still open here
    env.cr.commit()
    if not left:
        break
"
    kill_shell() { "${ODOO_CMD[@]}" shell --addons-path="$ODOO_ADDONS_PATH" -d "$db" --no-http --log-level=warn; }
    dropdb --if-exists --force "$db" 2>/dev/null || true
    createdb -T "$DB" "$db" || return 1
    printf '%s\nenv.cr.commit()\nSLEEP = 0\n%s\n%s\n' "$prepare" "$loop" "$snapshot" | kill_shell >"$log.clean" 2>&1 \
        || { tail -20 "$log.clean" >&2; return 1; }
    dropdb --force "$db" && createdb -T "$DB" "$db" || return 1
    printf '%s\nenv.cr.commit()\nSLEEP = 3\n%s\n' "$prepare" "$loop" | kill_shell >"$log.killed" 2>&1 &
    pid=$!
    for _ in $(seq 240); do
        [ "$(grep -c '^batch' "$log.killed" 2>/dev/null)" -ge 2 ] && break
        sleep 0.5
    done
    # The worker is now inside the open transaction of a later batch: kill it without warning.
    pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    [ "$(grep -c '^batch' "$log.killed")" -ge 2 ] || { say "$name: the worker never reached a second batch"; return 1; }
    printf 'SLEEP = 0\n%s\n%s\n' "$loop" "$snapshot" | kill_shell >"$log.rerun" 2>&1 \
        || { tail -20 "$log.rerun" >&2; return 1; }
    dropdb --if-exists "$db"
    local clean rerun
    clean=$(grep '^SNAP' "$log.clean"); rerun=$(grep '^SNAP' "$log.rerun")
    say "$name: $(wc -l <<<"$clean") result rows after a clean run, $(wc -l <<<"$rerun") after a killed run and a rerun"
    [ -n "$clean" ] && [ "$clean" = "$rerun" ] && [ "$(wc -l <<<"$clean")" -ge "${MIN_ROWS:-2}" ] \
        || { diff <(echo "$clean") <(echo "$rerun") | head -20 >&2; return 1; }
}

killed_backfill() {
    killed_worker_reruns_clean backfill '
env.cr.execute("DELETE FROM crm_interaction WHERE capture_key IS NOT NULL")
env["ir.config_parameter"].set_param("crm_unified.backfill_batch_size", 15)
env["crm.interaction"]._crm_backfill_enqueue()' '
result = env["crm.interaction"]._crm_backfill_run_batch()
left = 1 if result is None else result[1]' '
env.cr.execute("SELECT capture_key, partner_id, kind, direction, date FROM crm_interaction WHERE capture_key IS NOT NULL ORDER BY 1")
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

killed_profile_recompute() {
    killed_worker_reruns_clean profile '
env.cr.execute("DELETE FROM crm_partner_profile")
env["ir.config_parameter"].set_param("crm_unified.profile_batch_size", 4)
env["res.partner"]._crm_mark_all_profiles_dirty()' '
env["res.partner"]._cron_recompute_profile()
left = env["res.partner"].with_context(active_test=False).search_count([("crm_profile_dirty", "=", True)])' '
env.cr.execute("""SELECT partner_id, company_id, interaction_count_12m, inbound_count_12m, crm_order_count,
    crm_order_count_12m, open_quotation_count, rfm_recency, rfm_frequency, rfm_monetary, rfm_label_id,
    sale_revenue_total, sale_revenue_12m, overdue_invoice_amount, last_interaction_date, last_order_date
    FROM crm_partner_profile ORDER BY 1, 2""")
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

killed_campaign_planning() {
    killed_worker_reruns_clean planning '
env.cr.execute("DELETE FROM crm_campaign_delivery WHERE campaign_id IN (SELECT id FROM crm_campaign WHERE state = %s)", ["active"])' '
env["crm.campaign"]._cron_plan_deliveries(batch_size=2)
Planner = env["crm.campaign.planner"]
left = sum(Planner._count_unplanned(c) for c in env["crm.campaign"].search([("state", "=", "active")]))' '
env.cr.execute("SELECT campaign_id, partner_id, rule_id, channel_id, state FROM crm_campaign_delivery ORDER BY 1, 2")
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

killed_segment_refresh() {
    killed_worker_reruns_clean segments '
dynamic = env["crm.segment"].search([("segment_type", "=", "dynamic")])
env.cr.execute("DELETE FROM crm_segment_partner_rel WHERE segment_id = ANY(%s)", [dynamic.ids])
dynamic.write({"refresh_state": "queued"})' '
env["crm.segment"]._cron_refresh_segments(batch_size=1)
left = env["crm.segment"].search_count([("refresh_state", "=", "queued")])' '
env.cr.execute("SELECT segment_id, partner_id FROM crm_segment_partner_rel ORDER BY 1, 2")
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

killed_campaign_dispatch() {
    killed_worker_reruns_clean dispatch '
env.cr.execute("UPDATE crm_campaign_delivery SET scheduled_date = now() at time zone %s - interval %s WHERE state = %s",
               ["UTC", "1 hour", "planned"])' '
from odoo import fields
Delivery = env["crm.campaign.delivery"]
Delivery._cron_dispatch(batch_size=2)
left = Delivery.search_count([("state", "=", "planned"), ("scheduled_date", "<=", fields.Datetime.now()),
                              ("campaign_id.state", "=", "active")])' '
env.cr.execute("""SELECT d.id, d.state,
    (SELECT count(*) FROM mailing_trace t WHERE t.model = %s AND t.res_id = d.id),
    (SELECT count(*) FROM mail_activity a WHERE a.crm_campaign_delivery_id = d.id)
    FROM crm_campaign_delivery d ORDER BY 1""", ["crm.campaign.delivery"])
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

killed_sla_escalation() {
    killed_worker_reruns_clean escalation '
env.cr.execute("""UPDATE crm_support_ticket_sla SET start_date = now() at time zone %s - interval %s
                   WHERE state = %s AND reached_date IS NULL RETURNING id""", ["UTC", "30 days", "ongoing"])
lines = env["crm.support.ticket.sla"].browse([row[0] for row in env.cr.fetchall()])
env.invalidate_all()
lines._sla_recompute_clock()
env.flush_all()' '
env["crm.support.ticket.sla"]._cron_escalate_sla(batch_size=2)
env.flush_all()
env.cr.execute("SELECT count(*) FROM crm_support_ticket_sla WHERE state = %s AND paused_since IS NULL"
               " AND escalation_due_date <= now() at time zone %s", ["ongoing", "UTC"])
runs = globals().get("runs", 0) + 1  # a bound, in case "due" is read differently than the cron does
left = env.cr.fetchone()[0] if runs < 60 else 0' '
env.cr.execute("""SELECT s.id, s.state, s.escalation_percent, s.escalation_due_date IS NULL,
    (SELECT count(*) FROM mail_message m WHERE m.model = %s AND m.res_id = s.ticket_id)
    FROM crm_support_ticket_sla s ORDER BY 1""", ["crm.support.ticket"])
for row in env.cr.fetchall():
    print("SNAP", *row)'
}

installed_count() {
    psql -d "$DB" -Atqc "select count(*) from ir_module_module where name like 'crm\_unified%' and state = 'installed'"
}

find_odoo
ensure_python_packages dev
ensure_postgres
ensure_chromium
"$PYTHON" -c 'import websocket' 2>/dev/null || die "websocket-client is missing: pip install websocket-client" 6

if [ -z "$ADDON" ]; then
    say "Lint"
    check "lint" bash "$CU_ROOT/scripts/lint.sh"
fi

"$PYTHON" - "$PORT" <<'PY' || die "Port $PORT is already in use: stop what listens there or set CRM_UNIFIED_TEST_HTTP_PORT." 7
import socket, sys
with socket.socket() as s:
    s.bind(("127.0.0.1", int(sys.argv[1])))
PY

addons=${ADDON:-$CU_ADDONS}
tags=$(sed -E 's#(^|,)#\1/#g' <<<"$addons")
say "Installing $addons into a fresh database $DB and running their tests ($tags)"
dropdb --if-exists --force "$DB" 2>/dev/null || dropdb --if-exists "$DB"
odoo -d "$DB" -i "$addons" --test-enable --test-tags "$tags" --stop-after-init \
    --log-level=test --logfile="$LOGS/odoo-tests.log" || true
scan_odoo_log "$LOGS/odoo-tests.log" "addon tests"

if [ -z "$ADDON" ]; then
    say "Cross-addon suite (pytest-odoo, tests/)"
    cfg=$LOGS/pytest-odoo.conf
    printf '[options]\naddons_path = %s\ndb_name = %s\nhttp_port = %s\n' "$ODOO_ADDONS_PATH" "$DB" "$PORT" >"$cfg"
    set +e
    (cd "$CU_ROOT" && "$PYTHON" -m pytest tests -p no:cacheprovider --odoo-config="$cfg" \
        --odoo-database="$DB" -q -rfEs --junitxml="$LOGS/pytest.xml" 2>&1 | tee "$LOGS/pytest.log")
    rc=${PIPESTATUS[0]}
    set -e
    read -r p f < <("$PYTHON" - "$LOGS/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get(k, 0)) for s in suites for k in ("failures", "errors", "skipped"))
print(t - bad, bad)
PY
    )
    passed=$((passed + p)); failed=$((failed + f))
    case $rc in
        0) [ "$p" -gt 0 ] || { say "pytest ran no test"; failed=$((failed + 1)); } ;;
        5) say "pytest collected no test (exit 5): that is a failure"; failed=$((failed + 1)) ;;
        *) say "pytest exited with $rc"; [ "$f" -gt 0 ] || failed=$((failed + 1)) ;;
    esac

    say "Platform checks"
    check "a back-fill worker killed mid-batch, then rerun, equals a clean run" killed_backfill
    check "a profile-recompute worker killed mid-batch, then rerun, equals a clean run" killed_profile_recompute
    check "a campaign-planning worker killed mid-batch, then rerun, equals a clean run" killed_campaign_planning
    check "a segment-refresh worker killed mid-batch, then rerun, equals a clean run" killed_segment_refresh
    check "a dispatch worker killed mid-batch, then rerun, sends each delivery once" killed_campaign_dispatch
    check "an SLA-escalation worker killed mid-batch, then rerun, fires each level once" killed_sla_escalation
    check "the server serves the login page" serves_login_page
    check "upgrade (-u) of the three addons logs no warning" upgrade_addons
    check "uninstalling marketing and support leaves crm_unified working" uninstall_sub_addons
    scan_odoo_log "$LOGS/after-uninstall.log" "crm_unified tests after uninstall"
    check "marketing and support install again on a database with data" reinstall_sub_addons
    check "uninstalling crm_unified removes the three addons and their tables" uninstall_core
    check "uninstalling crm_unified leaves no orphan crons, rules, menus, views or fields" \
        no_orphans "$LOGS/uninstall-core-orphans.log" crm_unified crm_unified_marketing crm_unified_support
    check "a database of the previous release upgrades with its data" upgrade_from_previous_release
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
