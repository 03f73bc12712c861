#!/usr/bin/env bash
# Contract conformance: schemathesis (pinned) against a live `aftercare serve`
# on a temporary SQLite file, over every operation in openapi.yaml, once with
# a clinic admin's token and once with a patient's. Fails on any server error,
# any response that breaks the spec (status, content type, headers, schema) and
# any schema-invalid request the server accepts.
#
#   .ci/schemathesis.sh              debug build
#   AFTERCARE_BIN=target/debug/aftercare .ci/schemathesis.sh   a binary already built
#   PROFILE=release .ci/schemathesis.sh
#   MAX_EXAMPLES=100 .ci/schemathesis.sh    more cases per operation
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.ci/.venv
PROFILE="${PROFILE:-debug}"
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
SEED="${SEED:-20261124}"

# --- schemathesis in its own venv, pinned ---
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  echo "schemathesis: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
PY="$VENV/bin/python"

# --- the server, on a free loopback port and a temporary database ---
# AFTERCARE_BIN names a binary already built (.ci/run passes the one `cargo
# test` made: a plain `cargo build` would compile the crate again, because
# the test build unifies the dev-dependencies' features into it).
if [ -n "${AFTERCARE_BIN:-}" ]; then
  BIN="$AFTERCARE_BIN"
else
  if [ "$PROFILE" = release ]; then cargo build --locked --release; else cargo build --locked; fi
  BIN="target/$PROFILE/aftercare"
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aftercare-schemathesis.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$WORK/aftercare.db"
export AFTERCARE_BIND=127.0.0.1:0
export AFTERCARE_LOG_FORMAT=json
# Schemathesis pushes as one patient far faster than an app would.
export AFTERCARE_SYNC_PUSH_LIMIT=1000000
export RUST_LOG="${RUST_LOG:-warn,aftercare=info}"
# /metrics is then behind a token, as in production, so ignored_auth can check it.
METRICS_TOKEN="schemathesis-metrics-token-$$"
export AFTERCARE_METRICS_TOKEN="$METRICS_TOKEN"
ADMIN_EMAIL=admin@schemathesis.example
ADMIN_PASSWORD='schemathesis admin password'
printf '%s' "$ADMIN_PASSWORD" | "$BIN" clinic create --name "Schemathesis Clinic" \
  --admin-email "$ADMIN_EMAIL" --password-stdin >/dev/null

"$BIN" serve 2>"$WORK/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$("$PY" - "$WORK/server.log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    try:
        f = json.loads(line).get("fields", {})
    except ValueError:
        continue
    if f.get("message") == "aftercare listening":
        print(f["port"])
EOF
)"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "schemathesis: the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "schemathesis: the server did not report its port" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"
echo "schemathesis: server on $BASE ($PROFILE build, SQLite at $DATABASE_URL)"

# --- fixtures over the HTTP API, so every path id exists ---
# api METHOD PATH TOKEN [BODY] prints the JSON answer; fails on a non-2xx.
api() {
  local out status
  out="$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$1" "$BASE$2" \
    ${3:+-H "Authorization: Bearer $3"} \
    ${4:+-H 'Content-Type: application/json' --data "$4"})"
  status="$out"
  if [ "${status:0:1}" != 2 ]; then
    echo "schemathesis: fixture $1 $2 answered $status: $(cat "$WORK/body")" >&2
    exit 1
  fi
  cat "$WORK/body"
}
# field JSON EXPRESSION: a value out of JSON on stdin, e.g. field '["items"][0]["id"]'.
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }

ADMIN="$(api POST /v1/auth/login "" "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field '["access_token"]')"
api POST /v1/staff "$ADMIN" '{"email":"doc@schemathesis.example","name":"Dr Fixture","role":"clinician","password":"clinician password 1"}' >/dev/null
CLINICIAN="$(api POST /v1/auth/login "" '{"email":"doc@schemathesis.example","password":"clinician password 1"}' | field '["access_token"]')"
PATIENT_ID="$(api POST /v1/patients "$CLINICIAN" '{"name":"Pat Fixture","email":"pat@schemathesis.example","timezone":"Europe/Berlin","fitzpatrick":3}' | field '["id"]')"
CODE="$(api POST "/v1/patients/$PATIENT_ID/enrolment-codes" "$CLINICIAN" | field '["code"]')"
PATIENT="$(api POST /v1/auth/enrol "" "{\"code\":\"$CODE\",\"password\":\"patient password 1\"}" | field '["access_token"]')"
PERFORMED_AT="$("$PY" -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) - d.timedelta(days=3)).isoformat())')"
TREATMENT="$(api POST "/v1/patients/$PATIENT_ID/treatments" "$CLINICIAN" "{\"performed_at\":\"$PERFORMED_AT\",\"area\":\"face\",\"depth_mm\":1.0,\"addons\":[\"serum\"],\"session_number\":1}")"
TREATMENT_ID="$(printf '%s' "$TREATMENT" | field '["id"]')"
DAY0="$(printf '%s' "$TREATMENT" | field '["day0"]')"
LOG_DATE="$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$DAY0') + d.timedelta(days=1))")"
FLAG_ID="$(api PUT "/v1/treatments/$TREATMENT_ID/logs/$LOG_DATE" "$PATIENT" '{"redness":9,"swelling":8,"flaking":1,"sensitivity":7,"signs":["fever"],"note":"fixture note"}' | field '["assessment"]["flags"][0]["id"]')"
# Erasure (DELETE /v1/me) gets a patient of its own in the patient run, so
# the fixture patient lives on for the other operations.
ERASED_ID="$(api POST /v1/patients "$CLINICIAN" '{"name":"Era Sure","email":"erasure@schemathesis.example","timezone":"UTC","fitzpatrick":2}' | field '["id"]')"
CODE="$(api POST "/v1/patients/$ERASED_ID/enrolment-codes" "$CLINICIAN" | field '["code"]')"
ERASED_PATIENT="$(api POST /v1/auth/enrol "" "{\"code\":\"$CODE\",\"password\":\"patient password 2\"}" | field '["access_token"]')"
OCCURRENCE_ID="$(api GET "/v1/treatments/$TREATMENT_ID/reminders" "$PATIENT" | field '["upcoming"][0]["id"]')"

