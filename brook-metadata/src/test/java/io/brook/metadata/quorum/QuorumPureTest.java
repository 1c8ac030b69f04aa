package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.brook.metadata.quorum.QuorumCluster.bytes;
import static io.brook.metadata.quorum.QuorumCluster.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quorum's pure pieces: the voters syntax, the config checks and the forwarding envelope. */
class QuorumPureTest {
    @Test
    void parsesKafkasVotersSyntax() {
        Map<Integer, InetSocketAddress> voters = QuorumConfig.parseVoters("1@localhost:9093, 2@10.0.0.2:19093,3@[::1]:9093");
        assertEquals(List.of(1, 2, 3), List.copyOf(voters.keySet()));
        assertEquals("localhost", voters.get(1).getHostString());
        assertEquals(19093, voters.get(2).getPort());
        assertEquals("::1", voters.get(3).getHostString());
        for (String bad : List.of("1localhost:9093", "x@h:1", "1@h:0", "1@h:", "1@:9093", "1@h:1,1@h:2", "1@h:99999")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuorumConfig.parseVoters(bad));
            assertTrue(e.getMessage().contains("controller.quorum.voters"), e.getMessage());
        }
        assertTrue(QuorumConfig.parseVoters(" ").isEmpty());
    }

    @Test
    void aConfigNeedsItsOwnNodeAmongTheVoters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuorumConfig.builder(4, Path.of("q")).voters("1@h:1,2@h:2").build());
        assertTrue(e.getMessage().contains("node 4 is not one of the voters"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuorumConfig.builder(1, Path.of("q")).build());
        assertThrows(IllegalArgumentException.class, () -> QuorumConfig.builder(1, Path.of("q")).voters("1@h:1")
                .maxEntryBytes(4096).logSegmentBytes(4096).build());
        QuorumConfig ok = QuorumConfig.builder(1, Path.of("q")).voters("1@h:1").build();
        assertEquals(QuorumConfig.DEFAULT_ELECTION_TIMEOUT, ok.electionTimeout());
        assertEquals(1, ok.ownAddress().getPort());
    }

    @Test
    void envelopesRoundTripAndRefuseGarbage() {
        ForwardEnvelope ok = ForwardEnvelope.decode(ForwardEnvelope.ok(bytes("reply")));
        assertEquals(ForwardEnvelope.Status.OK, ok.status());
        assertEquals("reply", string(ok.payload()));
        ForwardEnvelope retry = ForwardEnvelope.decode(ForwardEnvelope.retry(3));
        assertEquals(ForwardEnvelope.Status.RETRY, retry.status());
        assertEquals(3, retry.leaderHint());
        ForwardEnvelope error = ForwardEnvelope.decode(ForwardEnvelope.error("bad broker epoch"));
        assertEquals(ForwardEnvelope.Status.ERROR, error.status());
        assertEquals("bad broker epoch", error.message());
        assertEquals(0, ForwardEnvelope.decode(ForwardEnvelope.ok(ByteBuffer.allocate(0))).payload().remaining());
        assertThrows(IllegalArgumentException.class, () -> ForwardEnvelope.decode(ByteBuffer.allocate(0)));
        assertThrows(IllegalArgumentException.class, () -> ForwardEnvelope.decode(ByteBuffer.wrap(new byte[] {7})));
        assertThrows(IllegalArgumentException.class, () -> ForwardEnvelope.decode(ByteBuffer.wrap(new byte[] {1, 0})));
    }
}
