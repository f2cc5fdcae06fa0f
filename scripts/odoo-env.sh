#!/usr/bin/env bash
# Shared set-up for every CRM Unified command: finds Odoo 18.0, its Python
# packages, PostgreSQL and (for tests) Chromium.  Source it, then call the
# functions you need.  Configuration comes from environment variables, all
# documented in README.md.

set -euo pipefail

CU_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
CU_ADDONS="crm_unified,crm_unified_marketing,crm_unified_support"
CU_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/crm-unified
# Where we look for an Odoo 18.0 source tree when `import odoo` fails and
# ODOO_SRC is unset; the last one is where we install it ourselves.
if [ -n "${ODOO_SEARCH_PATHS:-}" ]; then
    IFS=: read -r -a CU_CONVENTIONAL_ODOO_PATHS <<<"$ODOO_SEARCH_PATHS"
else
    CU_CONVENTIONAL_ODOO_PATHS=(/opt/odoo18 /opt/odoo /usr/lib/odoo18 "$HOME/odoo18" "$HOME/src/odoo" "$CU_CACHE/odoo-18.0")
fi
ODOO_UPSTREAM=${ODOO_UPSTREAM:-https://github.com/odoo/odoo.git}

say() { printf '[crm-unified] %s\n' "$*" >&2; }
die() { printf '[crm-unified] ERROR: %s\n' "$1" >&2; exit "${2:-2}"; }

# A source tree is usable when it has odoo-bin and odoo/release.py says 18.0.
_is_odoo18_tree() {
    [ -f "$1/odoo-bin" ] && [ -f "$1/odoo/release.py" ] \
        && grep -Eq '^version_info = \(18, 0,' "$1/odoo/release.py"
}

_install_odoo_from_upstream() {
    local target="$CU_CACHE/odoo-18.0"
    command -v git >/dev/null 2>&1 || return 1
    say "No Odoo 18.0 found; trying to download Odoo 18.0 Community from $ODOO_UPSTREAM ..."
    timeout 20 git ls-remote --heads "$ODOO_UPSTREAM" 18.0 >/dev/null 2>&1 || return 1
    mkdir -p "$CU_CACHE"
    rm -rf "$target.partial"
    timeout 1800 git clone --quiet --depth 1 --branch 18.0 "$ODOO_UPSTREAM" "$target.partial" || return 1
    mv "$target.partial" "$target"
}

# Sets ODOO_CMD (array), ODOO_ADDONS_PATH and ODOO_FOUND_AT.
find_odoo() {
    local pkg_dir src
    if pkg_dir=$("$PYTHON" - 2>/dev/null <<'PY'
import os, sys
import odoo.release as release
if tuple(release.version_info[:2]) != (18, 0):
    sys.exit(3)
print(os.path.dirname(os.path.dirname(release.__file__)))
PY
    ); then
        ODOO_FOUND_AT="importable odoo ($pkg_dir)"
        src=$pkg_dir
        ODOO_CMD=("$PYTHON" -m odoo)
    else
        src=""
        if [ -n "${ODOO_SRC:-}" ]; then
            _is_odoo18_tree "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (no odoo-bin, or odoo/release.py is not 18.0)." 3
            src=$ODOO_SRC
        else
            for candidate in "${CU_CONVENTIONAL_ODOO_PATHS[@]}"; do
                if _is_odoo18_tree "$candidate"; then src=$candidate; break; fi
            done
        fi
        if [ -z "$src" ] && _install_odoo_from_upstream; then
            src="$CU_CACHE/odoo-18.0"
        fi
        [ -n "$src" ] || die "Odoo 18.0 Community was not found: '$PYTHON' cannot import odoo 18.0, ODOO_SRC is unset, none of ${CU_CONVENTIONAL_ODOO_PATHS[*]} holds an Odoo 18.0 tree, and $ODOO_UPSTREAM could not be reached. Install it with 'git clone --depth 1 -b 18.0 $ODOO_UPSTREAM ~/odoo18' (or set ODOO_SRC to your Odoo 18.0 source tree) and run this command again." 3
        ODOO_FOUND_AT="source tree $src"
        export PYTHONPATH="$src${PYTHONPATH:+:$PYTHONPATH}"
        ODOO_CMD=("$PYTHON" "$src/odoo-bin")
    fi
    # A git checkout keeps most addons in <src>/addons; a packaged tree in odoo/addons.
    ODOO_ADDONS_PATH="$src/odoo/addons"
    [ -d "$src/addons" ] && ODOO_ADDONS_PATH="$src/addons,$ODOO_ADDONS_PATH"
    ODOO_ADDONS_PATH="$ODOO_ADDONS_PATH,$CU_ROOT"
    say "Using Odoo 18.0 from $ODOO_FOUND_AT"
}

# Installs the Python packages Odoo and our tooling need (pins in the repo).
ensure_python_packages() {
    local files=(-r "$CU_ROOT/requirements-odoo.txt")
    [ "${1:-}" = "dev" ] && files+=(-r "$CU_ROOT/requirements.txt")
    if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check "${files[@]}" >"$CU_CACHE.pip.log" 2>&1; then
        cat "$CU_CACHE.pip.log" >&2
        die "Could not install Odoo's Python packages into '$PYTHON' (see above). Use a virtualenv (python3.11 -m venv .venv && . .venv/bin/activate) and run again." 4
    fi
}

# Starts the local PostgreSQL cluster when it is down and makes sure our role exists.
ensure_postgres() {
    if ! pg_isready -q; then
        command -v pg_lsclusters >/dev/null 2>&1 \
            || die "PostgreSQL is not running at ${PGHOST:-local socket}:${PGPORT:-5432} and this is not a Debian cluster we can start. Start PostgreSQL (or set PGHOST/PGPORT) and run again." 5
        local version cluster
        read -r version cluster < <(pg_lsclusters -h | awk '{print $1, $2; exit}')
        [ -n "${version:-}" ] || die "No PostgreSQL cluster exists. Create one with 'pg_createcluster 15 main' and run again." 5
        say "Starting PostgreSQL cluster $version/$cluster"
        pg_ctlcluster "$version" "$cluster" start || die "Could not start PostgreSQL cluster $version/$cluster (see 'pg_lsclusters' and its log)." 5
        for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || die "PostgreSQL did not come up in 30 s." 5
    fi
    local role=${PGUSER:-$(id -un)}
    if ! psql -d postgres -Atqc "select 1" >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || die "Cannot connect to PostgreSQL as '$role'. Create it with: sudo -u postgres createuser -s $role" 5
        say "Creating PostgreSQL role $role"
        runuser -u postgres -- createuser --superuser "$role" \
            || die "Could not create the PostgreSQL role '$role'." 5
    fi
}

# Odoo's browser tests need a Chromium and websocket-client; without them Odoo silently skips tours.
ensure_chromium() {
    local exe
    for exe in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$exe" >/dev/null 2>&1 && return 0
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "Installing Debian's chromium for browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$CU_CACHE.apt.log" 2>&1 \
            || { cat "$CU_CACHE.apt.log" >&2; die "Could not install chromium with apt-get." 6; }
    else
        die "Browser tests need Chromium: install it (Debian: apt-get install chromium) and run again." 6
    fi
}

mkdir -p "$CU_CACHE"
