package io.brook.server.node;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.config.BrokerConfig;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.handlers.ApiVersionsHandler;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A broker's side of KRaft's lifecycle (Kafka's {@code BrokerLifecycleManager}): it registers with the
 * active controller, heartbeats, gets unfenced once caught up, and at close performs a controlled shutdown.
 *
 * <ul>
 *   <li><b>Registration</b>: this object's own incarnation id (a new one per process start, so a restarted
 *       broker replaces its old registration), node id, cluster id, the broker listeners' advertised
 *       endpoints with their security protocols, rack, supported features and log directory ids. While the
 *       controller is unreachable, not the active one, or refuses, it retries with exponential backoff
 *       ({@link #INITIAL_BACKOFF_MS} doubling up to {@link Timing#maxBackoffMs}, as Kafka: half the session
 *       timeout).</li>
 *   <li><b>Heartbeats</b> every {@code broker.heartbeat.interval.ms}, reporting the metadata offset this broker
 *       has applied. It asks to stay fenced ({@code wantFence}) until that offset has reached its broker epoch
 *       (the offset of its registration: it has seen itself registered, Kafka's "caught up"); while fenced it
 *       reports every {@link #FENCED_POLL_MS} at most, so it is unfenced soon after it catches up. A heartbeat
 *       refused with BROKER_ID_NOT_REGISTERED or STALE_BROKER_EPOCH (unregistered, or replaced) registers again;
 *       other failures retry with backoff.</li>
 *   <li><b>Controlled shutdown</b> ({@link #close}): heartbeats with {@code wantShutDown} (every
 *       {@link #SHUTDOWN_POLL_MS} at most) until the controller answers {@code shouldShutDown} (its leaderships
 *       moved away first), bounded by {@link Timing#controlledShutdownTimeoutMs}; then it stops. A broker that
 *       never registered stops at once.</li>
 * </ul>
 *
 * <p>Threads: everything runs on its own single scheduled thread ({@code brook-broker-lifecycle-<id>}); the
 * channel's answers are handed to it. Never on a network event loop. Thread-safety: every public method may
 * be called from any thread.
 */
public final class BrokerLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerLifecycle.class);
    /** First pause before a failed request is retried; it doubles per failure up to the maximum. */
    static final long INITIAL_BACKOFF_MS = 100;
    /** Longest pause between two heartbeats while fenced (catching up): unfencing follows soon after. */
    static final long FENCED_POLL_MS = 100;
    /** Longest pause between two heartbeats while waiting for the controlled shutdown to be allowed. */
    static final long SHUTDOWN_POLL_MS = 200;
    /** Longest {@link #close} waits for the lifecycle thread after the controlled shutdown. */
    private static final long CLOSE_WAIT_MS = 10_000;

    /**
     * The lifecycle's timing.
     *
     * @param heartbeatIntervalMs         {@code broker.heartbeat.interval.ms}
     * @param maxBackoffMs                longest pause between retries of a failed request
     * @param controlledShutdownTimeoutMs longest {@link #close} waits for the controller to allow the shutdown;
     *                                    0: no controlled shutdown ({@code controlled.shutdown.enable=false})
     */
    /**
     * @param unansweredShutdownMs how long a controlled shutdown goes on while no controller answers at all
     *                             (a lost quorum cannot approve it; the controller, once back, fences a broker
     *                             silent for its session timeout anyway)
     */
    public record Timing(long heartbeatIntervalMs, long maxBackoffMs, long controlledShutdownTimeoutMs,
                         long unansweredShutdownMs) {
        public Timing {
            if (heartbeatIntervalMs <= 0 || maxBackoffMs <= 0 || controlledShutdownTimeoutMs < 0
                    || unansweredShutdownMs <= 0) {
                throw new IllegalArgumentException("invalid lifecycle timing: interval " + heartbeatIntervalMs
                        + " ms, backoff " + maxBackoffMs + " ms, shutdown " + controlledShutdownTimeoutMs + " ms, "
                        + "unanswered shutdown " + unansweredShutdownMs + " ms");
            }
        }

        /** With an unanswered controlled shutdown given up after the shutdown timeout itself. */
        public Timing(long heartbeatIntervalMs, long maxBackoffMs, long controlledShutdownTimeoutMs) {
            this(heartbeatIntervalMs, maxBackoffMs, controlledShutdownTimeoutMs,
                    Math.max(1, controlledShutdownTimeoutMs));
        }

        /**
         * Kafka's: the heartbeat interval, backoff up to half the session timeout, the controlled shutdown limit;
         * an unanswered controlled shutdown stops after one session timeout.
         */
        public static Timing of(BrokerConfig config) {
            return new Timing(config.brokerHeartbeatIntervalMs(), Math.max(1, config.brokerSessionTimeoutMs() / 2),
                    config.controlledShutdownTimeoutMs(), config.brokerSessionTimeoutMs());
        }
    }

    private final BrokerRegistrationRequestData registration;
    private final ControllerChannel channel;
    private final LongSupplier appliedOffset;
    /** The ids of this broker's log directories that went offline (KIP-858; reported in every heartbeat). */
    private final Supplier<List<Uuid>> offlineDirs;
    private final Timing timing;
    private final ScheduledExecutorService thread;
    private final CompletableFuture<Long> registered = new CompletableFuture<>();
    private final CompletableFuture<Void> shutdownAllowed = new CompletableFuture<>();
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced = true;

    // lifecycle thread only:
    private long backoffMs = INITIAL_BACKOFF_MS;
    private ScheduledFuture<?> next;
    /** A request is out and its answer not yet handled: never two at once. */
    private boolean inFlight;
    private boolean shutdownRequested;
    /** Something to report came up while a heartbeat was out: send the next one at once. */
    private boolean heartbeatAgain;
    /** When the controller last answered a heartbeat (monotonic ns), or when the shutdown began. */
    private long lastAnswerNs = System.nanoTime();
    private boolean stopped;
    /** The last failure reported at WARN, so a retry loop logs a failure once, not per attempt. */
    private String lastFailure;

    /**
     * @param template      the registration ({@link #registration}); its incarnation id is replaced by a new one
     * @param appliedOffset the offset of the last metadata record this broker has applied (-1 for none)
     */
    public BrokerLifecycle(BrokerRegistrationRequestData template, ControllerChannel channel,
                           LongSupplier appliedOffset, Timing timing) {
        this(template, channel, appliedOffset, List::of, timing);
    }

    /**
     * @param offlineDirs the ids of the log directories that went offline: left out of a registration, reported in
     *                    each heartbeat (the controller then moves the replicas there, KIP-858)
     */
    public BrokerLifecycle(BrokerRegistrationRequestData template, ControllerChannel channel,
                           LongSupplier appliedOffset, Supplier<List<Uuid>> offlineDirs, Timing timing) {
        this.registration = template.duplicate().setIncarnationId(Uuid.randomUuid());
        this.channel = channel;
        this.appliedOffset = appliedOffset;
        this.offlineDirs = offlineDirs;
        this.timing = timing;
        int id = registration.brokerId();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-broker-lifecycle-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A broker's registration request: the broker listeners in {@code listeners} order at their
     * advertised address ({@code advertised}, by listener name), their security protocols, {@code broker.rack},
     * the features this build supports and the ids of its log directories (the metadata log's included).
     *
     * @param previousBrokerEpoch the epoch the last clean shutdown named, -1 after an unclean one (KIP-966: a
     *                            broker that may have lost records is no eligible leader replica)
     */
    public static BrokerRegistrationRequestData registration(BrokerConfig config, String clusterId,
                                                             Map<String, InetSocketAddress> advertised,
                                                             List<Uuid> logDirIds, long previousBrokerEpoch) {
        BrokerRegistrationRequestData request = new BrokerRegistrationRequestData().setBrokerId(config.nodeId())
                .setClusterId(clusterId).setRack(config.rack().orElse(null))
                .setLogDirs(new ArrayList<>(logDirIds)).setPreviousBrokerEpoch(previousBrokerEpoch);
        for (BrokerConfig.Listener listener : config.brokerListeners()) {
            InetSocketAddress address = advertised.get(listener.name());
            if (address == null) {
                throw new IllegalArgumentException("no advertised address for the listener " + listener.name());
            }
            SecurityProtocol protocol = config.securityProtocols().getOrDefault(listener.name(),
                    SecurityProtocol.PLAINTEXT);
            request.listeners().add(new BrokerRegistrationRequestData.Listener().setName(listener.name())
                    .setHost(address.getHostString()).setPort(address.getPort()).setSecurityProtocol(protocol.id));
        }
        supportedFeatures().forEach(request.features()::add);
        return request;
    }

    /**
     * The feature ranges this build supports: {@code metadata.version} from Kafka's minimum to the level Brook
     * writes its records at, {@code transaction.version} 0 to 2 and {@code eligible.leader.replicas.version} 0 to 1.
     */
    public static List<BrokerRegistrationRequestData.Feature> supportedFeatures() {
        return List.of(
                new BrokerRegistrationRequestData.Feature().setName(MetadataVersion.FEATURE_NAME)
                        .setMinSupportedVersion(MetadataVersion.MINIMUM_VERSION.featureLevel())
                        .setMaxSupportedVersion(MetadataRecords.METADATA_VERSION.featureLevel()),
                new BrokerRegistrationRequestData.Feature().setName(ApiVersionsHandler.TRANSACTION_VERSION)
                        .setMinSupportedVersion((short) 0)
                        .setMaxSupportedVersion(ApiVersionsHandler.MAX_TRANSACTION_VERSION),
                new BrokerRegistrationRequestData.Feature().setName(MetadataImage.ELR_FEATURE)
                        .setMinSupportedVersion((short) 0).setMaxSupportedVersion(MetadataImage.MAX_ELR_LEVEL));
    }

    /** Starts registering; returns at once ({@link #registered()} completes once the controller accepted). */
    public void start() {
        onThread(this::register);
    }

    /** Completes with the broker epoch of the first accepted registration. */
    public CompletableFuture<Long> registered() {
        return registered;
    }

    /** Completes once the controller allowed the controlled shutdown (or there was nothing to hand over). */
    CompletableFuture<Void> shutdownAllowed() {
        return shutdownAllowed;
    }

    /** This process's incarnation id. */
    public Uuid incarnationId() {
        return registration.incarnationId();
    }

    /** The epoch of the current registration, or -1 before the first. */
    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Whether the controller last said this broker is fenced (true until it says otherwise). */
    public boolean isFenced() {
        return fenced;
    }

    /**
     * Sends a heartbeat now (or right after the one in flight): a log directory went offline, and the controller
     * should move the replicas there without waiting for the next interval.
     */
    public void heartbeatSoon() {
        onThread(() -> {
            if (stopped || brokerEpoch < 0) {
                return;
            }
            if (inFlight) {
                heartbeatAgain = true;
                return;
            }
            if (next != null) {
                next.cancel(false);
            }
            heartbeat();
        });
    }

    // ---- on the lifecycle thread ----

    private void register() {
        if (stopped || inFlight) {
            return;
        }
        inFlight = true;
        CompletableFuture<BrokerRegistrationResponseData> answer;
        try {
            BrokerRegistrationRequestData request = registration.duplicate();
            List<Uuid> offline = offlineDirs.get();
            request.setLogDirs(new ArrayList<>(request.logDirs().stream().filter(d -> !offline.contains(d)).toList()));
            answer = channel.registerBroker(request);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, error) -> onThread(() -> onRegistration(response, error)));
    }

    private void onRegistration(BrokerRegistrationResponseData response, Throwable error) {
        inFlight = false;
        if (stopped) {
            return;
        }
        if (error != null) {
            if (shutdownRequested) {
                shutdownAllowed.complete(null); // not registered: nothing to hand over
                return;
            }
            failed("register with the controller", error);
            schedule(this::register, backoff());
            return;
        }
        brokerEpoch = response.brokerEpoch();
        fenced = true;
        recovered();
        log.info("Broker {} registered with the controller: incarnation {}, broker epoch {}",
                registration.brokerId(), registration.incarnationId(), brokerEpoch);
        registered.complete(brokerEpoch);
        heartbeat();
    }

    private void heartbeat() {
        if (stopped || inFlight) {
            return;
        }
        inFlight = true;
        long applied = appliedOffset.getAsLong();
        BrokerHeartbeatRequestData request = new BrokerHeartbeatRequestData().setBrokerId(registration.brokerId())
                .setBrokerEpoch(brokerEpoch).setCurrentMetadataOffset(applied)
                .setWantFence(applied < brokerEpoch).setWantShutDown(shutdownRequested)
                .setOfflineLogDirs(new ArrayList<>(offlineDirs.get()));
        heartbeatAgain = false;
        CompletableFuture<BrokerHeartbeatResponseData> answer;
        try {
            answer = channel.brokerHeartbeat(request);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, error) -> onThread(() -> onHeartbeat(request, response, error)));
    }

    private void onHeartbeat(BrokerHeartbeatRequestData request, BrokerHeartbeatResponseData response,
                             Throwable error) {
        inFlight = false;
        if (stopped) {
            return;
        }
        if (error != null) {
            Throwable cause = unwrap(error);
            if (cause instanceof BrokerIdNotRegisteredException || cause instanceof StaleBrokerEpochException) {
                if (shutdownRequested) {
                    shutdownAllowed.complete(null); // no longer registered: nothing to hand over
                    return;
                }
                log.warn("Broker {}: the controller no longer knows its registration with epoch {} ({}); "
                        + "registering again", registration.brokerId(), brokerEpoch, cause.getMessage());
                fenced = true;
                register();
                return;
            }
            failed("send a heartbeat to the controller", error);
            long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastAnswerNs);
            if (shutdownRequested && silentMs > timing.unansweredShutdownMs()) {
                log.warn("Broker {}: no controller answered its controlled shutdown for {} ms (the quorum may be "
                        + "gone); stopping without handing its leaderships over", registration.brokerId(), silentMs);
                shutdownAllowed.complete(null);
                return;
            }
            schedule(this::heartbeat, backoff());
            return;
        }
        recovered();
        lastAnswerNs = System.nanoTime();
        boolean wasFenced = fenced;
        fenced = response.isFenced();
        if (wasFenced && !fenced) {
            log.info("Broker {} is unfenced (caught up at metadata offset {})", registration.brokerId(),
                    request.currentMetadataOffset());
        } else if (!wasFenced && fenced && !shutdownRequested) {
            log.warn("Broker {} was fenced by the controller (its session expired); it asks to be unfenced again",
                    registration.brokerId());
        }
        if (request.wantShutDown() && response.shouldShutDown()) {
            log.info("Broker {}: the controller allows its controlled shutdown", registration.brokerId());
            shutdownAllowed.complete(null);
            return; // no more heartbeats
        }
        long delay = timing.heartbeatIntervalMs();
        if (heartbeatAgain) {
            delay = 0;
        } else if (shutdownRequested) {
            delay = Math.min(delay, SHUTDOWN_POLL_MS);
        } else if (fenced) {
            delay = Math.min(delay, FENCED_POLL_MS);
        }
        schedule(this::heartbeat, delay);
    }

    private void schedule(Runnable task, long delayMs) {
        if (next != null) {
            next.cancel(false);
        }
        try {
            next = thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed
        }
    }

    private long backoff() {
        long current = backoffMs;
        backoffMs = Math.min(backoffMs * 2, timing.maxBackoffMs());
        return current;
    }

    private void failed(String what, Throwable error) {
        Throwable cause = unwrap(error);
        String failure = cause instanceof DuplicateBrokerRegistrationException
                // the answer carries no message: say what it means
                ? "another broker is registered with node.id " + registration.brokerId() + " and its session has "
                + "not ended: a restart within its old session goes through once it ends; a second process with "
                + "this node.id must be stopped"
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        if (!failure.equals(lastFailure)) {
            log.warn("Broker {} could not {} ({}); retrying with backoff", registration.brokerId(), what, failure);
            lastFailure = failure;
        } else {
            log.debug("Broker {} could not {} ({})", registration.brokerId(), what, failure);
        }
    }

    private void recovered() {
        backoffMs = INITIAL_BACKOFF_MS;
        lastFailure = null;
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closed) {
            // closed: the answer no longer matters
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * Performs the controlled shutdown (unless disabled, or never registered), waiting at most
     * {@link Timing#controlledShutdownTimeoutMs} for the controller to allow it, then stops heartbeating.
     * The registration stays: the controller fences the broker when its session runs out, and the next
     * incarnation replaces it.
     */
    @Override
    public void close() {
        if (timing.controlledShutdownTimeoutMs() > 0) {
            onThread(() -> {
                if (stopped) {
                    return;
                }
                shutdownRequested = true;
                if (brokerEpoch < 0) {
                    if (!inFlight) {
                        shutdownAllowed.complete(null); // never registered: nothing to hand over
                    }
                    return;
                }
                log.info("Broker {} asks the controller for a controlled shutdown", registration.brokerId());
                lastAnswerNs = System.nanoTime();
                if (next != null) {
                    next.cancel(false);
                }
                heartbeat(); // at once; an answer in flight schedules the next one with wantShutDown
            });
            try {
                shutdownAllowed.get(timing.controlledShutdownTimeoutMs(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.warn("Broker {}: the controller did not allow the controlled shutdown within {} ms; "
                        + "stopping anyway", registration.brokerId(), timing.controlledShutdownTimeoutMs());
            } catch (ExecutionException e) {
                log.warn("Broker {}: the controlled shutdown failed; stopping anyway", registration.brokerId(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        onThread(() -> {
            stopped = true;
            if (next != null) {
                next.cancel(false);
            }
        });
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }
}
