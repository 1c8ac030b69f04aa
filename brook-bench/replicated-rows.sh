# Sourced by side-by-side.sh for ROWS=replicated (not run on its own): a 3-node Brook cluster vs a 3-node
# Apache Kafka 4.3.1 KRaft cluster, every node both broker and controller (combined mode, 3 voters), one
# cluster after the other on loopback, the same heap per node, the same client tools as the single-node rows.
# Uses side-by-side.sh's ROOT, OUT, PORT, SCALE, N_SMALL, N_E2E, KAFKA_CP, BENCH_CLASSES, CLK_TCK, LOGGING,
# tool, record, record_producer_stats and record_consumer_stats.
#
# Rows (topic of 3 partitions, replication factor 3, min.insync.replicas=2):
#   replicated_produce_100B_acksall  ProducerPerformance, acks=all, N_SMALL x 100 B: records/s, MB/s,
#                                    p50/p99/p99.9, broker CPU-s per GB (user+system of the 3 nodes, /proc)
#   replicated_consume_100B          ConsumerPerformance over that topic (a group): records/s, MB/s, CPU-s per GB
#   replicated_e2e_1KiB              EndToEndLatency, acks=all, 1 partition (also RF 3, min.insync.replicas=2)
#   replicated_failover_<target>     io.brook.bench.LeaderFailover: SIGKILL of a partition's leader under an
#                                    acks=all producer; ms from the kill to the first acknowledgement of a record
#                                    sent after it, on that partition and on the slowest of the killed broker's
#                                    partitions. REPL_FAILOVER lists the targets, one kill each (the killed node is
#                                    restarted and back in the ISR before the next): p0 (partition 0's leader),
#                                    not-controller (a leader that is not the active controller), controller (the
#                                    active controller, when it leads a partition)
#   replicated_controller_failover   io.brook.bench.ClusterAdminBench controller-failover: SIGKILL of the active
#                                    controller (DescribeQuorum's leader); ms from the kill to the first CreateTopics
#                                    that succeeds, retried by the client (the node is restarted afterwards)
#   replicated_reassign_<N>_rf2      ClusterAdminBench reassign: N partitions of RF 2 (REPL_REASSIGN_PARTITIONS, 100)
#                                    under an acks=all producer, each partition's second replica moved to the third
#                                    broker in one AlterPartitionReassignments; ms until ListPartitionReassignments is
#                                    empty and every target replica is in the ISR
#   replicated_create_rf3_<N>        ClusterAdminBench create: 10 topics of N/10 partitions, RF 3, for each N of
#                                    REPL_CREATE_PARTITIONS (1000 10000); ms until the last CreateTopics answered and
#                                    until every partition has a leader in Metadata; then each node's RSS
# REPL_ROWS picks among produce consume e2e failover controller-failover reassign create-rf3 (the first four by
# default). The new rows run last, in that order: creating 11,000 partitions would weigh on the others.
# Node i listens on PORT + 10 i (clients, other brokers) and PORT + 10 i + 1 (the controller quorum).

CLUSTER_HEAP=${CLUSTER_HEAP:--Xms512m -Xmx512m}
CLUSTER_STOP_S=${CLUSTER_STOP_S:-30}   # SIGTERM, then SIGKILL after this long (the data is thrown away)
REPL_PARTITIONS=3
REPL_ROWS=${REPL_ROWS:-produce consume e2e failover}
REPL_FAILOVER=${REPL_FAILOVER:-not-controller controller}
REPL_REASSIGN_PARTITIONS=${REPL_REASSIGN_PARTITIONS:-100}
REPL_CREATE_PARTITIONS=${REPL_CREATE_PARTITIONS:-1000 10000}
declare -A NODE_PIDS=()

node_port() { echo $((PORT + 10 * $1)); }
controller_port() { echo $((PORT + 10 * $1 + 1)); }
cluster_bootstrap() { echo "localhost:$(node_port 1),localhost:$(node_port 2),localhost:$(node_port 3)"; }
cluster_voters() {
  echo "1@localhost:$(controller_port 1),2@localhost:$(controller_port 2),3@localhost:$(controller_port 3)"
}

