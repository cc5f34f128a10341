#!/usr/bin/env bash
# Static checks beyond go vet, pinned so that a new release cannot turn CI
# red on its own: staticcheck, and govulncheck against a vulnerability
# database built here from the golang.org/x/vulndb module (CI reaches the Go
# module proxy but not vuln.go.dev).
#
#   TOOLS_BIN=dir   where the tools are installed (default: a cache dir)
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK=golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB=golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018

bin="${TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/atlasbridge-ci/bin}"
mkdir -p "$bin"
export GOBIN="$bin"
# The tools are built with cgo off: they need no C, and the race run sets
# CGO_ENABLED=1 for itself.
for tool in "$STATICCHECK" "$GOVULNCHECK" "golang.org/x/vulndb/cmd/indexdb@${VULNDB#*@}"; do
  CGO_ENABLED=0 go install "$tool"
done

echo "staticcheck ($STATICCHECK)"
"$bin/staticcheck" ./...

# The database: the module's OSV files indexed into the v1 layout that
# govulncheck reads with -db file://.
db="$bin/../vulndb-${VULNDB#*@}"
if [ ! -f "$db/index/db.json" ]; then
  src=$(go mod download -json "$VULNDB" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$db.tmp" && "$bin/indexdb" -vulns "$src/data/osv" -out "$db.tmp" && mv "$db.tmp" "$db"
fi
echo "govulncheck ($GOVULNCHECK, database $VULNDB)"
# Exit status 3 means a vulnerable symbol is reachable from our code.
"$bin/govulncheck" -db "file://$(cd "$db" && pwd)" ./...
