package io.brook.server.network;

import io.netty.channel.Channel;

/**
 * Decides whether a connection reads from its socket: it reads only while no reason to pause
 * holds. The reasons are independent (node memory, this connection's queue of requests, its
 * unsent responses), so each sets and clears its own; auto-read follows the result.
 *
 * <p>Thread-safety: confined to the channel's event loop.
 */
final class ReadGate {
    /** The node-wide request memory is used up ({@link RequestMemory}). */
    static final int MEMORY = 1;
    /** The connection has as many requests queued as it may. */
    static final int QUEUE_FULL = 1 << 1;
    /** The connection's responses are not being consumed (its channel is not writable). */
    static final int UNWRITABLE = 1 << 2;
    /** The connection went over a client quota and is muted for its throttle time (KIP-219). */
    static final int THROTTLED = 1 << 3;

    private final Channel channel;
    private int reasons;

    ReadGate(Channel channel) {
        this.channel = channel;
    }

    void pause(int reason) {
        set(reasons | reason);
    }

    void resume(int reason) {
        set(reasons & ~reason);
    }

    boolean paused(int reason) {
        return (reasons & reason) != 0;
    }

    private void set(int next) {
        boolean wasReading = reasons == 0;
        reasons = next;
        boolean reading = next == 0;
        if (wasReading != reading) {
            channel.config().setAutoRead(reading);
        }
    }
}
