#!/usr/bin/env bash
# Benchmark suite by hand (not part of `make test`, which runs size S through pytest):
#   make bench SIZE=M        or        bash scripts/bench.sh M
# 1. a database with the three addons (created once; CRM_UNIFIED_BENCH_TEMPLATE copies one instead)
# 2. the seeded data set of that size (bulk SQL, once per database)
# 3. every workload against its baseline (tests/benchmarks/workloads.py), in a rolled-back transaction
# 4. concurrent assignment: 4 worker processes on 10,000 new tickets (M/L; 1,000 at S)
# 5. JSON-RPC load on the partner form and the ticket kanban, Odoo in prefork mode on 127.0.0.1
# 6. OCA helpdesk_mgmt + helpdesk_mgmt_sla from PyPI in a separate database (ticket creation baseline)
# Writes tests/benchmarks/results/<UTC date>-<SIZE>.json and a .txt table next to it.
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

SIZE=${1:-${SIZE:-M}}
case $SIZE in S|M|L) ;; *) die "SIZE must be S, M or L (got '$SIZE')" ;; esac
lower=$(tr 'A-Z' 'a-z' <<<"$SIZE")
DB=${CRM_UNIFIED_BENCH_DB:-crm_unified_bench_$lower}
OCA_DB=${CRM_UNIFIED_BENCH_OCA_DB:-${DB}_oca}
PORT=${CRM_UNIFIED_BENCH_HTTP_PORT:-8269}
OUT=${CRM_UNIFIED_BENCH_OUT:-$CU_ROOT/tests/benchmarks/results/$(date -u +%F)-$SIZE.json}
WORK=$CU_ROOT/.odoo-run/bench-$lower
mkdir -p "$WORK"
rm -f "$WORK"/part-*.json

find_odoo
ensure_postgres
cfg=$WORK/odoo.conf
printf '[options]\naddons_path = %s\ndb_name = %s\nhttp_port = %s\n' "$ODOO_ADDONS_PATH" "$DB" "$PORT" >"$cfg"
bench() { (cd "$CU_ROOT/tests" && "$PYTHON" -m benchmarks.run "$@"); }
started=$(date +%s)

installed=$(psql -d "$DB" -Atqc "select 1 from ir_module_module where name = 'crm_unified_support' and state = 'installed'" 2>/dev/null || true)
if [ "$installed" != 1 ]; then
    if [ -n "${CRM_UNIFIED_BENCH_TEMPLATE:-}" ]; then
        say "Copying $CRM_UNIFIED_BENCH_TEMPLATE into $DB"
        createdb -T "$CRM_UNIFIED_BENCH_TEMPLATE" "$DB"
        step=(-u "$CU_ADDONS")
    else
        say "Creating $DB with the three addons"
        step=(-i "$CU_ADDONS")
    fi
    "${ODOO_CMD[@]}" -c "$cfg" -d "$DB" "${step[@]}" --stop-after-init --log-level=warn \
        --logfile="$WORK/install.log"
else
    "${ODOO_CMD[@]}" -c "$cfg" -d "$DB" -u "$CU_ADDONS" --stop-after-init --log-level=warn \
        --logfile="$WORK/install.log"
fi

say "Data set $SIZE (generated once per database)"
bench generate -c "$cfg" -d "$DB" --size "$SIZE"

say "Workloads against their baselines"
bench workloads -c "$cfg" -d "$DB" --out "$WORK/part-workloads.json"

# Each step below is bounded (time and/or requests) and a failure is reported without
# stopping the run; `timeout` is a last resort should a step overrun its own bounds.
say "Concurrent assignment (4 workers, ${CRM_UNIFIED_BENCH_ASSIGN_SECONDS:-120} s bound)"
tickets=10000; [ "$SIZE" = S ] && tickets=1000
(cd "$CU_ROOT/tests" && timeout 900 "$PYTHON" -m benchmarks.run assign -c "$cfg" -d "$DB" \
    --tickets "$tickets" --seconds "${CRM_UNIFIED_BENCH_ASSIGN_SECONDS:-120}" \
    --out "$WORK/part-assign.json") \
    || say "concurrent assignment failed or overran 15 minutes (see above)"

