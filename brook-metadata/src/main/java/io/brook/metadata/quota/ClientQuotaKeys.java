package io.brook.metadata.quota;

import java.util.Set;

/**
 * Kafka's client quota keys (the names {@code kafka-configs --entity-type users/clients/ips} sets) and which of
 * them Brook enforces. Only enforced keys are accepted: a quota that is stored but not applied would let an
 * operator believe a client is limited when it is not.
 */
public final class ClientQuotaKeys {
    /** Bytes per second a user/client may produce (request bytes of Produce). */
    public static final String PRODUCER_BYTE_RATE = "producer_byte_rate";
    /** Bytes per second a user/client may fetch as a consumer (response bytes of Fetch). */
    public static final String CONSUMER_BYTE_RATE = "consumer_byte_rate";
    /** Percentage of one request-handler thread's time (Kafka's request quota, KIP-124). */
    public static final String REQUEST_PERCENTAGE = "request_percentage";
    /** Partitions created or deleted per second (KIP-599: CreateTopics, CreatePartitions, DeleteTopics). */
    public static final String CONTROLLER_MUTATION_RATE = "controller_mutation_rate";
    /** New connections per second from one IP address (KIP-612), the only key of the ip entity. */
    public static final String CONNECTION_CREATION_RATE = "connection_creation_rate";

    /** Keys Kafka accepts for user and client-id entities. */
    public static final Set<String> USER_CLIENT_KEYS = Set.of(PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE,
            REQUEST_PERCENTAGE, CONTROLLER_MUTATION_RATE);
    /** Keys Kafka accepts for ip entities. */
    public static final Set<String> IP_KEYS = Set.of(CONNECTION_CREATION_RATE);
    /** Keys Brook enforces, so accepts. */
    public static final Set<String> ENFORCED = Set.of(PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE,
            CONTROLLER_MUTATION_RATE, REQUEST_PERCENTAGE, CONNECTION_CREATION_RATE);
    /** Keys whose values are whole numbers (Kafka's LONG and INT types); the others are DOUBLE. */
    public static final Set<String> WHOLE = Set.of(PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, CONNECTION_CREATION_RATE);

    private ClientQuotaKeys() {
    }
}
