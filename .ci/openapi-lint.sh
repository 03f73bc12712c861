#!/usr/bin/env bash
# openapi.yaml as a contract, every tool pinned: two independent validators
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

# A TypeScript client generated from the spec must type a real app's calls:
# sign-in, refresh, a log, and WatermelonDB's pull and push with its own types.
"$HERE/node_modules/.bin/openapi-typescript" openapi.yaml -o "$HERE/client/aftercare.d.ts" --silent
(cd "$HERE" && node_modules/.bin/tsc -p tsconfig.json)
echo "openapi-lint: the generated TypeScript client type-checks (tsc --noEmit --strict)"
