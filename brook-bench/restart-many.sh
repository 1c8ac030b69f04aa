#!/usr/bin/env bash
# Restart after SIGKILL of a node holding 1 GiB spread over many partitions: milliseconds from launching
# `bin/brook server` until its port accepts connections (the partition logs are loaded, and recovered,
# before the port opens). Every start recovers everything after the last recovery-point checkpoint,
# here the whole log. Compares this checkout with an earlier built one (BASELINE), alternating.
#
#   BASELINE=/path/to/built/brook RUNS=3 PARTITIONS=100 brook-bench/restart-many.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS=${RUNS:-3}
PARTITIONS=${PARTITIONS:-100}
RECORDS=${RECORDS:-1048576}   # of 1 KiB
PORT=${PORT:-19292}
OUT="$ROOT/brook-bench/target/restart-many"
rm -rf "$OUT"; mkdir -p "$OUT"
./mvnw -B -q -DskipTests package >&2
(cd brook-bench/kafka && ../../mvnw -B -q dependency:build-classpath -Dmdep.outputFile="$OUT/kafka-cp.txt" >&2)
KAFKA_CP="$(cat "$OUT/kafka-cp.txt")"
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true' EXIT

start() { # $1 = checkout
  LOG_DIR="$OUT/logs-$(basename "$1")" BROOK_JAVA_OPTS="-Xms1g -Xmx1g" "$1/bin/brook" server \
      --override "listeners=PLAINTEXT://localhost:$PORT" --override "log.dirs=$OUT/data" > "$OUT/server.out" 2>&1 &
  PID=$!
}
wait_port() {
  for _ in $(seq 1 30000); do
    (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/server.out" >&2; exit 1; }
    sleep 0.01
  done
  exit 1
}

start "$ROOT"; wait_port
"$ROOT/bin/brook" topics create --bootstrap-server "localhost:$PORT" --topic restart --partitions "$PARTITIONS" >&2
java -Xmx512m -cp "$KAFKA_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    org.apache.kafka.tools.ProducerPerformance --topic restart --num-records "$RECORDS" --record-size 1024 \
    --throughput -1 --producer-props "bootstrap.servers=localhost:$PORT" acks=1 > "$OUT/load.out" 2>&1
tail -1 "$OUT/load.out" >&2
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
: > "$OUT/results.txt"
for run in $(seq 1 "$RUNS"); do
  for system in brook ${BASELINE:+baseline}; do
    home="$ROOT"; [ "$system" = baseline ] && home="$BASELINE"
    sync; s=$(date +%s%N)
    start "$home"; wait_port
    e=$(date +%s%N)
    echo "$system $(((e - s) / 1000000))" | tee -a "$OUT/results.txt"
    grep -h 'Loaded .* partition logs' "$OUT/logs-$(basename "$home")/server.log" | tail -1 >&2
    kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  done
done
