package io.brook.server.network;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame decoder against the node's request memory, on an embedded channel. */
class BackpressureChannelTest {
    private static ByteBuf frame(int size) {
        ByteBuf buf = Unpooled.buffer(4 + size);
        buf.writeInt(size);
        buf.writeZero(size);
        return buf;
    }

    @Test
    void aConnectionStopsReadingWhileTheNodeMemoryIsUsedUpAndResumesWhenItComesBack() {
        RequestMemory memory = new RequestMemory(1000);
        EmbeddedChannel channel = new EmbeddedChannel();
        ReadGate gate = new ReadGate(channel);
        channel.pipeline().addLast(new RequestFrameDecoder(10_000, memory, gate));

        channel.writeInbound(frame(1500)); // over the budget, but some was left: admitted
        RequestFrameDecoder.Frame first = channel.readInbound();
        assertEquals(1500, first.reserved());
        assertEquals(1500, memory.used());
        assertTrue(channel.config().isAutoRead());

        ByteBuf two = Unpooled.wrappedBuffer(frame(100), frame(200));
        channel.writeInbound(two);
        assertNull(channel.readInbound(), "the next request waits for memory");
        assertFalse(channel.config().isAutoRead(), "and the connection stops reading");
        assertEquals(1, memory.waiting());

        first.bytes().release();
        memory.release(first.reserved());
        channel.runPendingTasks();
        RequestFrameDecoder.Frame second = channel.readInbound();
        RequestFrameDecoder.Frame third = channel.readInbound();
        assertEquals(100, second.reserved());
        assertEquals(200, third.reserved());
        assertEquals(300, memory.used());
        assertTrue(channel.config().isAutoRead());
        second.bytes().release();
        third.bytes().release();

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 3})); // a size prefix cut short
        channel.close();
        assertEquals(300, memory.used(), "nothing reserved for a frame whose size never arrived");
    }

    @Test
    void aRequestCutOffByTheConnectionsEndGivesItsMemoryBack() {
        RequestMemory memory = new RequestMemory(1000);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(new RequestFrameDecoder(10_000, memory, new ReadGate(channel)));
        ByteBuf partial = frame(500).writerIndex(4 + 100);
        channel.writeInbound(partial);
        assertEquals(500, memory.used());
        channel.close();
        assertEquals(0, memory.used());
    }
}