cat >"$WORK/schemathesis.toml" <<EOF
# No state kept between runs: each run stands alone.
[cache]
enabled = false

[[operations]]
include-path = "/metrics"
headers = { Authorization = "Bearer $METRICS_TOKEN" }

[[operations]]
include-path-regex = "^/v1/patients/\\\\{id\\\\}"
parameters = { "path.id" = "$PATIENT_ID" }

[[operations]]
include-path-regex = "^/v1/treatments/\\\\{id\\\\}"
parameters = { "path.id" = "$TREATMENT_ID", "path.date" = "$LOG_DATE" }

[[operations]]
include-path-regex = "^/v1/flags/\\\\{id\\\\}"
parameters = { "path.id" = "$FLAG_ID" }

[[operations]]
include-path-regex = "^/v1/reminders/\\\\{id\\\\}"
parameters = { "path.id" = "$OCCURRENCE_ID" }
EOF

# --- the runs ---
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,ignored_auth,unsupported_method,allow_header_conformance,missing_required_header
TOTAL_FAILURES=0
summary=()
run() {
  local who="$1" token="$2" report="$WORK/report-$1.ndjson" config="$WORK/schemathesis-$1.toml" status=0
  cp "$WORK/schemathesis.toml" "$config"
  if [ "$who" = patient ]; then
    cat >>"$config" <<EOF

[[operations]]
include-path = "/v1/me"
include-method = "DELETE"
headers = { Authorization = "Bearer $ERASED_PATIENT" }
EOF
  fi
  echo
  echo "schemathesis: run as $who"
  "$VENV/bin/schemathesis" --config-file "$config" run openapi.yaml \
    --url "$BASE" \
    --header "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 2 \
    --request-timeout 10 \
    --generation-database none \
    --no-color \
    --report ndjson --report-ndjson-path "$report" || status=$?
  local figures
  figures="$("$PY" - "$report" <<'EOF'
import json, sys
ops, cases, requests, failures = set(), 0, 0, 0
for line in open(sys.argv[1]):
    body = json.loads(line).get("ScenarioFinished")
    if not body:
        continue
    recorder = body.get("recorder", {})
    if recorder.get("label"):
        ops.add(recorder["label"])
    cases += len(recorder.get("cases", {}))
    requests += len(recorder.get("interactions", {}))
    for checks in recorder.get("checks", {}).values():
        failures += sum(1 for c in checks if c.get("status") == "failure")
print(len(ops), cases, requests, failures)
EOF
)"
  read -r ops cases requests failures <<<"$figures"
  summary+=("as $who: $ops operations covered, $cases cases run ($requests requests), $failures failures")
  if [ "$status" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
  TOTAL_FAILURES=$((TOTAL_FAILURES + failures))
}
run admin "$ADMIN"
run patient "$PATIENT"

if kill -0 "$SERVER_PID" 2>/dev/null; then :; else echo "schemathesis: the server died" >&2; TOTAL_FAILURES=$((TOTAL_FAILURES + 1)); fi
# Our own errors (a 500 would log one); actix's complaints about malformed
# requests it answered with 400 are not ours.
if grep '"level":"ERROR"' "$WORK/server.log" | grep -q '"target":"aftercare'; then
  echo "schemathesis: the server logged errors:" >&2
  grep '"level":"ERROR"' "$WORK/server.log" | grep '"target":"aftercare' | head -20 >&2
  TOTAL_FAILURES=$((TOTAL_FAILURES + 1))
fi
echo
echo "schemathesis $SCHEMATHESIS_VERSION figures:"
printf '  %s\n' "${summary[@]}"
if [ "$TOTAL_FAILURES" -ne 0 ]; then
  echo "schemathesis: FAILED ($TOTAL_FAILURES failures)" >&2
  exit 1
fi
echo "schemathesis: passed, 0 failures"
