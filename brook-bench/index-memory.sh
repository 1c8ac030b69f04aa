#!/usr/bin/env bash
# Memory of a node holding many partitions with some data in each: heap used after a full GC, RSS
# (anonymous and file-backed) and the index files mapped, for this checkout and an earlier built one
# (BASELINE), one after the other in the same run. Both must be built already (`./mvnw -DskipTests
# package`; never `install`). Each partition gets several batches, so its active segment has index
# entries. Measured twice: right after the load, and after the idle-segment sweep released what the
# load touched (brook.log.segment.idle.ms=IDLE_MS; IDLE_WAIT_S=0 skips that). SERVER_OVERRIDES adds
# server settings (e.g. log.index.interval.bytes=128 for denser indexes).
#
#   BASELINE=/path/to/built/brook TOPICS=10 PARTITIONS=1000 brook-bench/index-memory.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOPICS=${TOPICS:-10}
PARTITIONS=${PARTITIONS:-1000}
RECORDS_PER_TOPIC=${RECORDS_PER_TOPIC:-16000}   # of 1 KiB: about 16 KiB per partition
IDLE_MS=${IDLE_MS:-30000}
IDLE_WAIT_S=${IDLE_WAIT_S:-$((IDLE_MS * 5 / 2 / 1000))}
read -r -a OVERRIDES <<< "${SERVER_OVERRIDES:-}"
EXTRA=()
for o in "${OVERRIDES[@]}"; do EXTRA+=(--override "$o"); done
PORT=${PORT:-$((20000 + RANDOM % 20000))}
OUT="${OUT:-$ROOT/brook-bench/target/index-memory}"
rm -rf "$OUT"; mkdir -p "$OUT"
(cd "$ROOT/brook-bench/kafka" && ../../mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile="$OUT/kafka-cp.txt" >&2)
KAFKA_CP="$(cat "$OUT/kafka-cp.txt")"
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true' EXIT

measure() { # $1 = system, $2 = label
  jcmd "$PID" GC.run > /dev/null
  local heap rss anon file maps
  heap=$(jcmd "$PID" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9)
  rss=$(grep VmRSS "/proc/$PID/status" | tr -dc 0-9)
  anon=$(grep RssAnon "/proc/$PID/status" | tr -dc 0-9)
  file=$(grep RssFile "/proc/$PID/status" | tr -dc 0-9)
  maps=$(grep -c 'index$' "/proc/$PID/maps" || true)
  echo "$1 $2 heap_used_kib=$heap rss_kib=$rss rss_anon_kib=$anon rss_file_kib=$file index_mappings=$maps" \
      | tee -a "$OUT/results.txt"
}

for system in baseline brook; do
  home="$ROOT"; [ "$system" = baseline ] && home="$BASELINE"
  rm -rf "$OUT/data"
  BROOK_CDS=off LOG_DIR="$OUT/logs-$system" BROOK_JAVA_OPTS="-Xms1g -Xmx1g" "$home/bin/brook" server \
      --override "listeners=PLAINTEXT://localhost:$PORT" --override "log.dirs=$OUT/data" \
      --override "brook.log.segment.idle.ms=$IDLE_MS" ${EXTRA[@]+"${EXTRA[@]}"} > "$OUT/server-$system.out" 2>&1 &
  PID=$!
  for _ in $(seq 1 3000); do
    (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/server-$system.out" >&2; exit 1; }
    sleep 0.02
  done
  for t in $(seq 1 "$TOPICS"); do
    "$ROOT/bin/brook" topics create --bootstrap-server "localhost:$PORT" --topic "many-$t" \
        --partitions "$PARTITIONS" > /dev/null
    # small batches spread over the topic's partitions (the sticky partitioner moves on after each)
    java -Xmx256m -cp "$KAFKA_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        org.apache.kafka.tools.ProducerPerformance --topic "many-$t" --num-records "$RECORDS_PER_TOPIC" \
        --record-size 1024 --throughput -1 --producer-props "bootstrap.servers=localhost:$PORT" acks=1 \
        batch.size=3000 linger.ms=2 > "$OUT/load-$system-$t.out" 2>&1
  done
  sleep 5
  measure "$system" loaded
  if [ "$IDLE_WAIT_S" -gt 0 ]; then
    sleep "$IDLE_WAIT_S"
    measure "$system" idle
  fi
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  du -sk "$OUT/data" | sed "s/^/$system data_kib=/" | tee -a "$OUT/results.txt"
done
