#!/usr/bin/env bash
# Long protocol-fuzz run against a real bin/brook server (ProtocolFuzzTest).
#   brook-tests/fuzz.sh [frames] [max-seconds] [seed]
# Defaults: 1,000,000 frames, at most an hour, a fresh seed (printed; pass it again to replay).
# The summary line ("FUZZ SUMMARY ...") and any failure are printed at the end;
# the server's output is in brook-tests/target/server-logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRAMES="${1:-${BROOK_FUZZ_FRAMES:-1000000}}"
SECONDS_MAX="${2:-${BROOK_FUZZ_SECONDS:-3600}}"
SEED="${3:-${BROOK_FUZZ_SEED:-}}"
cd "$ROOT"
status=0
./mvnw -B -q -pl brook-tests -am verify -Dtest=ProtocolFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Djunit.jupiter.execution.timeout.mode=disabled -Dbrook.test.fork.timeout.s=0 \
  -Dbrook.fuzz.frames="$FRAMES" -Dbrook.fuzz.seconds="$SECONDS_MAX" ${SEED:+-Dbrook.fuzz.seed="$SEED"} || status=$?
grep -h "FUZZ SUMMARY\|^after\|^fuzzing" brook-tests/target/surefire-reports/io.brook.tests.ProtocolFuzzTest-output.txt || true
exit $status
