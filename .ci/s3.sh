#!/usr/bin/env bash
# An S3-compatible server for the photo tests' S3 pass: moto's server from
# PyPI (pinned, in its own venv), on a free loopback port, with the test
# bucket created. Prints the variables the test suite reads, for `eval`:
#   eval "$(.ci/s3.sh)"
# AFTERCARE_TEST_S3_ENDPOINT, AFTERCARE_TEST_S3_BUCKET and
# AFTERCARE_TEST_S3_PID (stop it with `kill "$AFTERCARE_TEST_S3_PID"`).
# Progress goes to stderr; any failure exits non-zero (never skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.1
VENV=.ci/.venv-moto
if ! "$VENV/bin/pip" show moto 2>/dev/null | grep -qx "Version: $MOTO_VERSION"; then
  echo "s3: installing moto[server]==$MOTO_VERSION into $VENV" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="${TMPDIR:-/tmp}/aftercare-moto-$PORT.log"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 </dev/null &
PID=$!
ENDPOINT="http://127.0.0.1:$PORT"
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$ENDPOINT/" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { echo "s3: FAILED: moto_server exited (see $LOG)" >&2; exit 1; }
  sleep 0.5
done
BUCKET=aftercare-test
# moto's server does not check signatures: a plain PUT creates the bucket.
curl -fsS -o /dev/null -X PUT "$ENDPOINT/$BUCKET" \
  || { echo "s3: FAILED: cannot create bucket $BUCKET at $ENDPOINT (see $LOG)" >&2; kill "$PID"; exit 1; }
echo "s3: moto $MOTO_VERSION at $ENDPOINT, bucket $BUCKET (pid $PID)" >&2
echo "export AFTERCARE_TEST_S3_ENDPOINT=$ENDPOINT AFTERCARE_TEST_S3_BUCKET=$BUCKET AFTERCARE_TEST_S3_PID=$PID"
