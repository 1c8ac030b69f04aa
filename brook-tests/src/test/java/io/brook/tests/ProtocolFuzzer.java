package io.brook.tests;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiMessage;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends generated and mutated frames (see {@link FrameGenerator}) to a Kafka listener over several
 * raw connections in parallel and classifies what happens to each: answered, connection closed by
 * the server, a legitimate long wait, or hung (no answer and no close within the deadline).
 * Each connection sends bursts of 1-20 frames (past the server's 16 queued frames per connection)
 * and reads the answers in order.
 *
 * <p>Thread-safety: {@link #run} drives the workers; the counters may be read from any thread.
 */
final class ProtocolFuzzer {
    /** How long a request may stay unanswered, with its connection open, before it counts as hung. */
    static final int ANSWER_DEADLINE_MS = 15_000;
    private static final int MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
    /** How many of a connection's frames before a hung one its report shows (an unanswered one may be the cause). */
    private static final int EARLIER_FRAMES_REPORTED = 3;

    final LongAdder frames = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder closed = new LongAdder();
    final LongAdder longWaits = new LongAdder();
    final LongAdder connections = new LongAdder();
    final LongAdder hung = new LongAdder();
    final LongAdder badAnswers = new LongAdder();
    /** The last moment any worker made progress (a frame sent, an answer or close seen), per worker. */
    private final AtomicLong[] lastProgress;
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final String host;
    private final int port;
    private final List<FrameGenerator.Api> apis;
    private final long seed;
    private volatile boolean stopped;

    ProtocolFuzzer(String bootstrap, List<FrameGenerator.Api> apis, long seed, int workers) {
        String[] hostPort = bootstrap.split(":");
        this.host = hostPort[0];
        this.port = Integer.parseInt(hostPort[1]);
        this.apis = apis;
        this.seed = seed;
        this.lastProgress = new AtomicLong[workers];
        for (int i = 0; i < workers; i++) {
            lastProgress[i] = new AtomicLong(System.nanoTime());
        }
    }

    /** Starts the workers; each stops once {@code frameBudget} frames were sent in all or {@code stopAtNanos} passed. */
    List<Thread> start(long frameBudget, long stopAtNanos) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < lastProgress.length; i++) {
            int worker = i;
            Thread thread = new Thread(() -> {
                try {
                    work(worker, frameBudget, stopAtNanos);
                } catch (RuntimeException e) {
                    fail("the fuzzer itself failed: " + e);
                    throw e;
                }
            }, "fuzz-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        return threads;
    }

    /** Asks the workers to stop after their current burst. */
    void stop() {
        stopped = true;
    }

    /** Milliseconds since the slowest worker last made progress. */
    long stalledMs() {
        long oldest = Long.MAX_VALUE;
        for (AtomicLong progress : lastProgress) {
            oldest = Math.min(oldest, progress.get());
        }
        return (System.nanoTime() - oldest) / 1_000_000;
    }

    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    String summary() {
        return String.format("frames=%d answered=%d closed=%d long-waits=%d hung=%d bad-answers=%d connections=%d",
                frames.sum(), answered.sum(), closed.sum(), longWaits.sum(), hung.sum(), badAnswers.sum(),
                connections.sum());
    }

    private void work(int worker, long frameBudget, long stopAtNanos) {
        Random random = new Random(seed * 31 + worker);
        FrameGenerator generator = new FrameGenerator(random, apis);
        while (!stopped && frames.sum() < frameBudget && System.nanoTime() < stopAtNanos) {
            try (Socket socket = new Socket(host, port)) {
                connections.increment();
                socket.setSoTimeout(ANSWER_DEADLINE_MS);
                socket.setTcpNoDelay(true);
                lastProgress[worker].set(System.nanoTime());
                runConnection(worker, socket, generator, random, frameBudget, stopAtNanos);
            } catch (IOException e) {
                // the server closed or reset this connection while we wrote: a close; go on with a new one
                closed.increment();
            }
        }
    }

    /** Sends bursts on one connection until the server closes it, we drop it, or the run ends. */
    private void runConnection(int worker, Socket socket, FrameGenerator generator, Random random, long frameBudget,
                               long stopAtNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        ArrayDeque<Sent> earlier = new ArrayDeque<>(); // this connection's last frames, for a hang's report
        while (!stopped && frames.sum() < frameBudget && System.nanoTime() < stopAtNanos) {
            int burst = random.nextInt(4) == 0 ? 1 + random.nextInt(20) : 1;
            ArrayDeque<Sent> pending = new ArrayDeque<>();
            boolean halfClose = false;
            for (int i = 0; i < burst && !halfClose; i++) {
                FrameGenerator.Frame frame = generator.next();
                Sent sent = Sent.of(frame);
                pending.add(sent);
                earlier.addLast(sent);
                if (earlier.size() > EARLIER_FRAMES_REPORTED + 1) {
                    earlier.removeFirst();
                }
                halfClose = !frame.wellFramed();
                frames.increment();
                if (random.nextInt(20) == 0 && frame.bytes().length > 1) {
                    int split = 1 + random.nextInt(frame.bytes().length - 1);
                    out.write(frame.bytes(), 0, split);
                    out.flush();
                    out.write(frame.bytes(), split, frame.bytes().length - split);
                } else {
                    out.write(frame.bytes());
                }
            }
            out.flush();
            lastProgress[worker].set(System.nanoTime());
            if (random.nextInt(50) == 0) {
                return; // drop the connection with requests in flight
            }
            if (halfClose) {
                socket.shutdownOutput(); // the server may wait for the rest of a frame that never comes
            }
            if (!awaitAnswers(worker, in, pending, halfClose, earlier)) {
                return;
            }
        }
    }

    /** A frame sent, with what its answer must carry. */
    private record Sent(FrameGenerator.Frame frame, int correlationId, boolean answered) {
        static Sent of(FrameGenerator.Frame frame) {
            byte[] bytes = frame.bytes();
            int correlationId = bytes.length < 12 ? Integer.MIN_VALUE : ByteBuffer.wrap(bytes).getInt(8);
            // an acks=0 produce the server parses gets no answer (a failing one closes the connection)
            boolean answered = !(frame.wellFramed() && FrameGenerator.parse(frame) instanceof ProduceRequestData produce
                    && produce.acks() == 0);
            return new Sent(frame, correlationId, answered);
        }
    }

    /**
     * Reads the answers to the frames sent; returns false when the connection is over (closed by
     * the server, hung, or a legitimate long wait).
     */
    private boolean awaitAnswers(int worker, DataInputStream in, ArrayDeque<Sent> pending, boolean halfClosed,
                                 ArrayDeque<Sent> earlier) {
        long sentAt = System.nanoTime();
        while (halfClosed || pending.stream().anyMatch(Sent::answered)) {
            Sent head = pending.peek();
            try {
                int size = in.readInt();
                if (size < 4 || size > MAX_RESPONSE_BYTES) {
                    badAnswers.increment();
                    fail("an answer of " + size + " bytes to " + describe(head));
                    return false;
                }
                byte[] response = new byte[size];
                in.readFully(response);
                lastProgress[worker].set(System.nanoTime());
                answered.increment();
                int correlationId = ByteBuffer.wrap(response).getInt(0);
                while (head != null && !head.answered() && head.correlationId() != correlationId) {
                    pending.poll(); // an acks=0 produce, rightly not answered
                    head = pending.peek();
                }
                if (head == null || !head.frame().wellFramed()) {
                    continue; // the server's frames are not the ones we sent: answers may come until the close
                }
                if (head.correlationId() != correlationId) {
                    badAnswers.increment();
                    fail("an answer with correlation id " + correlationId + " to " + describe(head));
                    return false;
                }
                pending.poll();
            } catch (EOFException closedByServer) {
                closed.increment();
                return false;
            } catch (SocketTimeoutException timeout) {
                if (head != null && head.frame().wellFramed() && mayWaitLegitimately(head.frame())) {
                    longWaits.increment();
                } else {
                    hung.increment();
                    fail("no answer and no close within " + ANSWER_DEADLINE_MS + " ms (sent "
                            + (System.nanoTime() - sentAt) / 1_000_000 + " ms ago) to " + describe(head)
                            + "; this connection's frames before it, oldest first: " + describeBefore(earlier, head));
                }
                return false;
            } catch (IOException reset) {
                closed.increment();
                return false;
            }
        }
        return true;
    }

    /** The frames {@code earlier} holds before {@code head} (an acks=0 produce among them gets no answer). */
    private static String describeBefore(ArrayDeque<Sent> earlier, Sent head) {
        if (!earlier.contains(head)) {
            return "not kept (it came early in a long burst)";
        }
        List<String> before = new ArrayList<>();
        for (Sent sent : earlier) {
            if (sent == head) {
                break;
            }
            before.add(describe(sent) + (sent.answered() ? "" : " (no answer expected)"));
        }
        return before.isEmpty() ? "none" : String.join("; ", before);
    }

    private static String describe(Sent sent) {
        return sent == null ? "a half-closed connection"
                : "a " + sent.frame().kind() + " frame (correlation id " + sent.correlationId() + ") "
                + hex(sent.frame().bytes());
    }

    /**
     * Whether a request may take longer than the deadline by design: a group join or sync waits
     * for the other members (up to the rebalance timeout it names), a fetch up to its max wait.
     */
    static boolean mayWaitLegitimately(FrameGenerator.Frame frame) {
        ApiMessage request = FrameGenerator.parse(frame);
        if (request instanceof JoinGroupRequestData || request instanceof SyncGroupRequestData) {
            return true; // up to the largest rebalance timeout among the group's members
        }
        if (request instanceof FetchRequestData fetch) {
            return fetch.maxWaitMs() > ANSWER_DEADLINE_MS / 2;
        }
        return request instanceof ShareFetchRequestData fetch && fetch.maxWaitMs() > ANSWER_DEADLINE_MS / 2;
    }

    private void fail(String failure) {
        if (failures.size() < 20) {
            failures.add(failure);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 512); i++) {
            hex.append(String.format("%02x", bytes[i]));
        }
        return hex + (bytes.length > 512 ? "... (" + bytes.length + " bytes)" : "");
    }
}