cluster_ports_free() {
  local i port
  for i in 1 2 3; do
    for port in "$(node_port "$i")" "$(controller_port "$i")"; do
      if (exec 3<>"/dev/tcp/localhost/$port") 2>/dev/null; then
        echo "port $port is already in use; stop what listens there or set PORT" >&2; return 1
      fi
    done
  done
}

# the settings both systems share: combined node i of 3, its own log directory
node_properties() {
  local i="$1" dir="$2"
  cat <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$(cluster_voters)
listeners=PLAINTEXT://localhost:$(node_port "$i"),CONTROLLER://localhost:$(controller_port "$i")
advertised.listeners=PLAINTEXT://localhost:$(node_port "$i")
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/node$i
num.partitions=1
group.initial.rebalance.delay.ms=0
PROPS
}

# waits until the launched script has become the JVM (bin/brook execs java; its first start after a build
# prepares the class-data archive, which one node at a time does)
await_java() {
  local pid="$1"
  for _ in $(seq 1 1200); do
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = java ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_cluster_brook() {
  local dir="$1" cluster_id i props
  cluster_id=$("$ROOT/bin/brook" storage random-uuid | tail -1)
  for i in 1 2 3; do
    props="$dir/node$i.properties"
    {
      node_properties "$i" "$dir"
      # internal topics keep one replica in Brook until its coordinators move with their partitions (issue 19)
      echo "offsets.topic.replication.factor=1"
      echo "transaction.state.log.replication.factor=1"
      echo "transaction.state.log.min.isr=1"
    } > "$props"
    "$ROOT/bin/brook" storage format --cluster-id "$cluster_id" --config "$props" > "$OUT/brook-format-$i.log" 2>&1
  done
  for i in 1 2 3; do launch_brook "$dir" "$i"; done
}

launch_brook() {
  local dir="$1" i="$2"
  LOG_DIR="$OUT/logs-brook-node$i" BROOK_JAVA_OPTS="$CLUSTER_HEAP" "$ROOT/bin/brook" server \
      --config "$dir/node$i.properties" >> "$OUT/brook-node$i.log" 2>&1 &
  NODE_PIDS[$i]=$!
  await_java "${NODE_PIDS[$i]}" || { echo "brook node $i did not start" >&2; return 1; }
}

start_cluster_kafka() {
  local dir="$1" cluster_id i props
  cluster_id=$(tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  for i in 1 2 3; do
    props="$dir/node$i.properties"
    node_properties "$i" "$dir" > "$props"   # Kafka's defaults otherwise: internal topics get 3 replicas
    tool kafka.tools.StorageTool format -t "$cluster_id" -c "$props" > "$OUT/kafka-format-$i.log" 2>&1
  done
  for i in 1 2 3; do launch_kafka "$dir" "$i"; done
}

launch_kafka() {
  local dir="$1" i="$2"
  java $CLUSTER_HEAP $LOGGING -cp "$KAFKA_CP" kafka.Kafka "$dir/node$i.properties" >> "$OUT/kafka-node$i.log" 2>&1 &
  NODE_PIDS[$i]=$!
}

await_cluster() {
  local i port
  for i in 1 2 3; do
    port=$(node_port "$i")
    for _ in $(seq 1 900); do
      (exec 3<>"/dev/tcp/localhost/$port") 2>/dev/null && continue 2
      kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || break
      sleep 0.2
    done
    echo "node $i did not open port $port (log: $OUT/*-node$i.log)" >&2; return 1
  done
}

stop_cluster() {
  local i pid
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 $((CLUSTER_STOP_S * 5))); do
    for pid in "${NODE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && { sleep 0.2; continue 2; }; done
    break
  done
  for i in "${!NODE_PIDS[@]}"; do
    kill -KILL "${NODE_PIDS[$i]}" 2>/dev/null || true
    wait "${NODE_PIDS[$i]}" 2>/dev/null || true
    unset "NODE_PIDS[$i]"
  done
}

cluster_cpu_ticks() {
  local total=0 pid
  for pid in "${NODE_PIDS[@]}"; do total=$((total + $(cpu_ticks "$pid"))); done
  echo "$total"
}

# runs "$@" while measuring the 3 nodes' CPU; records it as broker_cpu_s
cluster_measured() {
  local system="$1" run="$2" row="$3"; shift 3
  local before after
  before=$(cluster_cpu_ticks)
  "$@" > "$OUT/$system-$run-$row.out" 2>&1 || echo "exit status $?" >> "$OUT/$system-$run-$row.out"
  after=$(cluster_cpu_ticks)
  record "$system" "$run" "$row" broker_cpu_s "$(awk -v a="$after" -v b="$before" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/t}')"
}

# a topic with RF 3 and min.insync.replicas=2, retried while the brokers register; then all replicas in sync
create_replicated_topic() {
  local topic="$1" partitions="$2" bootstrap
  bootstrap=$(cluster_bootstrap)
  for _ in $(seq 1 60); do
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --topic "$topic" \
        --partitions "$partitions" --replication-factor 3 --config min.insync.replicas=2 \
        > "$OUT/create-$topic.out" 2>&1 && break
    sleep 1
  done
  java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.LeaderFailover await "$bootstrap" "$topic" \
      >> "$OUT/create-$topic.out" 2>&1
}

bench_cluster() {
  local system="$1" run="$2" dir bootstrap i pids=""
  dir="$(mktemp -d /tmp/side-by-side-cluster-$system.XXXXXX)"
  cluster_ports_free
  "start_cluster_$system" "$dir"
  await_cluster
  bootstrap=$(cluster_bootstrap)

  if [[ " $REPL_ROWS " == *" produce "* || " $REPL_ROWS " == *" consume "* ]]; then
  create_replicated_topic r100 "$REPL_PARTITIONS"
  cluster_measured "$system" "$run" replicated_produce_100B_acksall tool org.apache.kafka.tools.ProducerPerformance \
      --topic r100 --num-records "$N_SMALL" --record-size 100 --throughput -1 \
      --producer-props "bootstrap.servers=$bootstrap" acks=all
  record_producer_stats "$system" "$run" replicated_produce_100B_acksall "$N_SMALL" 100
  fi

  if [[ " $REPL_ROWS " == *" consume "* ]]; then
  cluster_measured "$system" "$run" replicated_consume_100B tool org.apache.kafka.tools.ConsumerPerformance \
      --bootstrap-server "$bootstrap" --topic r100 --messages "$N_SMALL" --group "perf-r-$run" --timeout 120000
  record_consumer_stats "$system" "$run" replicated_consume_100B
  fi

  if [[ " $REPL_ROWS " == *" e2e "* ]]; then
  create_replicated_topic r-e2e 1
  cluster_measured "$system" "$run" replicated_e2e_1KiB tool org.apache.kafka.tools.EndToEndLatency \
      --bootstrap-server "$bootstrap" --topic r-e2e --num-records "$N_E2E" --producer-acks all --record-size 1024
  record_e2e_stats "$system" "$run" replicated_e2e_1KiB
  fi

  local rss=0
  for i in "${!NODE_PIDS[@]}"; do rss=$((rss + $(peak_rss_kb "${NODE_PIDS[$i]}"))); done
  record "$system" "$run" replicated_all peak_rss_mb_3_nodes "$((rss / 1024))"

  # last: each kill is followed by a restart of the killed node, and the next waits for it to be in sync again
  if [[ " $REPL_ROWS " == *" failover "* ]]; then
  create_replicated_topic r-failover "$REPL_PARTITIONS"
  local target out metric killed
  for target in $REPL_FAILOVER; do
    pids=""
    for i in "${!NODE_PIDS[@]}"; do pids="$pids${pids:+,}$i=${NODE_PIDS[$i]}"; done
    out="$OUT/$system-$run-replicated_failover_$target.out"
    java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.LeaderFailover kill "$bootstrap" \
        r-failover "$pids" "$target" > "$out" 2>&1 || echo "exit status $?" >> "$out"
    for metric in partition_ms all_led_ms leader_visible_ms send_errors killed_was_controller; do
      record "$system" "$run" "replicated_failover_$target" "$metric" "$(awk -v m="$metric" '$1 == m {print $2}' "$out")"
    done
    killed=$(awk '$1 == "killed_node" {print $2}' "$out")
    [ -n "$killed" ] || break
    wait "${NODE_PIDS[$killed]}" 2>/dev/null || true
    "launch_$system" "$dir" "$killed"
    java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.LeaderFailover await "$bootstrap" \
        r-failover >> "$out" 2>&1 || { echo "node $killed did not rejoin the ISR" >&2; break; }
  done
  fi

  if [[ " $REPL_ROWS " == *" controller-failover "* ]]; then
  local out="$OUT/$system-$run-replicated_controller_failover.out" killed metric
  pids=""
  for i in "${!NODE_PIDS[@]}"; do pids="$pids${pids:+,}$i=${NODE_PIDS[$i]}"; done
  cluster_admin_bench controller-failover "$bootstrap" "$pids" > "$out" 2>&1 || echo "exit status $?" >> "$out"
  for metric in create_ms quorum_leader_ms create_before_ms; do
    record "$system" "$run" replicated_controller_failover "$metric" "$(awk -v m="$metric" '$1 == m {print $2}' "$out")"
  done
  killed=$(awk '$1 == "killed_node" {print $2}' "$out")
  if [ -n "$killed" ]; then
    wait "${NODE_PIDS[$killed]}" 2>/dev/null || true
    "launch_$system" "$dir" "$killed"
    cluster_admin_bench await-brokers "$bootstrap" 3 >> "$out" 2>&1
  fi
  fi

  if [[ " $REPL_ROWS " == *" reassign "* ]]; then
  local row="replicated_reassign_${REPL_REASSIGN_PARTITIONS}_rf2" out
  cluster_measured "$system" "$run" "$row" cluster_admin_bench reassign "$bootstrap" moving "$REPL_REASSIGN_PARTITIONS"
  out="$OUT/$system-$run-$row.out"
  for metric in reassign_ms accepted_ms send_errors creates_answered_exists; do
    record "$system" "$run" "$row" "$metric" "$(awk -v m="$metric" '$1 == m {print $2}' "$out")"
  done
  fi

  if [[ " $REPL_ROWS " == *" create-rf3 "* ]]; then
  local n row rss max
  for n in $REPL_CREATE_PARTITIONS; do
    row="replicated_create_rf3_$n"
    cluster_measured "$system" "$run" "$row" cluster_admin_bench create "$bootstrap" "c$n" 10 "$((n / 10))"
    for metric in answered_ms led_ms in_sync_ms not_in_sync_partitions creates_answered_exists; do
      record "$system" "$run" "$row" "$metric" "$(awk -v m="$metric" '$1 == m {print $2}' "$OUT/$system-$run-$row.out")"
    done
  done
  # resident memory now, with every partition created (and the rows before it) on each node
  rss=0; max=0
  for i in "${!NODE_PIDS[@]}"; do
    n=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/${NODE_PIDS[$i]}/status")
    rss=$((rss + n)); [ "$n" -gt "$max" ] && max=$n
  done
  record "$system" "$run" "$row" rss_mb_3_nodes "$rss"
  record "$system" "$run" "$row" rss_mb_largest_node "$max"
  fi

  stop_cluster
  rm -rf "$dir"
}

cluster_admin_bench() {
  java -Xmx512m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.ClusterAdminBench "$@"
}
