#!/usr/bin/env bash
# Runs the storage JMH benchmarks. Usage: brook-bench/jmh.sh [JMH options, e.g. -prof gc or a regex]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
./mvnw -B -q -DskipTests install -pl brook-bench -am >&2
CP_FILE="$ROOT/brook-bench/target/classpath.txt"
(cd brook-bench && ../mvnw -B -q dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime >&2)
exec java -cp "$ROOT/brook-bench/target/classes:$(cat "$CP_FILE")" org.openjdk.jmh.Main "$@"
