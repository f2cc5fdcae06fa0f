#!/usr/bin/env bash
# README screenshots, taken from a running demo database (start it with `make run`).
#   bash scripts/screenshots.sh            # http://localhost:8069, database crm_unified
#   CRM_UNIFIED_URL=http://localhost:8207 CRM_UNIFIED_DB=mydb bash scripts/screenshots.sh
# Writes docs/screenshots/*.png (256-colour PNGs). Needs Chromium and the
# Python packages requests, websocket-client and Pillow (all used by Odoo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec "${PYTHON:-python3}" scripts/screenshots.py \
    --url "${CRM_UNIFIED_URL:-http://localhost:8069}" \
    --db "${CRM_UNIFIED_DB:-crm_unified}" \
    --out docs/screenshots "$@"
