#!/usr/bin/env bash
# openapi.yaml checked by two independent validators, each pinned:
# Redocly CLI with its recommended rules (errors fail; warnings are printed)
# and openapi-spec-validator (the OpenAPI 3.1 meta-schema).
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=.ci/openapi
LOCK_STAMP="$HERE/node_modules/.package-lock.sha256"
LOCK_SUM="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ ! -d "$HERE/node_modules" ] || [ "$(cat "$LOCK_STAMP" 2>/dev/null)" != "$LOCK_SUM" ]; then
  echo "openapi-lint: npm ci"
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$LOCK_SUM" >"$LOCK_STAMP"
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$HERE/node_modules/.bin/redocly" lint openapi.yaml --format=summary 2>&1 \
  | grep -v -e '^ *[║╔╚]' -e '^ *$'

VALIDATOR_VERSION=0.9.0
VENV=.ci/.venv-openapi
if ! "$VENV/bin/pip" show openapi-spec-validator 2>/dev/null | grep -qx "Version: $VALIDATOR_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$VALIDATOR_VERSION"
fi
"$VENV/bin/openapi-spec-validator" openapi.yaml
