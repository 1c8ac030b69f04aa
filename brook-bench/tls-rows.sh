# Sourced by side-by-side.sh for ROWS=tls (not run on its own): the cost of TLS + SASL (issue 20) on one node,
# Brook against Apache Kafka 4.3.1 configured the same way. Each server gets two client listeners, PLAINTEXT on
# PORT and SASL_SSL on PORT + 2 (SCRAM-SHA-512 only; Kafka's controller listener stays PLAINTEXT on PORT + 1),
# the same PKCS12 key store (RSA 2048, signed by a self-signed CA made with keytool in $OUT/tls at bench time)
# and one SCRAM-SHA-512 user created the same way on both (kafka-configs --add-config over PLAINTEXT). Then,
# once over each listener (the JDK's TLS engine on both sides, TLS 1.3):
#   tls_produce_100B_<l>  ProducerPerformance, N_SMALL x 100 B, acks=1, 6 partitions (as the produce row)
#   tls_consume_100B_<l>  ConsumerPerformance over that topic (a group)
#   tls_produce_1KiB_<l>  ProducerPerformance, N_KIB x 1 KiB, acks=1
#   tls_consume_1KiB_<l>  ConsumerPerformance over that topic (larger fetches: where copying costs)
#   tls_connect_<l>       io.brook.bench.ConnectionSetupRate: TLS_CONNECTIONS new connections one after the other,
#                         each set up in full (TLS handshake, SCRAM-SHA-512 exchange) and one Metadata request,
#                         after TLS_CONNECT_WARMUP not counted
# with <l> plaintext or sasl_ssl. report.py adds each system's SASL_SSL / PLAINTEXT ratio for every row.
# Uses side-by-side.sh's ROOT, OUT, PORT, N_SMALL, N_KIB, KAFKA_CP, BENCH_CLASSES, LOGGING, SERVER_PID, tool,
# record, measured, record_producer_stats, record_consumer_stats, wait_port and start_<system> (which take
# EXTRA_LISTENER and EXTRA_SETTINGS).

TLS_CONNECTIONS=${TLS_CONNECTIONS:-300}
TLS_CONNECT_WARMUP=${TLS_CONNECT_WARMUP:-100}
TLS_DIR="$OUT/tls"
TLS_PASSWORD=bench-store-secret
SCRAM_USER=bench
SCRAM_PASSWORD=bench-user-secret

sasl_port() { echo $((PORT + 2)); }

# a CA, the server's key pair with a certificate for localhost signed by it, the clients' trust store
make_tls_material() {
  local kt="keytool -storetype PKCS12 -storepass $TLS_PASSWORD -keypass $TLS_PASSWORD"
  rm -rf "$TLS_DIR"; mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    $kt -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname CN=bench-ca -ext bc:c -validity 30 -keystore ca.p12
    $kt -exportcert -alias ca -keystore ca.p12 -rfc -file ca.pem
    $kt -genkeypair -alias server -keyalg RSA -keysize 2048 -dname CN=localhost -validity 30 -keystore server.p12
    $kt -certreq -alias server -keystore server.p12 -file server.csr
    $kt -gencert -alias ca -keystore ca.p12 -infile server.csr -outfile server.pem -rfc -ext SAN=dns:localhost -validity 30
    $kt -importcert -alias ca -keystore server.p12 -file ca.pem -noprompt
    $kt -importcert -alias server -keystore server.p12 -file server.pem
    $kt -importcert -alias ca -keystore truststore.p12 -file ca.pem -noprompt
  ) > "$OUT/keytool.log" 2>&1
  cat > "$TLS_DIR/client.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SCRAM_USER" password="$SCRAM_PASSWORD";
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS_DIR/truststore.p12
ssl.truststore.password=$TLS_PASSWORD
PROPS
}

# the settings both systems get for the SASL_SSL listener, Kafka's names (last in Kafka's file, so they win)
tls_server_settings() {
  cat <<PROPS
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/server.p12
ssl.keystore.password=$TLS_PASSWORD
ssl.key.password=$TLS_PASSWORD
PROPS
}

# the SCRAM user, then a connection over SASL_SSL that authenticates (the credential has reached the broker)
add_scram_user() {
  tool kafka.admin.ConfigCommand --bootstrap-server "localhost:$PORT" --alter --entity-type users \
      --entity-name "$SCRAM_USER" --add-config "SCRAM-SHA-512=[password=$SCRAM_PASSWORD]" > "$OUT/scram-user.out" 2>&1
  for _ in $(seq 1 30); do
    java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.ConnectionSetupRate \
        "localhost:$(sasl_port)" "$TLS_DIR/client.properties" 1 0 >> "$OUT/scram-user.out" 2>&1 && return 0
    sleep 1
  done
  echo "the SCRAM user cannot authenticate over SASL_SSL (see $OUT/scram-user.out)" >&2; return 1
}

bench_tls() {
  local system="$1" run="$2" dir listener port config size records name topic
  [ -f "$TLS_DIR/client.properties" ] || make_tls_material   # once, both systems use the same
  dir="$(mktemp -d /tmp/side-by-side-tls-$system.XXXXXX)"
  EXTRA_LISTENER="SASL_SSL://localhost:$(sasl_port)" EXTRA_SETTINGS="$(tls_server_settings)" "start_$system" "$dir"
  wait_port
  sleep 2
  add_scram_user
  for listener in plaintext sasl_ssl; do
    if [ "$listener" = plaintext ]; then port=$PORT; config=(); else port=$(sasl_port); config=(--command-config "$TLS_DIR/client.properties"); fi
    for size in 100 1024; do
      if [ "$size" = 100 ]; then records=$N_SMALL; name=100B; else records=$N_KIB; name=1KiB; fi
      topic="t$name-$listener"
      tool org.apache.kafka.tools.TopicCommand --bootstrap-server "localhost:$PORT" --create --topic "$topic" \
          --partitions 6 --replication-factor 1 > /dev/null
      measured "$system" "$run" "tls_produce_${name}_$listener" tool org.apache.kafka.tools.ProducerPerformance \
          --topic "$topic" --num-records "$records" --record-size "$size" --throughput -1 "${config[@]}" \
          --bootstrap-server "localhost:$port" --command-property acks=1
      record_producer_stats "$system" "$run" "tls_produce_${name}_$listener" "$records" "$size"
      measured "$system" "$run" "tls_consume_${name}_$listener" tool org.apache.kafka.tools.ConsumerPerformance \
          --bootstrap-server "localhost:$port" "${config[@]}" --topic "$topic" --messages "$records" \
          --group "perf-$listener-$name-$run" --timeout 120000
      record_consumer_stats "$system" "$run" "tls_consume_${name}_$listener"
    done
    local out="$OUT/$system-$run-tls_connect_$listener.out" metric
    java -Xmx256m $LOGGING -cp "$BENCH_CLASSES:$KAFKA_CP" io.brook.bench.ConnectionSetupRate "localhost:$port" \
        "${config[1]:--}" "$TLS_CONNECTIONS" "$TLS_CONNECT_WARMUP" > "$out" 2>&1 || echo "exit status $?" >> "$out"
    for metric in connections_per_s setup_p50_ms setup_p99_ms; do
      record "$system" "$run" "tls_connect_$listener" "$metric" "$(awk -v m="$metric" '$1 == m {print $2}' "$out")"
    done
  done
  record "$system" "$run" tls_all peak_rss_mb "$(( $(peak_rss_kb "$SERVER_PID") / 1024 ))"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$dir"
}
