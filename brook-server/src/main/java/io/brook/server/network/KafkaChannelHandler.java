package io.brook.server.network;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.ApiRegistry;
import io.brook.server.api.RequestContext;
import io.brook.server.api.RequestThreadTime;
import io.brook.server.quota.RequestQuotas;
import io.brook.server.security.AuditLog;
import io.brook.server.security.sasl.SaslAuthenticator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Kafka connection: decodes each frame into a request, hands it to its API handler on a
 * request-handler thread, and writes responses in request order.
 *
 * <p>Requests of one connection are handled one at a time, as Kafka does: an idempotent
 * producer's pipelined batches must reach the log in the order they were sent. Frames that
 * arrive meanwhile queue here (reading pauses past {@value #MAX_QUEUED_FRAMES}), each holding
 * its reservation of the node's request memory until it has been answered.
 *
 * <p>Write backpressure: while the connection's unsent responses are above the write buffer's
 * high watermark (the channel is not writable; file regions count with their size) no new request
 * is dispatched and reading pauses; both resume when the client has consumed enough to bring them
 * below the low watermark ({@link #channelWritabilityChanged}).
 *
 * <p>On a SASL listener the connection is served only once it has authenticated ({@link SaslAuthenticator}):
 * before that it may send ApiVersions, SaslHandshake and SaslAuthenticate, requests of at most
 * {@code sasl.server.max.receive.size} bytes, for at most {@code brook.sasl.authentication.timeout.ms}.
 *
 * <p>Thread-safety: every field is touched only on the channel's event loop; handlers complete on
 * other threads and hop back with {@code eventLoop().execute}.
 */
final class KafkaChannelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaChannelHandler.class);
    /** Kafka's request logger: one line per request and its response at DEBUG, off (WARN) by default. */
    private static final Logger REQUEST_LOG = LoggerFactory.getLogger("kafka.request.logger");
    /** Frames buffered per connection before reading pauses. */
    static final int MAX_QUEUED_FRAMES = 16;
    /**
     * Bytes of queued (read, not yet dispatched) frames per connection before reading pauses: a
     * client that stops reading its responses gets no request dispatched, so its queued frames keep
     * their request memory; this bounds what it pins to this plus the frames crossing it.
     */
    static final int MAX_QUEUED_BYTES = 1024 * 1024;

    private final ApiRegistry registry;
    private final Executor requestExecutor;
    private final RequestMemory memory;
    private final ReadGate gate;
    private final ArrayDeque<RequestFrameDecoder.Frame> queued = new ArrayDeque<>();
    private long queuedBytes;
    private boolean busy;
    /** The network buffer the request in flight is parsed from, if it was not copied (see {@link #readsInPlace}). */
    private ByteBuf inFlightFrame;
    private String softwareName = "";
    private String softwareVersion = "";
    private String connectionId;
    private final String listenerName;
    private final SecurityProtocol securityProtocol;
    /**
     * Whether responses are encoded off the event loop with record bytes copied out of segment files: on TLS
     * listeners, where a file region cannot go through the encryption (see {@link ResponseWriter}).
     */
    private final boolean copiesRecords;
    /** Who this connection authenticated as: anonymous until a TLS or SASL handshake says otherwise. */
    private KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;
    /** The listener's SASL settings, or null on a listener without SASL. */
    private final SaslListener saslListener;
    /** This connection's SASL exchange (null without SASL): until it completes only it and ApiVersions are served. */
    private final SaslAuthenticator sasl;
    /** When the authenticated session ends (System.nanoTime), with {@code connections.max.reauth.ms} set. */
    private long sessionExpiresNanos;
    /** Closes the connection if its SASL exchange has not completed in time; null once it has. */
    private ScheduledFuture<?> authenticationDeadline;
    /** The client byte-rate quotas requests count against, or null for none. */
    private final RequestQuotas quotas;
    /** Whether the connection is muted for a quota's throttle time: no request is dispatched, none read. */
    private boolean throttled;
    /** Ends the current throttle; null when not throttled. */
    private ScheduledFuture<?> throttleEnd;
    /** Where failed authentications are audited, or null for the plain server log. */
    private final AuditLog audit;

    KafkaChannelHandler(ApiRegistry registry, Executor requestExecutor, RequestMemory memory, ReadGate gate,
                        String listenerName, SecurityProtocol securityProtocol, SaslListener saslListener,
                        RequestQuotas quotas, AuditLog audit) {
        this.quotas = quotas;
        this.audit = audit;
        this.saslListener = saslListener;
        this.sasl = saslListener == null ? null : saslListener.authenticators().get();
        this.listenerName = listenerName;
        this.securityProtocol = securityProtocol;
        this.copiesRecords = securityProtocol == SecurityProtocol.SSL || securityProtocol == SecurityProtocol.SASL_SSL;
        this.registry = registry;
        this.requestExecutor = requestExecutor;
        this.memory = memory;
        this.gate = gate;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        connectionId = ctx.channel().localAddress() + "-" + ctx.channel().remoteAddress();
        if (sasl != null) {
            authenticationDeadline = ctx.executor().schedule(() -> {
                if (!sasl.isComplete() && ctx.channel().isActive()) {
                    log.info("Closing connection {}: it did not authenticate within {} ms "
                            + "(brook.sasl.authentication.timeout.ms)", connectionId,
                            saslListener.authenticationTimeoutMs());
                    ctx.close();
                }
            }, saslListener.authenticationTimeoutMs(), TimeUnit.MILLISECONDS);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        RequestFrameDecoder.Frame frame = (RequestFrameDecoder.Frame) msg;
        queued.add(frame);
        queuedBytes += frame.reserved();
        if (queued.size() >= MAX_QUEUED_FRAMES || queuedBytes >= MAX_QUEUED_BYTES) {
            gate.pause(ReadGate.QUEUE_FULL);
        }
        processNext(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            gate.resume(ReadGate.UNWRITABLE);
            processNext(ctx);
        } else {
            gate.pause(ReadGate.UNWRITABLE);
        }
        super.channelWritabilityChanged(ctx);
    }

    /** Dispatches queued requests while none is in flight and the client consumes its responses. */
    private void processNext(ChannelHandlerContext ctx) {
        while (!busy && !throttled && ctx.channel().isActive()) {
            if (!ctx.channel().isWritable()) {
                gate.pause(ReadGate.UNWRITABLE); // resumed by channelWritabilityChanged
                return;
            }
            RequestFrameDecoder.Frame frame = queued.poll();
            if (frame == null) {
                return;
            }
            queuedBytes -= frame.reserved();
            if (queued.size() < MAX_QUEUED_FRAMES && queuedBytes < MAX_QUEUED_BYTES) {
                gate.resume(ReadGate.QUEUE_FULL);
            }
            ByteBuf bytes = frame.bytes();
            ByteBuffer buffer;
            if (readsInPlace(bytes)) {
                buffer = bytes.nioBuffer(); // released in finished(), once the request is answered
                inFlightFrame = bytes;
            } else {
                try {
                    buffer = ByteBuffer.allocate(bytes.readableBytes());
                    bytes.readBytes(buffer);
                    buffer.flip();
                } finally {
                    bytes.release();
                }
            }
            busy = true;
            dispatch(ctx, buffer, frame.reserved());
        }
    }

    /**
     * Whether a request is parsed straight from its network buffer instead of a heap copy: only
     * Produce, whose record bytes then go to the segment file without a copy (a heap buffer would be
     * copied into a JDK temporary direct buffer by the file write). Its handler is done with the
     * request when it answers (nothing keeps the records), which is when the buffer is released.
     * Other requests get a heap copy: their parsed fields may be kept (group metadata, say).
     */
    private static boolean readsInPlace(ByteBuf bytes) {
        return bytes.readableBytes() >= 2 && bytes.getShort(bytes.readerIndex()) == ApiKeys.PRODUCE.id
                && bytes.isDirect() && bytes.nioBufferCount() == 1;
    }

    /** The request is answered (or dropped): its memory goes back, the next one may go. */
    private void finished(ChannelHandlerContext ctx, int reserved) {
        if (inFlightFrame != null) {
            inFlightFrame.release();
            inFlightFrame = null;
        }
        memory.release(reserved);
        busy = false;
        processNext(ctx);
    }

    /** Handles one request; {@link #finished} follows exactly once, when it has been answered. */
    private void dispatch(ChannelHandlerContext ctx, ByteBuffer buffer, int reserved) {
        if (sasl != null && sasl.expectsRawTokens()) { // after a SaslHandshake v0: a bare token, no header
            byte[] token = new byte[buffer.remaining()];
            buffer.get(token);
            authenticate(ctx, null, () -> sasl.rawToken(token), reserved);
            return;
        }
        RequestHeader header;
        try {
            header = RequestHeader.parse(buffer);
        } catch (RuntimeException e) {
            closeWithReason(ctx, "an unreadable request header (" + e.getMessage() + ")");
            finished(ctx, reserved);
            return;
        }
        ApiKeys key = header.apiKey();
        short version = header.apiVersion();
        if (sasl != null && sasl.isComplete() && sasl.sessionLifetimeMs() > 0 && key != ApiKeys.SASL_HANDSHAKE
                && System.nanoTime() - sessionExpiresNanos > 0) {
            closeWithReason(ctx, "a " + key + " request after its session expired without re-authentication "
                    + "(connections.max.reauth.ms)");
            finished(ctx, reserved);
            return;
        }
        if (sasl != null && !sasl.mayPass(key) && !sasl.handles(key)) {
            closeWithReason(ctx, ((SaslAuthenticator.Close) sasl.refuse(key)).reason());
            finished(ctx, reserved);
            return;
        }
        if (key == ApiKeys.API_VERSIONS && !registry.supports(key, version)) {
            // KIP-511: answer in v0 so an older/newer client can pick a version it shares with us
            send(ctx, header.correlationId(), (short) 0, registry.unsupportedVersionResponse(), (short) 0);
            finished(ctx, reserved);
            return;
        }
        AbstractRequest request;
        try {
            request = AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(buffer)).request;
        } catch (RuntimeException e) {
            closeWithReason(ctx, "an unparsable " + key + " v" + version + " request (" + e.getMessage() + ")");
            finished(ctx, reserved);
            return;
        }
        if (request.data() instanceof ApiVersionsRequestData apiVersions) {
            softwareName = apiVersions.clientSoftwareName();
            softwareVersion = apiVersions.clientSoftwareVersion();
        }
        if (sasl != null && sasl.handles(key)) {
            if (!registry.supports(key, version)) {
                closeWithReason(ctx, "a " + key + " v" + version + " request, a version Brook does not serve");
                finished(ctx, reserved);
                return;
            }
            authenticate(ctx, header, () -> sasl.step(request.data(), version), reserved);
            return;
        }
        @SuppressWarnings("unchecked")
        ApiHandler<ApiMessage> handler = (ApiHandler<ApiMessage>) registry.handler(key);
        if (handler == null || !registry.supports(key, version)) {
            respondWithError(ctx, header, request, Errors.UNSUPPORTED_VERSION.exception(
                    key + " v" + version + " is not supported by Brook; see its ApiVersions answer"));
            finished(ctx, reserved);
            return;
        }
        RequestContext context = new RequestContext(header,
                ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress(), connectionId, softwareName,
                softwareVersion, listenerName, securityProtocol, principal, new RequestThreadTime());
        long receivedNs = System.nanoTime();
        CompletableFuture<ApiMessage> response = new CompletableFuture<>();
        boolean here = handlesHere(handler, context, request);
        RequestContext handling = here ? context.onNetworkThread(ctx.channel().eventLoop()) : context;
        Runnable handle = () -> {
            try {
                context.threadTime().start();
                CompletableFuture<? extends ApiMessage> handled = handler.handle(handling, request.data());
                context.threadTime().stop(); // before the response completes: seen by it
                handled.whenComplete((r, e) -> {
                    if (e != null) {
                        response.completeExceptionally(e);
                    } else {
                        response.complete(r);
                    }
                });
            } catch (Throwable t) {
                response.completeExceptionally(t);
            }
        };
        if (here) {
            handle.run(); // an idle long poll: parked from here, no request-thread hop
        } else {
            try {
                requestExecutor.execute(handle);
            } catch (RejectedExecutionException e) {
                response.completeExceptionally(e);
            }
        }
        response.whenComplete((body, error) -> {
            // KIP-219: the answer goes now with its throttle time, then the connection is muted for that time
            long throttleMs = error != null || quotas == null ? 0
                    : quotas.onResponse(context.principal(), header.clientId(), request.data(), reserved, body,
                            context.threadTime());
            if (copiesRecords && error == null && body != null && ResponseWriter.readsFiles(body)) {
                // encoded on a request-handler thread: it reads segment files, which neither the event loop nor
                // the thread completing the request (the delayed-operation timer, a producer's) should wait on;
                // any other answer is encoded from memory on the event loop, as on a plaintext listener
                Runnable encodeAndSend = () -> {
                    List<Object> parts = encode(ctx, header.correlationId(), key.responseHeaderVersion(version), body,
                            version);
                    ctx.channel().eventLoop().execute(() -> {
                        logCompleted(key, version, header, request, receivedNs, body);
                        if (parts != null) {
                            write(ctx, parts);
                        }
                        mute(ctx, throttleMs);
                        finished(ctx, reserved);
                    });
                };
                executeOrRun(encodeAndSend);
                return;
            }
            ctx.channel().eventLoop().execute(() -> {
                logCompleted(key, version, header, request, receivedNs, error != null ? error : body);
                if (error != null) {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause()
                            : error;
                    if (!(cause instanceof ApiException)) {
                        log.error("Unexpected error handling {} v{} from {}", key, version, connectionId, cause);
                    }
                    respondWithError(ctx, header, request, cause);
                } else if (body != null) {
                    send(ctx, header.correlationId(), key.responseHeaderVersion(version), body, version);
                }
                mute(ctx, throttleMs);
                finished(ctx, reserved);
            });
        });
    }

    private boolean handlesHere(ApiHandler<ApiMessage> handler, RequestContext context, AbstractRequest request) {
        try {
            return handler.handlesOnNetworkThread(context, request.data());
        } catch (RuntimeException e) {
            log.warn("Deciding where to handle a {} request failed; a request thread handles it", handler.apiKey(), e);
            return false;
        }
    }

    /**
     * Mutes the connection for {@code throttleMs} (nothing when 0): it is not read and none of its queued requests
     * is dispatched until a timer on its event loop lifts the mute, so no thread waits (Kafka mutes the channel).
     */
    private void mute(ChannelHandlerContext ctx, long throttleMs) {
        if (throttleMs <= 0 || !ctx.channel().isActive()) {
            return;
        }
        throttled = true;
        gate.pause(ReadGate.THROTTLED);
        throttleEnd = ctx.executor().schedule(() -> {
            throttleEnd = null;
            throttled = false;
            gate.resume(ReadGate.THROTTLED);
            processNext(ctx);
        }, throttleMs, TimeUnit.MILLISECONDS);
    }

    private void logCompleted(ApiKeys key, short version, RequestHeader header, AbstractRequest request,
                              long receivedNs, Object outcome) {
        if (REQUEST_LOG.isDebugEnabled()) {
            REQUEST_LOG.debug("Completed request {} v{} (correlation id {}) from connection {} ({} {}, principal {}, "
                    + "listener {}) in {} us: {} -> {}", key, version, header.correlationId(), connectionId,
                    softwareName, softwareVersion, principal, listenerName,
                    TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - receivedNs), request.data(), outcome);
        }
    }

    /** Runs {@code task} on a request-handler thread, or here if none takes it (the node is stopping). */
    private void executeOrRun(Runnable task) {
        try {
            requestExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /**
     * Encodes a response with record bytes copied (any thread); null after closing the connection when it
     * cannot be encoded.
     */
    private List<Object> encode(ChannelHandlerContext ctx, int correlationId, short headerVersion, ApiMessage body,
                                short version) {
        try {
            return ResponseWriter.serialize(ctx.alloc(), correlationId, headerVersion, body, version, true);
        } catch (RuntimeException e) {
            log.error("Closing connection {}: the {} v{} response could not be encoded", connectionId,
                    body.apiKey(), version, e);
            ctx.close();
            return null;
        }
    }

    /** Writes an encoded response's parts (releasing them if the connection has gone). */
    private void write(ChannelHandlerContext ctx, List<Object> parts) {
        if (!ctx.channel().isActive()) {
            parts.forEach(io.netty.util.ReferenceCountUtil::release);
            return;
        }
        for (int i = 0; i < parts.size() - 1; i++) {
            ctx.write(parts.get(i), ctx.voidPromise());
        }
        ctx.writeAndFlush(parts.get(parts.size() - 1), ctx.voidPromise());
    }

    /**
     * One step of the connection's SASL exchange, decided on a request-handler thread (SCRAM computes HMACs) and
     * applied here: an answer, the principal on success, or a failure answered after
     * {@code connection.failed.authentication.delay.ms} and then closed.
     */
    private void authenticate(ChannelHandlerContext ctx, RequestHeader header,
                              java.util.function.Supplier<SaslAuthenticator.Step> decision, int reserved) {
        CompletableFuture<SaslAuthenticator.Step> decided = new CompletableFuture<>();
        try {
            requestExecutor.execute(() -> {
                try {
                    decided.complete(decision.get());
                } catch (Throwable t) {
                    decided.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            decided.completeExceptionally(e);
        }
        short headerVersion = header == null ? 0 : header.apiKey().responseHeaderVersion(header.apiVersion());
        decided.whenComplete((step, error) -> ctx.channel().eventLoop().execute(() -> {
            if (error != null) {
                log.error("Closing connection {}: its SASL step failed", connectionId, error);
                ctx.close();
            } else if (step instanceof SaslAuthenticator.RawAnswer raw) {
                if (raw.principal() != null) {
                    authenticated(ctx, raw.principal());
                }
                if (ctx.channel().isActive()) {
                    ctx.writeAndFlush(ctx.alloc().buffer(4 + raw.token().length).writeInt(raw.token().length)
                            .writeBytes(raw.token()), ctx.voidPromise());
                }
            } else if (step instanceof SaslAuthenticator.Respond respond) {
                send(ctx, header.correlationId(), headerVersion, respond.response(), header.apiVersion());
            } else if (step instanceof SaslAuthenticator.Authenticated done) {
                authenticated(ctx, done.principal());
                send(ctx, header.correlationId(), headerVersion, done.response(), header.apiVersion());
            } else if (step instanceof SaslAuthenticator.Fail fail) {
                // one audit line per failure (rate-limited per address), then the answer only after the delay:
                // guessing is slow
                InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
                if (audit != null) {
                    audit.authenticationFailed(listenerName, remote.getAddress().getHostAddress(), remote.getPort(),
                            sasl.claimedUser(), sasl.mechanism(), fail.reason());
                } else {
                    log.info("Failed authentication with {} (connection {}, listener {}): {}", remote, connectionId,
                            listenerName, fail.reason());
                }
                ctx.executor().schedule(() -> {
                    if (fail.response() != null) {
                        send(ctx, header.correlationId(), headerVersion, fail.response(), header.apiVersion());
                    }
                    ctx.close();
                    finished(ctx, reserved);
                }, saslListener.failedAuthenticationDelayMs(), TimeUnit.MILLISECONDS);
                return;
            } else if (step instanceof SaslAuthenticator.Close close) {
                closeWithReason(ctx, close.reason());
            }
            finished(ctx, reserved);
        }));
    }

    /** The SASL exchange succeeded: the principal is set, the deadline gone, full-size requests accepted. */
    private void authenticated(ChannelHandlerContext ctx, KafkaPrincipal authenticated) {
        principal = authenticated;
        if (sasl.sessionLifetimeMs() > 0) {
            sessionExpiresNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sasl.sessionLifetimeMs());
        }
        if (authenticationDeadline != null) {
            authenticationDeadline.cancel(false);
            authenticationDeadline = null;
        }
        RequestFrameDecoder frames = ctx.pipeline().get(RequestFrameDecoder.class);
        if (frames != null) {
            frames.acceptFullSize();
        }
        log.debug("Connection {} authenticated as {}", connectionId, principal);
    }

    private void respondWithError(ChannelHandlerContext ctx, RequestHeader header, AbstractRequest request,
                                  Throwable error) {
        ApiMessage body;
        try {
            body = request.getErrorResponse(0, error).data();
        } catch (RuntimeException e) { // kafka-clients cannot build it for some requests (a null list)
            closeWithReason(ctx, "a " + header.apiKey() + " v" + header.apiVersion() + " request whose error answer ("
                    + error.getMessage() + ") cannot be built: " + e);
            return;
        }
        send(ctx, header.correlationId(), header.apiKey().responseHeaderVersion(header.apiVersion()), body,
                header.apiVersion());
    }

    private void send(ChannelHandlerContext ctx, int correlationId, short headerVersion, ApiMessage body,
                      short version) {
        if (!ctx.channel().isActive()) {
            return;
        }
        List<Object> parts;
        try {
            parts = ResponseWriter.serialize(ctx.alloc(), correlationId, headerVersion, body, version, copiesRecords);
        } catch (RuntimeException e) {
            log.error("Closing connection {}: the {} v{} response could not be encoded", connectionId,
                    body.apiKey(), version, e);
            ctx.close();
            return;
        }
        write(ctx, parts);
    }

    private void closeWithReason(ChannelHandlerContext ctx, String reason) {
        log.info("Closing connection {}: it sent {}", connectionId, reason);
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ConnectionAuthenticated authenticated) {
            principal = authenticated.principal();
            return;
        }
        if (evt instanceof IdleStateEvent) {
            log.debug("Closing idle connection {} (connections.max.idle.ms)", connectionId);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause instanceof io.netty.handler.codec.CorruptedFrameException) {
            closeWithReason(ctx, "a frame the server refuses: " + cause.getMessage());
        } else if (cause instanceof java.io.IOException) {
            log.debug("Connection {} failed: {}", connectionId, cause.toString());
            ctx.close();
        } else {
            log.warn("Closing connection {} after an unexpected error", connectionId, cause);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (authenticationDeadline != null) {
            authenticationDeadline.cancel(false);
            authenticationDeadline = null;
        }
        if (throttleEnd != null) {
            throttleEnd.cancel(false);
            throttleEnd = null;
        }
        RequestFrameDecoder.Frame frame;
        while ((frame = queued.poll()) != null) {
            frame.bytes().release();
            memory.release(frame.reserved());
        }
        queuedBytes = 0;
        super.channelInactive(ctx);
    }
}
