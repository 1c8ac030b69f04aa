package io.brook.server.network;

import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;

/**
 * Counts what a connection has queued for writing, for its write buffer watermarks: buffers by
 * their readable bytes (Netty's default) and file regions by the bytes they still have to send,
 * which Netty's default counts as 0. A slow reader of zero-copy fetch data then becomes
 * unwritable like one of in-memory responses, and stops being served until it catches up.
 *
 * <p>Thread-safety: stateless.
 */
final class PendingBytes implements MessageSizeEstimator {
    static final PendingBytes INSTANCE = new PendingBytes();
    private static final Handle HANDLE = new Handle() {
        private final Handle fallback = DefaultMessageSizeEstimator.DEFAULT.newHandle();

        @Override
        public int size(Object msg) {
            if (msg instanceof FileRegion region) {
                return (int) Math.min(Integer.MAX_VALUE, region.count() - region.transferred());
            }
            return fallback.size(msg);
        }
    };

    private PendingBytes() {
    }

    @Override
    public Handle newHandle() {
        return HANDLE;
    }
}
