package io.brook.coordinator.group;

import java.util.List;

/**
 * A classic group as {@code __consumer_offsets} keeps it (Kafka's group metadata record): written when a
 * generation's assignment is complete and when the group becomes empty, read back by the coordinator that loads
 * the partition next, so that members go on heartbeating and committing in their generation after a coordinator
 * move instead of rejoining.
 *
 * @param protocolType          the members' protocol type ("consumer", "connect", ...)
 * @param generation            the generation the members are in
 * @param protocolName          the protocol (assignor) chosen for the generation, null when the group is empty
 * @param leaderId              the member that computed the assignment, null when the group is empty
 * @param currentStateTimestamp when the group entered its state (wall clock, ms): for an empty group, the start
 *                              of its offsets' retention
 */
public record StoredGroup(String protocolType, int generation, String protocolName, String leaderId,
                          long currentStateTimestamp, List<StoredMember> members) {

    /**
     * A member in its generation.
     *
     * @param subscription its metadata for the chosen protocol
     * @param assignment   what the leader assigned it
     */
    public record StoredMember(String memberId, String instanceId, String clientId, String clientHost,
                               int rebalanceTimeoutMs, int sessionTimeoutMs, byte[] subscription,
                               byte[] assignment) {
    }
}
