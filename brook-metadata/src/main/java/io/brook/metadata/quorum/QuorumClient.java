package io.brook.metadata.quorum;

import org.apache.ratis.netty.client.NettyClientRpc;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends an opaque request to whichever voter leads the metadata quorum and returns the leader's opaque
 * reply (its {@link ForwardedRequestHandler}'s answer): how brokers reach the active controller for
 * registration and heartbeats without a Kafka-protocol controller listener. Any node can use it, voter or
 * not. Requests travel on Ratis's read-only request path over its Netty transport to the voters' addresses
 * from {@code controller.quorum.voters}.
 *
 * <p>Each request has a deadline. Until it passes, a request is retried: on the leader a voter names when
 * it is not the leader, on the next voter when one cannot be reached or has no leader yet, after
 * {@link #RETRY_BACKOFF}. A request may therefore reach the leader more than once: handlers must be
 * idempotent (KRaft's registration and heartbeats are).
 *
 * <p>Thread-safety: {@link #send} may be called from any thread, concurrently.
 */
public final class QuorumClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuorumClient.class);
    /** Pause before retrying when no leader is known or a voter is unreachable. */
    public static final Duration RETRY_BACKOFF = Duration.ofMillis(100);
    /** Pause before following a voter's leader hint: short, but two voters that name each other during an
     *  election cannot make the client spin. */
    static final Duration REDIRECT_DELAY = Duration.ofMillis(5);

    /** The voters to try, in order; a leader named by a voter but not configured here is added (KIP-853). */
    private final List<RaftPeerId> voters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final RaftGroupId groupId;
    private final ClientId clientId = ClientId.randomId();
    private final NettyClientRpc rpc;
    private final ScheduledExecutorService retries;
    private final AtomicLong callIds = new AtomicLong();
    private volatile RaftPeerId leaderGuess;
    private volatile boolean closed;

    /**
     * @param voters         voter id to Raft address ({@code controller.quorum.voters})
     * @param clusterId      the cluster id the voters were configured with ({@link QuorumConfig#clusterId()})
     * @param attemptTimeout how long one attempt waits for a voter's answer
     */
    public QuorumClient(Map<Integer, InetSocketAddress> voters, String clusterId, Duration attemptTimeout) {
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("no voters to send to: controller.quorum.voters is empty");
        }
        this.groupId = RatisProperties.groupId(clusterId);
        List<RaftPeer> peers = RatisProperties.peers(voters);
        peers.forEach(p -> this.voters.add(p.getId()));
        this.rpc = new NettyClientRpc(clientId, RatisProperties.client(attemptTimeout));
        rpc.addRaftPeers(peers);
        this.leaderGuess = this.voters.get(0);
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-quorum-client-retry");
            t.setDaemon(true);
            return t;
        });
    }

    /** The leader this client last heard of (a guess), or -1. */
    public int leaderHint() {
        return RatisProperties.nodeId(leaderGuess);
    }

    /**
     * Sends {@code request} to the leader and completes with its reply, or fails with
     * {@link QuorumTimeoutException} once {@code timeout} passed without one, or with a non-retriable
     * {@link QuorumException} carrying the handler's message when the leader's handler failed.
     */
    public CompletableFuture<ByteBuffer> send(ByteBuffer request, Duration timeout) {
        Message message = Message.valueOf(ByteString.copyFrom(request.duplicate()));
        CompletableFuture<ByteBuffer> result = new CompletableFuture<>();
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        attempt(message, leaderGuess, deadlineNs, timeout, result, null);
        return result;
    }

    private void attempt(Message message, RaftPeerId target, long deadlineNs, Duration timeout,
                         CompletableFuture<ByteBuffer> result, Throwable lastFailure) {
        if (result.isDone()) {
            return;
        }
        if (closed) {
            result.completeExceptionally(new QuorumException("the quorum client is closed", false));
            return;
        }
        if (System.nanoTime() - deadlineNs >= 0) {
            result.completeExceptionally(new QuorumTimeoutException("no metadata quorum leader answered within "
                    + timeout.toMillis() + " ms (voters " + voters + ")" + (lastFailure == null ? ""
                    : "; last failure: " + lastFailure), lastFailure));
            return;
        }
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(target)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(message)
                .setType(RaftClientRequest.readRequestType())
                .build();
        rpc.sendRequestAsync(request).whenComplete((reply, error) -> {
            try {
                onAnswer(message, target, deadlineNs, timeout, result, reply, error);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
    }

    private void onAnswer(Message message, RaftPeerId target, long deadlineNs, Duration timeout,
                          CompletableFuture<ByteBuffer> result, RaftClientReply reply, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause == null && reply != null && !reply.isSuccess()) {
            cause = reply.getException();
        }
        if (cause == null) {
            ForwardEnvelope answer;
            try {
                answer = ForwardEnvelope.decode(reply.getMessage().getContent().asReadOnlyByteBuffer());
            } catch (IllegalArgumentException e) {
                result.completeExceptionally(new QuorumException(e.getMessage(), false, e));
                return;
            }
            switch (answer.status()) {
                case OK -> result.complete(answer.payload());
                case ERROR -> result.completeExceptionally(new QuorumException(answer.message(), false));
                case RETRY -> {
                    RaftPeerId hinted = answer.leaderHint() >= 0
                            ? RatisProperties.peerId(answer.leaderHint()) : next(target);
                    leaderGuess = hinted;
                    retryLater(message, hinted, deadlineNs, timeout, result,
                            new QuorumException("voter " + target + " answered: not the leader (leader hint "
                                    + answer.leaderHint() + ")", true), RETRY_BACKOFF);
                }
            }
            return;
        }
        if (cause instanceof NotLeaderException nle) {
            RaftPeer suggested = nle.getSuggestedLeader();
            if (suggested != null && !voters.contains(suggested.getId()) && !suggested.getAddress().isEmpty()) {
                rpc.addRaftPeers(List.of(suggested)); // a voter added after this client was built
                voters.add(suggested.getId());
            }
            RaftPeerId next = suggested != null && !suggested.getId().equals(target) ? suggested.getId() : next(target);
            leaderGuess = next;
            retryLater(message, next, deadlineNs, timeout, result, cause,
                    suggested != null ? REDIRECT_DELAY : RETRY_BACKOFF);
        } else if (cause instanceof LeaderNotReadyException) {
            retryLater(message, target, deadlineNs, timeout, result, cause, RETRY_BACKOFF);
        } else if (cause instanceof StateMachineException) {
            result.completeExceptionally(new QuorumException(cause.getMessage(), false, cause));
        } else {
            // unreachable, timed out or closing: reconnect next time, try the next voter
            if (cause instanceof IOException) {
                rpc.handleException(target, cause, true);
            }
            RaftPeerId next = next(target);
            leaderGuess = next;
            log.debug("forwarding to voter {} failed ({}); trying {}", target, cause.toString(), next);
            retryLater(message, next, deadlineNs, timeout, result, cause, RETRY_BACKOFF);
        }
    }

    private RaftPeerId next(RaftPeerId current) {
        int i = voters.indexOf(current);
        return voters.get((i + 1) % voters.size());
    }

    private void retryLater(Message message, RaftPeerId target, long deadlineNs, Duration timeout,
                            CompletableFuture<ByteBuffer> result, Throwable lastFailure, Duration delay) {
        long remainingNs = deadlineNs - System.nanoTime();
        long delayNs = Math.max(0, Math.min(delay.toNanos(), remainingNs));
        try {
            retries.schedule(() -> attempt(message, target, deadlineNs, timeout, result, lastFailure),
                    delayNs, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new QuorumException("the quorum client is closed", false));
        }
    }

    @Override
    public void close() {
        closed = true;
        retries.shutdownNow();
        rpc.close();
    }
}
