#!/usr/bin/env bash
# Brook vs Apache Kafka 4.3.1, one after the other on loopback, same JVM heap, same client tools
# (Kafka's ProducerPerformance, ConsumerPerformance and EndToEndLatency).
# Kafka is resolved from Maven Central at bench time (brook-bench/kafka/pom.xml).
#
#   brook-bench/side-by-side.sh                # full size: 3M x 100 B, 1M x 1 KiB, RUNS=1
#   SCALE=10 RUNS=3 brook-bench/side-by-side.sh # a tenth of the records, 3 runs each, medians
#   ROWS=compact RUNS=3 brook-bench/side-by-side.sh # the log cleaner on 1 GiB of keyed data
#   ROWS=idle IDLE_SETTLE_S=90 RUNS=3 brook-bench/side-by-side.sh # idle consumers, JIT-compiled steady state
#   ROWS=restart RUNS=3 brook-bench/side-by-side.sh # restart with 1 GiB, after SIGTERM and after SIGKILL
#   ROWS=rebalance RUNS=3 brook-bench/side-by-side.sh # 10 members x 100 partitions: a join, a crash
#   ROWS=txn RUNS=3 SCALE=2 brook-bench/side-by-side.sh # transactional producer, a commit every 100 ms
#   ROWS=partitions RUNS=3 brook-bench/side-by-side.sh # 10,000 partitions: create, write one record each, hold
#   ROWS=partitions PARTITION_TOPICS=100 PARTITIONS_PER_TOPIC=100 RUNS=3 brook-bench/side-by-side.sh # as 100 x 100
#   ROWS=replicated RUNS=3 brook-bench/side-by-side.sh # 3-node clusters, RF 3: acks=all produce, consume,
#                                               # end-to-end, leader failover (brook-bench/replicated-rows.sh)
#   ROWS=replicated REPL_ROWS="controller-failover create-rf3 reassign" RUNS=3 brook-bench/side-by-side.sh
#                                               # 3-node clusters: controller SIGKILL to the next CreateTopics,
#                                               # 1,000 / 10,000 RF-3 partitions, 100 partitions reassigned
#   ROWS=tls RUNS=3 SCALE=10 brook-bench/side-by-side.sh # PLAINTEXT vs SASL_SSL (SCRAM-SHA-512): produce, consume,
#                                               # connection set-up rate (brook-bench/tls-rows.sh)
#   BASELINE=/path/to/brook-checkout ROWS=produce RUNS=5 brook-bench/side-by-side.sh
#                                               # also an earlier Brook (a built checkout), in the same runs
#
# Brook is built in this checkout (package, never install: bin/brook runs the checkout's own jars);
# BUILD=0 uses what is built already, MVN_ARGS=-o builds and resolves Kafka offline.
# Results: brook-bench/target/side-by-side/results.tsv and report.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCALE=${SCALE:-1}
RUNS=${RUNS:-1}
HEAP=${HEAP:--Xms1g -Xmx1g}
PORT=${PORT:-19092}
N_SMALL=$((3000000 / SCALE))
N_KIB=$((1000000 / SCALE))
N_E2E=${N_E2E:-5000}
IDLE_CONSUMERS=${IDLE_CONSUMERS:-100}
IDLE_WINDOW_S=${IDLE_WINDOW_S:-20}
IDLE_SETTLE_S=${IDLE_SETTLE_S:-20}              # before the window; 90 shows the JIT-compiled steady state
PARTITION_TOPICS=${PARTITION_TOPICS:-10}        # x PARTITIONS_PER_TOPIC partitions each
PARTITIONS_PER_TOPIC=${PARTITIONS_PER_TOPIC:-1000}
PARTITIONS_QUIET_S=${PARTITIONS_QUIET_S:-60}    # nothing happens this long before open files are counted
# Brook's idle-segment time for that row: a quiet minute sees every segment idle (default 5 min)
BROOK_PARTITIONS_IDLE_MS=${BROOK_PARTITIONS_IDLE_MS:-30000}
ROWS=${ROWS:-produce consume e2e idle}
N_COMPACT=$((1048576 / SCALE))   # records of 1 KiB: 1 GiB, 10% unique keys
COMPACT_SEGMENT_BYTES=${COMPACT_SEGMENT_BYTES:-67108864}
OUT="$ROOT/brook-bench/target/side-by-side"
rm -rf "$OUT"; mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
: > "$RESULTS"

