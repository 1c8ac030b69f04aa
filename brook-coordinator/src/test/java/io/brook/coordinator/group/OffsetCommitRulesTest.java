package io.brook.coordinator.group;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeat;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeatResult;
import io.brook.coordinator.group.GroupCoordinator.JoinRequest;
import io.brook.coordinator.group.GroupCoordinator.JoinResult;
import io.brook.coordinator.group.GroupCoordinator.Protocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Who may commit offsets into a group, plain (OffsetCommit) and transactional (TxnOffsetCommit), for
 * both group types, as Kafka's coordinator decides: the cases independent clients depend on.
 */
@Timeout(30)
class OffsetCommitRulesTest {
    static final TopicPartition TP = new TopicPartition("t", 0);
    static final Map<TopicPartition, CommittedOffset> ONE = Map.of(TP, new CommittedOffset(5, -1, "", 0));

    final ManualTimer timer = new ManualTimer();
    final GroupCoordinator coordinator = new GroupCoordinator(new GroupConfig(6000, 300_000, 0, 10, 4096, 45_000,
            5000, 100, List.of("uniform", "range")), new MemoryOffsetStore(), timer, timer::now);

    private Errors commit(int generation, String memberId) {
        return coordinator.commit("g", generation, memberId, null, ONE).join().get(TP);
    }

    private Errors txnCommit(int generation, String memberId) {
        return coordinator.txnCommit("g", 7, (short) 0, generation, memberId, null, ONE).join().get(TP);
    }

    /** A classic group with one member that has completed its rebalance; returns the member id. */
    private String classicMember() {
        JoinRequest request = new JoinRequest("g", "", null, "client", "/127.0.0.1", 10_000, 30_000, "consumer",
                List.of(new Protocol("range", new byte[]{1})), true);
        String id = coordinator.join(request).join().memberId();
        JoinResult joined = coordinator.join(new JoinRequest("g", id, null, "client", "/127.0.0.1", 10_000, 30_000,
                "consumer", List.of(new Protocol("range", new byte[]{1})), true)).join();
        assertEquals(Errors.NONE, joined.error());
        coordinator.sync("g", joined.generation(), id, null, "consumer", "range", Map.of(id, new byte[0])).join();
        return id;
    }

    /** A consumer-protocol (KIP-848) group with one member; returns its epoch. */
    private int consumerMember(String id) {
        ConsumerHeartbeatResult r = coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", id, 0, null, null,
                30_000, List.of("t"), null, null, Set.of(), "client", "/127.0.0.1"), Map.of("t", 1)).getNow(null);
        assertEquals(Errors.NONE, r.error());
        return r.memberEpoch();
    }

    @Test
    void aSimpleConsumerCommitsIntoAnUnknownOrEmptyGroupWhateverMemberIdItNames() {
        // librdkafka with group.protocol=consumer and assign() names its own member id with generation -1
        assertEquals(Errors.NONE, commit(-1, ""));
        assertEquals(Errors.NONE, commit(-1, "a-client-generated-member-id"));
        assertEquals(Errors.NONE, txnCommit(-1, "a-client-generated-member-id"));
    }

    @Test
    void aGenerationForAGroupThatDoesNotExistIsIllegal() {
        assertEquals(Errors.ILLEGAL_GENERATION, commit(3, "m"));
        assertEquals(Errors.ILLEGAL_GENERATION, txnCommit(3, "m"));
    }

    @Test
    void aClassicGroupWithMembersTakesMemberlessCommitsOnlyInsideTransactions() {
        String member = classicMember();
        // OffsetCommit v0 and a simple consumer: refused while the group has members
        assertEquals(Errors.UNKNOWN_MEMBER_ID, commit(-1, ""));
        // TxnOffsetCommit before v3 carries no member fields (kafkajs sendOffsets): accepted
        assertEquals(Errors.NONE, txnCommit(-1, ""));
        // fields that are present are checked
        assertEquals(Errors.UNKNOWN_MEMBER_ID, txnCommit(1, "stranger"));
        assertEquals(Errors.ILLEGAL_GENERATION, txnCommit(2, member));
        assertEquals(Errors.ILLEGAL_GENERATION, commit(-1, member));
        assertEquals(Errors.NONE, txnCommit(1, member));
        assertEquals(Errors.NONE, commit(1, member));
    }

    @Test
    void aConsumerProtocolGroupWithMembersTakesMemberlessCommitsOnlyInsideTransactions() {
        int epoch = consumerMember("m");
        assertEquals(Errors.UNKNOWN_MEMBER_ID, commit(-1, ""));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, commit(-1, "a-client-generated-member-id"));
        assertEquals(Errors.NONE, txnCommit(-1, ""));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, txnCommit(epoch, "stranger"));
        assertEquals(Errors.STALE_MEMBER_EPOCH, commit(epoch - 1, "m"));
        assertEquals(Errors.ILLEGAL_GENERATION, txnCommit(epoch - 1, "m")); // Kafka's answer to a stale epoch here
        assertEquals(Errors.FENCED_MEMBER_EPOCH, commit(epoch + 1, "m"));
        assertEquals(Errors.NONE, commit(epoch, "m"));
        assertEquals(Errors.NONE, txnCommit(epoch, "m"));
    }
}
