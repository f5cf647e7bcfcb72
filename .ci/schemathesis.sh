#!/usr/bin/env bash
# Fuzzes the server from its own /openapi.json with schemathesis, on SQLite and on PostgreSQL, signed in as an
# administrator: any 5xx, any undocumented status, content type or body shape is a failure.
# Usage: .ci/schemathesis.sh PATH/TO/slipway [seconds per backend, default 150]
set -euo pipefail
bin="$(realpath "$1")"
config="$(realpath "$(dirname "$0")")/schemathesis.toml"
budget="${2:-150}"
pg_admin_url="${SLIPWAY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if ! command -v st >/dev/null 2>&1; then
    python3 -m pip install -q "schemathesis==4.32.5"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fuzz() {
    local backend="$1" database_url="$2"
    local data port pid token status=0
    data="$(mktemp -d)"
    port="$(free_port)"
    local env=(SLIPWAY_DATA_DIR="$data" SLIPWAY_BIND="127.0.0.1:$port")
    [ -n "$database_url" ] && env+=(SLIPWAY_DATABASE_URL="$database_url")
    env "${env[@]}" SLIPWAY_ADMIN_USERNAME=fuzzadmin SLIPWAY_ADMIN_PASSWORD='Fuzz-Admin-Pass-1!' \
        SLIPWAY_ADMIN_EMAIL=fuzzadmin@example.com SLIPWAY_RATE_LIMIT=off SLIPWAY_LOG=warn \
        "$bin" serve >"$data/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 60); do
        curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    token="$(curl -fsS -H 'content-type: application/json' \
        -d '{"identifier":"fuzzadmin","password":"Fuzz-Admin-Pass-1!"}' \
        "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
    printf '\n--- schemathesis on %s (%ss) ---\n' "$backend" "$budget"
    # From the data dir, so schemathesis's and hypothesis's caches go with it. Logging out or changing the
    # password would end the session the run signs in with. No stateful phase: schemathesis's own link inference
    # (4.32) builds a link from GET /api/pipelines/{id}/runs/ to GET /workflow/repositories, which has no `id`,
    # and then reports its own link as an invalid definition; the other phases exercise every operation.
    (cd "$data" && st --config-file "$config" run "http://127.0.0.1:$port/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        -H "Authorization: Bearer $token" \
        --exclude-path /api/auth/logout --exclude-path /api/auth/change-password \
        --exclude-path /api/v1/auth/password --exclude-path-regex '^/ws/' \
        --phases examples,coverage,fuzzing --max-time "$budget" --max-examples 25 --workers 2 --request-timeout 40 --seed 8 \
        --suppress-health-check all --warnings off) || status=$?
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        echo "schemathesis found problems on $backend; the server's log:" >&2
        tail -n 40 "$data/server.log" >&2
    fi
    rm -rf "$data"
    return "$status"
}

fuzz sqlite ""

db="slipway_fuzz_$$"
psql -q "$pg_admin_url" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
fuzz postgres "${pg_admin_url%/*}/$db"
