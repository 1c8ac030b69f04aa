package io.brook.metadata.quorum;

/** Where a proposed entry landed: its Raft log index and the leader's term. */
public record Committed(long index, long term) {
}
