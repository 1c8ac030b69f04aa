package io.brook.bench;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Many consumers long-polling an idle partition, and the CPU the server spends on them: reads
 * the server's user+system time from /proc before and after a steady window and prints
 * {@code cpu_seconds window_seconds}.
 *
 * <p>Usage: IdleConsumers BOOTSTRAP TOPIC CONSUMERS WINDOW_SECONDS SERVER_PID [SETTLE_SECONDS]
 * (settling defaults to {@value #SETTLE_MS} ms; a longer one shows the JIT-compiled steady state, since
 * 200 fetches a second take about a minute to get the request path through C2).
 */
public final class IdleConsumers {
    /** Time before the measured window, so both servers are past JIT warm-up. */
    private static final long SETTLE_MS = 20_000;
    private IdleConsumers() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int consumers = Integer.parseInt(args[2]);
        int windowSeconds = Integer.parseInt(args[3]);
        long serverPid = Long.parseLong(args[4]);
        long settleMs = args.length > 5 ? Long.parseLong(args[5]) * 1000 : SETTLE_MS;
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch polling = new CountDownLatch(consumers);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            Thread t = new Thread(() -> {
                Properties props = new Properties();
                props.put("bootstrap.servers", bootstrap);
                props.put("enable.auto.commit", "false");
                props.put("fetch.max.wait.ms", "500");
                try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
                    TopicPartition tp = new TopicPartition(topic, 0);
                    c.assign(List.of(tp));
                    c.seekToEnd(List.of(tp));
                    c.poll(Duration.ofMillis(100));
                    polling.countDown();
                    while (running.get()) {
                        c.poll(Duration.ofMillis(1000));
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        polling.await();
        Thread.sleep(settleMs); // let connection set-up and JIT compilation settle
        double before = cpuSeconds(serverPid);
        Thread.sleep(windowSeconds * 1000L);
        double after = cpuSeconds(serverPid);
        running.set(false);
        for (Thread t : threads) {
            t.join(5000);
        }
        System.out.printf("%.2f %d%n", after - before, windowSeconds);
    }

    private static double cpuSeconds(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        return ticks / 100.0; // USER_HZ is 100 on Linux
    }
}
