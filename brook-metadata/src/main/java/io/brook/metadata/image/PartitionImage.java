package io.brook.metadata.image;

import java.util.List;

/** One partition as the metadata says: replicas, in-sync replicas, leader and epochs. */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch) {
}
