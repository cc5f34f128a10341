#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a bounded time each and fails
# when one finds a crash. Targets are discovered (every `func FuzzX(f
# *testing.F)` in a *_test.go file), so new ones join without editing this.
#
#   FUZZTIME=10s   time per target (go test -fuzztime syntax: 10s, 1m, 5000x)
#   FUZZ_MATCH=re  only targets whose "pkg/dir FuzzName" matches this regexp
#
# A crash is written by go test to <package>/testdata/fuzz/<FuzzName>/<hash>;
# commit that file: plain `go test` then replays it as a regression case.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"
FUZZ_MATCH="${FUZZ_MATCH:-.}"
export CGO_ENABLED="${CGO_ENABLED:-0}"

mapfile -t targets < <(
  grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' . |
    sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+).*#\1 \2#' |
    sort -u | grep -E -- "$FUZZ_MATCH"
)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz: no target matches $FUZZ_MATCH" >&2
  exit 1
fi

echo "fuzz: ${#targets[@]} targets, $FUZZTIME each"
passed=0
failed=0
failures=()
start=$(date +%s)
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  log=$(mktemp)
  t0=$(date +%s)
  if go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 10s >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $dir $name ($(($(date +%s) - t0))s, $(grep -Eo 'execs: [0-9]+' "$log" | tail -1))"
  else
    failed=$((failed + 1))
    failures+=("$dir $name")
    echo "FAIL  $dir $name"
    sed 's/^/    /' "$log"
    ls "$dir/testdata/fuzz/$name" 2>/dev/null | sed "s#^#    crasher kept: $dir/testdata/fuzz/$name/#"
  fi
  rm -f "$log"
done
echo "fuzz: $(($(date +%s) - start))s in all"
for f in "${failures[@]}"; do
  echo "fuzz: crashed: $f" >&2
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
