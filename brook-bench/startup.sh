#!/usr/bin/env bash
# Start-up of the default single node, side by side with Apache Kafka 4.3.1 (KRaft, broker+controller):
# milliseconds from launching the server to its port accepting connections, RUNS times each,
# alternating, over a small data directory kept between runs (Brook: its two internal topics,
# 100 partitions, made by the first start; Kafka: formatted once). Also the server's CPU time by then.
#
#   RUNS=10 brook-bench/startup.sh            # medians in brook-bench/target/startup/report.txt
#   BASELINE=/path/to/built/brook RUNS=10 brook-bench/startup.sh   # also an earlier Brook build
#   BUILD=0 MVN_ARGS=-o RUNS=5 brook-bench/startup.sh  # what is built already; Kafka resolved offline
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS=${RUNS:-10}
PORT=${PORT:-19192}
OUT="$ROOT/brook-bench/target/startup"
rm -rf "$OUT"; mkdir -p "$OUT"
[ "${BUILD:-1}" = 0 ] || ./mvnw -B -q ${MVN_ARGS:-} -DskipTests package >&2
(cd brook-bench/kafka && ../../mvnw -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.outputFile="$OUT/kafka-cp.txt" >&2)
KAFKA_CP="$(cat "$OUT/kafka-cp.txt")"
TCK=$(getconf CLK_TCK)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT
if (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null; then
  echo "port $PORT is already in use; set PORT" >&2; exit 1
fi

start_brook() { # $1 = checkout
  LOG_DIR="$OUT/logs-$(basename "$1")" "$1/bin/brook" server --override "listeners=PLAINTEXT://localhost:$PORT" \
      --override "log.dirs=$OUT/data-$(basename "$1")" > "$OUT/server.out" 2>&1 &
  PID=$!
}

KAFKA_PROPS="$OUT/kafka.properties"
cat > "$KAFKA_PROPS" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:$((PORT + 1))
listeners=PLAINTEXT://localhost:$PORT,CONTROLLER://localhost:$((PORT + 1))
advertised.listeners=PLAINTEXT://localhost:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$OUT/data-kafka
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
PROPS
java -cp "$KAFKA_CP" kafka.tools.StorageTool format --standalone \
    -t "$(java -cp "$KAFKA_CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" -c "$KAFKA_PROPS" \
    > "$OUT/kafka-format.log" 2>&1
start_kafka() {
  java -Xms512m -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$KAFKA_CP" kafka.Kafka "$KAFKA_PROPS" > "$OUT/server.out" 2>&1 &
  PID=$!
}

measure() { # $1 = name, $2... = start command; appends "name wall_ms cpu_ms"
  local name="$1"; shift
  local start end cpu
  start=$(date +%s%N)
  "$@"
  for _ in $(seq 1 6000); do
    (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { echo "$name did not start:"; cat "$OUT/server.out"; exit 1; } >&2
    sleep 0.01
  done
  end=$(date +%s%N)
  cpu=$(awk -v t="$TCK" '{print int(($14 + $15) * 1000 / t)}' "/proc/$PID/stat")
  echo "$name $(((end - start) / 1000000)) $cpu" >> "$OUT/results.txt"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

# one start each first: Brook makes its internal topics and its class-data archive, Kafka its metadata
start_brook "$ROOT"; sleep 5; kill "$PID"; wait "$PID" 2>/dev/null || true
if [ -n "${BASELINE:-}" ]; then start_brook "$BASELINE"; sleep 5; kill "$PID"; wait "$PID" 2>/dev/null || true; fi
start_kafka; sleep 10; kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
for _ in $(seq 1 "$RUNS"); do
  measure brook start_brook "$ROOT"
  if [ -n "${BASELINE:-}" ]; then measure baseline start_brook "$BASELINE"; fi
  measure kafka start_kafka
done
awk '{wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3}
     END {for (s in wall) print s, wall[s], "|", cpu[s]}' "$OUT/results.txt" | while read -r name rest; do
  walls=$(echo "$rest" | cut -d'|' -f1); cpus=$(echo "$rest" | cut -d'|' -f2)
  med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
  echo "$name: start to listening port median $(echo "$walls" | med) ms (runs:$walls), CPU by then median $(echo "$cpus" | med) ms"
done | sort | tee "$OUT/report.txt"