echo "building Brook and resolving Apache Kafka 4.3.1..." >&2
[ "${BUILD:-1}" = 0 ] || ./mvnw -B -q ${MVN_ARGS:-} -DskipTests package >&2
(cd brook-bench/kafka && ../../mvnw -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.outputFile="$OUT/kafka-cp.txt" >&2)
KAFKA_CP="$(cat "$OUT/kafka-cp.txt")"
BENCH_CLASSES="$ROOT/brook-bench/target/classes"
CLK_TCK=$(getconf CLK_TCK)
SERVER_PID=""
EXTRA_LISTENER=""   # a second client listener of the single-node server (name://host:port), the tls rows'
EXTRA_SETTINGS=""   # more server settings, key=value lines (the tls rows')
# shellcheck source=brook-bench/replicated-rows.sh
source "$ROOT/brook-bench/replicated-rows.sh"
# shellcheck source=brook-bench/tls-rows.sh
source "$ROOT/brook-bench/tls-rows.sh"
stop_all() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  local p
  for p in "${NODE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
trap stop_all EXIT
SINGLE_ROWS=" $ROWS "; SINGLE_ROWS="${SINGLE_ROWS// replicated / }"; SINGLE_ROWS="${SINGLE_ROWS// tls / }"
if [[ -n "${SINGLE_ROWS// /}" || " $ROWS " == *" tls "* ]] && (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null; then
  echo "port $PORT is already in use; stop what listens there or set PORT" >&2; exit 1
fi

LOGGING="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
tool() { java -Xmx512m $LOGGING -cp "$KAFKA_CP" "$@"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_port() {
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/localhost/$PORT") 2>/dev/null && return 0; sleep 0.2; done
  echo "server did not open port $PORT" >&2; return 1
}
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RESULTS"; }  # system run row metric value

# start_<system> DIR [keep]: 'keep' restarts on the data already there (Brook never formats its single node)
start_brook() {
  start_brook_from "$ROOT" "$1"
}

start_brook_from() {
  local home="$1" dir="$2" BROOK_IDLE_MS=300000
  [[ " $ROWS " == *" partitions "* ]] && BROOK_IDLE_MS=$BROOK_PARTITIONS_IDLE_MS
  local extra=() line
  while IFS= read -r line; do [ -z "$line" ] || extra+=(--override "$line"); done <<< "$EXTRA_SETTINGS"
  LOG_DIR="$OUT/logs-$(basename "$dir")" BROOK_JAVA_OPTS="$HEAP" "$home/bin/brook" server \
      --override "listeners=PLAINTEXT://localhost:$PORT${EXTRA_LISTENER:+,$EXTRA_LISTENER}" "${extra[@]}" \
      --override "log.dirs=$dir" --override group.initial.rebalance.delay.ms=0 \
      --override group.consumer.session.timeout.ms=6000 --override group.consumer.heartbeat.interval.ms=1000 \
      --override "brook.log.segment.idle.ms=$BROOK_IDLE_MS" > "$OUT/brook-server.log" 2>&1 &
  SERVER_PID=$!
}

start_baseline() {
  start_brook_from "$BASELINE" "$1"
}

start_kafka() {
  local dir="$1" props="$OUT/kafka.properties"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:$((PORT + 1))
listeners=PLAINTEXT://localhost:$PORT,CONTROLLER://localhost:$((PORT + 1))${EXTRA_LISTENER:+,$EXTRA_LISTENER}
advertised.listeners=PLAINTEXT://localhost:$PORT${EXTRA_LISTENER:+,$EXTRA_LISTENER}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
group.consumer.min.session.timeout.ms=6000
group.consumer.session.timeout.ms=6000
group.consumer.min.heartbeat.interval.ms=1000
group.consumer.heartbeat.interval.ms=1000
PROPS
  echo "$EXTRA_SETTINGS" >> "$props"   # later lines win
  if [ "${2:-}" != keep ]; then
    local cluster_id
    cluster_id=$(tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" > "$OUT/kafka-format.log" 2>&1
  fi
  java $HEAP $LOGGING -Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage.internals.log.LogCleaner\$CleanerThread=info \
      -cp "$KAFKA_CP" kafka.Kafka "$props" > "$OUT/kafka-server.log" 2>&1 &
  SERVER_PID=$!
}

# runs "$@" while measuring the server's CPU; prints the tool output; records cpu seconds
measured() {
  local system="$1" run="$2" row="$3"; shift 3
  local before after
  before=$(cpu_ticks "$SERVER_PID")
  "$@" > "$OUT/$system-$run-$row.out" 2>&1 || echo "exit status $?" >> "$OUT/$system-$run-$row.out"
  after=$(cpu_ticks "$SERVER_PID")
  record "$system" "$run" "$row" broker_cpu_s "$(awk -v a="$after" -v b="$before" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/t}')"
}

producer_row() {
  local system="$1" run="$2" row="$3" topic="$4" records="$5" size="$6"; shift 6
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic "$topic" \
      --partitions 6 --replication-factor 1 > /dev/null
  measured "$system" "$run" "$row" tool org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput -1 \
      --producer-props "bootstrap.servers=localhost:$PORT" "$@"
  record_producer_stats "$system" "$run" "$row" "$records" "$size"
}

# ProducerPerformance's summary line in $OUT/<system>-<run>-<row>.out
record_producer_stats() {
  local system="$1" run="$2" row="$3" records="$4" size="$5" line
  line=$(grep "records sent" "$OUT/$system-$run-$row.out" | tail -1)
  record "$system" "$run" "$row" records_per_s "$(echo "$line" | sed -E 's/.* ([0-9.]+) records\/sec.*/\1/')"
  record "$system" "$run" "$row" mb_per_s "$(echo "$line" | sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/')"
  record "$system" "$run" "$row" p50_ms "$(echo "$line" | sed -E 's/.* ([0-9]+) ms 50th.*/\1/')"
  record "$system" "$run" "$row" p99_ms "$(echo "$line" | sed -E 's/.* ([0-9]+) ms 99th.*/\1/')"
  record "$system" "$run" "$row" p999_ms "$(echo "$line" | sed -E 's/.* ([0-9]+) ms 99.9th.*/\1/')"
  record "$system" "$run" "$row" gb "$(awk -v n="$records" -v s="$size" 'BEGIN{printf "%.4f", n*s/1e9}')"
}

# ConsumerPerformance's figures in $OUT/<system>-<run>-<row>.out
record_consumer_stats() {
  local system="$1" run="$2" row="$3" stats
  # start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  stats=$(grep -E '^[0-9]{4}-' "$OUT/$system-$run-$row.out" | tail -1)
  record "$system" "$run" "$row" records_per_s "$(echo "$stats" | awk -F', *' '{print $10}')"
  record "$system" "$run" "$row" mb_per_s "$(echo "$stats" | awk -F', *' '{print $9}')"
  record "$system" "$run" "$row" gb "$(echo "$stats" | awk -F', *' '{printf "%.4f", $3 * 1048576 / 1e9}')"
  # the whole read, group join included (the join creates __consumer_offsets on a fresh server)
  record "$system" "$run" "$row" records_per_s_with_join "$(echo "$stats" | awk -F', *' '{print $6}')"
  record "$system" "$run" "$row" join_ms "$(echo "$stats" | awk -F', *' '{print $7}')"
}

# EndToEndLatency's percentiles in $OUT/<system>-<run>-<row>.out
record_e2e_stats() {
  local system="$1" run="$2" row="$3" pct
  pct=$(grep "Percentiles" "$OUT/$system-$run-$row.out" | tail -1)
  record "$system" "$run" "$row" p50_ms "$(echo "$pct" | sed -E 's/.*50th = ([0-9.]+).*/\1/')"
  record "$system" "$run" "$row" p99_ms "$(echo "$pct" | sed -E 's/.*99th = ([0-9.]+),.*/\1/')"
  record "$system" "$run" "$row" p999_ms "$(echo "$pct" | sed -E 's/.*99.9th = ([0-9.]+).*/\1/')"
}

bench_system() {
  local system="$1" run="$2" dir
  dir="$(mktemp -d /tmp/side-by-side-$system.XXXXXX)"
  "start_$system" "$dir"
  wait_port
  sleep 2
  if [[ " $ROWS " == *" produce "* || " $ROWS " == *" consume "* ]]; then
    producer_row "$system" "$run" produce_100B_acks1 p100a1 "$N_SMALL" 100 acks=1
  fi
  if [[ " $ROWS " == *" produce "* ]]; then
    producer_row "$system" "$run" produce_100B_acksall p100all "$N_SMALL" 100 acks=all
    producer_row "$system" "$run" produce_1KiB_none p1k "$N_KIB" 1024 acks=1 compression.type=none
    producer_row "$system" "$run" produce_1KiB_lz4 p1klz4 "$N_KIB" 1024 acks=1 compression.type=lz4
  fi
  if [[ " $ROWS " == *" txn "* ]]; then
    # a transactional producer committing every 100 ms (the pace of Kafka Streams exactly-once), acks=all
    producer_row "$system" "$run" produce_1KiB_txn_100ms ptxn "$N_KIB" 1024 acks=all \
        --transactional-id "perf-txn-$run" --transaction-duration-ms 100
  fi
  if [[ " $ROWS " == *" consume "* ]]; then

  measured "$system" "$run" consume_100B tool org.apache.kafka.tools.ConsumerPerformance \
      --bootstrap-server "localhost:$PORT" --topic p100a1 --messages "$N_SMALL" --group "perf-$run" --timeout 120000
  record_consumer_stats "$system" "$run" consume_100B
  fi

  if [[ " $ROWS " == *" e2e "* ]]; then
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic e2e \
      --partitions 1 --replication-factor 1 > /dev/null
  measured "$system" "$run" e2e_1KiB tool org.apache.kafka.tools.EndToEndLatency --bootstrap-server \
      "localhost:$PORT" --topic e2e --num-records "$N_E2E" --producer-acks 1 --record-size 1024
  record_e2e_stats "$system" "$run" e2e_1KiB
  fi
  if [[ " $ROWS " == *" idle "* ]]; then
    # many consumers long-polling an idle partition: the server should spend almost nothing on them
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic idle \
        --partitions 1 --replication-factor 1 > /dev/null
    java -Xmx1g $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.IdleConsumers "localhost:$PORT" idle \
        "$IDLE_CONSUMERS" "$IDLE_WINDOW_S" "$SERVER_PID" "$IDLE_SETTLE_S" > "$OUT/$system-$run-idle.out" 2>&1 || true
    read -r idle_cpu idle_window < <(grep -E '^[0-9.]+ [0-9]+$' "$OUT/$system-$run-idle.out" | tail -1)
    record "$system" "$run" "idle_${IDLE_CONSUMERS}_consumers" broker_cpu_percent \
        "$(awk -v c="$idle_cpu" -v w="$idle_window" 'BEGIN{printf "%.2f", 100 * c / w}')"
  fi

  if [[ " $ROWS " == *" compact "* ]]; then
    # 1 GiB written under cleanup.policy=delete, then switched to compact: both cleaners meet the
    # same single dirty section and report their own timing (bytes rewritten / whole cleaning)
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic compact \
        --partitions 1 --replication-factor 1 --config "segment.bytes=$COMPACT_SEGMENT_BYTES" > /dev/null
    # Brook logs to LOG_DIR (start_brook_from), Kafka's stdout is its log
    local server_log="$OUT/kafka-server.log" ms bytes mib secs rate
    [ "$system" = kafka ] || server_log="$OUT/logs-$(basename "$dir")/server.log"
    java -Xmx1g $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.KeyedLoad "localhost:$PORT" compact \
        "$N_COMPACT" 1024 "$((N_COMPACT / 10))" > "$OUT/$system-$run-compact.out" 2>&1
    for _ in $(seq 1 600); do
      grep -qE "Cleaned compact-0|cleaned log compact-0" "$server_log" && break
      sleep 1
    done
    sleep 2
    if [ "$system" != kafka ]; then
      # Cleaned compact-0 up to offset N in M ms: A -> B bytes ...
      read -r ms bytes < <(grep -m1 "Cleaned compact-0" "$server_log" | sed -E 's/.* in ([0-9]+) ms: ([0-9]+) -> .*/\1 \2/')
      secs=$(awk -v m="$ms" 'BEGIN{printf "%.2f", m / 1000}')
      mib=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b / 1048576}')
    else
      # <MiB> MB of log processed in <s> seconds (<MiB/s> MB/sec). -- the rate has the precision
      read -r mib rate < <(grep -m1 "MB of log processed" "$server_log" | tr -d ',' \
          | sed -E 's/.*[[:space:]]([0-9.]+) MB of log processed in [0-9.]+ seconds \(([0-9.]+) MB\/sec.*/\1 \2/')
      secs=$(awk -v m="$mib" -v r="$rate" 'BEGIN{printf "%.2f", m / r}')
    fi
    record "$system" "$run" cleaner_1GiB_10pct_keys cleaned_mib "$mib"
    record "$system" "$run" cleaner_1GiB_10pct_keys cleaning_s "$secs"
    record "$system" "$run" cleaner_1GiB_10pct_keys mib_per_s "$(awk -v m="$mib" -v s="$secs" 'BEGIN{printf "%.1f", m / s}')"
  fi

  if [[ " $ROWS " == *" restart "* ]]; then
    # 1 GiB in one partition, then the time from launching the server again until it answers
    # ListOffsets with the full log: after a clean stop (SIGTERM) and after a crash (SIGKILL,
    # everything written since the last recovery-point checkpoint is scanned again)
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic restart \
        --partitions 1 --replication-factor 1 > /dev/null
    tool org.apache.kafka.tools.ProducerPerformance --topic restart --num-records "$N_KIB" --record-size 1024 \
        --throughput -1 --producer-props "bootstrap.servers=localhost:$PORT" acks=1 > "$OUT/$system-$run-restart-load.out" 2>&1
    local signal waiter out
    for signal in TERM KILL; do
      kill -"$signal" "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
      # the waiter's client is up before the server is launched, so only the server's start counts
      out="$OUT/$system-$run-restart-$signal.out"
      rm -f "$OUT/launch"
      java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.WaitReady "localhost:$PORT" restart \
          "$N_KIB" "$OUT/launch" > "$out" 2>&1 &
      waiter=$!
      until grep -q waiting "$out"; do sleep 0.05; done
      date +%s%3N > "$OUT/launch.tmp" && mv "$OUT/launch.tmp" "$OUT/launch"
      "start_$system" "$dir" keep
      wait "$waiter" || true
      record "$system" "$run" "restart_1GiB_after_SIG$signal" ready_ms "$(tail -1 "$out")"
    done
  fi

  if [[ " $ROWS " == *" rebalance "* ]]; then
    # classic protocol, eager (range) and cooperative (cooperative-sticky), and KIP-848 (consumer)
    local assignor name out
    for assignor in org.apache.kafka.clients.consumer.RangeAssignor \
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor consumer; do
      name="${assignor##*.}"
      out="$OUT/$system-$run-rebalance-$name.out"
      java -Xmx1g $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.RebalanceBench "localhost:$PORT" \
          "$assignor" > "$out" 2>&1 || true
      record "$system" "$run" "rebalance_10x100_${name}_join" ms "$(awk '/^join_ms/ {print $2}' "$out")"
      record "$system" "$run" "rebalance_10x100_${name}_crash" ms "$(awk '/^crash_ms/ {print $2}' "$out")"
    done
  fi

  if [[ " $ROWS " == *" partitions "* ]]; then
    # PARTITION_TOPICS x PARTITIONS_PER_TOPIC partitions, one record written to each; after a quiet spell, the
    # files the server holds open (segment files, index mmaps do not count) and its resident memory
    out="$OUT/$system-$run-partitions.out"
    java -Xmx1g $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.ManyPartitionsLoad "localhost:$PORT" \
        "$PARTITION_TOPICS" "$PARTITIONS_PER_TOPIC" > "$out" 2>&1 || true
    local row="partitions_${PARTITION_TOPICS}x${PARTITIONS_PER_TOPIC}"
    record "$system" "$run" "$row" create_ms "$(awk '/^create_ms/ {print $2}' "$out")"
    record "$system" "$run" "$row" produce_one_each_ms "$(awk '/^produce_ms/ {print $2}' "$out")"
    sleep "$PARTITIONS_QUIET_S"
    record "$system" "$run" "$row" open_files "$(ls "/proc/$SERVER_PID/fd" | wc -l)"
    record "$system" "$run" "$row" rss_mb "$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status")"
  fi

  record "$system" "$run" all peak_rss_mb "$(( $(peak_rss_kb "$SERVER_PID") / 1024 ))"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$dir"
}

SYSTEMS="brook kafka"
[ -n "${BASELINE:-}" ] && SYSTEMS="brook baseline kafka"
for run in $(seq 1 "$RUNS"); do
  for system in $SYSTEMS; do
    if [ -n "${SINGLE_ROWS// /}" ]; then
      echo "run $run: $system" >&2
      bench_system "$system" "$run"
    fi
    if [[ " $ROWS " == *" tls "* && "$system" != baseline ]]; then
      echo "run $run: $system, PLAINTEXT and SASL_SSL" >&2
      bench_tls "$system" "$run"
    fi
    if [[ " $ROWS " == *" replicated "* && "$system" != baseline ]]; then
      echo "run $run: $system, 3 nodes" >&2
      bench_cluster "$system" "$run"
    fi
  done
done
python3 "$ROOT/brook-bench/report.py" "$RESULTS" > "$OUT/report.md"
cat "$OUT/report.md"