say "JSON-RPC load, Odoo prefork --workers=2 on 127.0.0.1:$PORT"
"${ODOO_CMD[@]}" -c "$cfg" -d "$DB" --db-filter="^$DB\$" --workers=2 --max-cron-threads=0 \
    --http-interface=127.0.0.1 --http-port="$PORT" --log-level=warn --logfile="$WORK/server.log" &
server=$!
up=0
for _ in $(seq 120); do
    if curl -fsS "http://127.0.0.1:$PORT/web/login" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 1
done
if [ "$up" = 1 ]; then
    (cd "$CU_ROOT/tests" && timeout 600 "$PYTHON" -m benchmarks.rpc_load --url "http://127.0.0.1:$PORT" \
        -d "$DB" --requests "${CRM_UNIFIED_BENCH_RPC_REQUESTS:-300}" --seconds 30 \
        --out "$WORK/part-rpc.json") || say "JSON-RPC load failed (see above)"
else
    say "The prefork server did not answer on 127.0.0.1:$PORT (port taken?); see $WORK/server.log"
fi
kill "$server" 2>/dev/null || true
for _ in $(seq 60); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
kill -9 "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true

say "OCA helpdesk_mgmt + helpdesk_mgmt_sla 18.0 (PyPI, no dependencies) in $OCA_DB"
oca=$WORK/oca
oca_ok=1
if [ ! -d "$oca/addons/helpdesk_mgmt_sla" ]; then
    mkdir -p "$oca/wheels" "$oca/addons"
    "$PYTHON" -m pip download --no-deps -q -d "$oca/wheels" \
        "odoo-addon-helpdesk-mgmt>=18.0,<18.1" "odoo-addon-helpdesk-mgmt-sla>=18.0,<18.1" \
        && for wheel in "$oca"/wheels/*.whl; do
            "$PYTHON" -m zipfile -e "$wheel" "$oca/unpacked" >/dev/null
        done && cp -r "$oca"/unpacked/odoo/addons/* "$oca/addons/" || oca_ok=0
fi
if [ "$oca_ok" = 1 ]; then
    ocfg=$WORK/odoo-oca.conf
    printf '[options]\naddons_path = %s\ndb_name = %s\n' "$ODOO_ADDONS_PATH,$oca/addons" "$OCA_DB" >"$ocfg"
    if [ "$(psql -d "$OCA_DB" -Atqc "select 1 from ir_module_module where name = 'helpdesk_mgmt_sla' and state = 'installed'" 2>/dev/null || true)" != 1 ]; then
        timeout 1200 "${ODOO_CMD[@]}" -c "$ocfg" -d "$OCA_DB" -i helpdesk_mgmt_sla --without-demo=all \
            --stop-after-init --log-level=warn --logfile="$WORK/oca-install.log" || oca_ok=0
    fi
    if [ "$oca_ok" = 1 ]; then
        (cd "$CU_ROOT/tests" && timeout 900 "$PYTHON" -m benchmarks.run oca -c "$ocfg" -d "$OCA_DB" \
            --size "$SIZE" --out "$WORK/part-oca.json") || oca_ok=0
    fi
fi
if [ "$oca_ok" != 1 ]; then
    say "The OCA baseline could not run; see $WORK/oca-install.log"
    printf '{"oca_tickets": {"error": "could not download or install; see .odoo-run logs"}}\n' >"$WORK/part-oca.json"
fi

commit=$(git -C "$CU_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
bench merge --commit "$commit" --out "$OUT" "$WORK"/part-*.json
say "Done in $(( $(date +%s) - started )) s: $OUT (and ${OUT%.json}.txt)"
