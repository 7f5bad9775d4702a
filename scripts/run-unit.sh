#!/usr/bin/env bash
# Run host unit-test binaries (cmocka); print each failing binary's output and one summary line.
set -u
passed=0 failed=0
for t in "$@"; do
  if out=$("$t" 2>&1); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf '%s\n' "$out"
    echo "FAILED: $t"
  fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
