package io.brook.metadata.quorum;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The owner of a voter's replicated state: it sees every committed entry in log order and owns the
 * snapshots. The entries are opaque bytes to the quorum.
 *
 * <p>Thread-safety: every method is called on the voter's one listener thread
 * ({@code brook-quorum-<id>-listener}), one call at a time, in the order the events happened in the log.
 * A callback must not block on the quorum (waiting for a {@link RaftQuorum#propose} future inside
 * {@link #onCommitted} would wait for itself). An exception thrown by {@link #onCommitted} stops this voter:
 * its state no longer matches the log, as when Ratis's own state machine fails.
 *
 * <p>Indexes are Raft log indexes: strictly increasing but not contiguous (Raft's own configuration
 * entries take indexes too and are not delivered).
 */
public interface QuorumListener {
    /**
     * One committed entry, called exactly once per entry on every voter (the leader too) during a run of
     * the voter, in log order, for every entry after the snapshot the voter started from or installed.
     * After a restart the entries after {@link #latestSnapshot()} are delivered again: an owner that keeps
     * its own durable copy skips indexes it already has.
     *
     * @param entry read-only; valid only during the call
     */
    void onCommitted(long index, long term, ByteBuffer entry);

    /**
     * The leader changed. {@code leaderId} is this voter's own id once it leads <em>and</em> every entry
     * committed before its term has been delivered here (it may propose from then on); -1 when this voter
     * stopped leading and no new leader is known yet.
     */
    void onLeaderChange(int leaderId, long term);

    /**
     * Writes a snapshot of the state after the entry at {@code index} (every entry up to it delivered)
     * and returns its files. The owner chooses their format and directory and may delete them once a newer
     * snapshot exists; the quorum links or copies them into its own storage to send them to lagging voters.
     * File names must be unique and must not end with {@code .md5}.
     */
    List<Path> takeSnapshot(long index, long term) throws IOException;

    /**
     * Replaces the owner's state with a snapshot written by {@link #takeSnapshot} on some voter: either
     * received from the leader because this voter was too far behind, or found at start-up in the quorum's
     * storage newer than the owner's {@link #latestSnapshot()}. The files belong to the quorum and are
     * valid only during the call: copy or read what must be kept. Entries after {@code index} follow.
     */
    void installSnapshot(List<Path> files, long index, long term) throws IOException;

    /**
     * Called once at start-up, before any other method: the newest snapshot the owner has durably and has
     * already loaded, if any. The voter resumes after it (or installs its own newer one).
     */
    Optional<QuorumSnapshot> latestSnapshot() throws IOException;
}
