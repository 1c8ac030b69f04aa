package io.brook.metadata.image;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord.BrokerEndpoint;
import org.apache.kafka.common.metadata.RegisterBrokerRecord.BrokerEndpointCollection;
import org.apache.kafka.common.metadata.RegisterBrokerRecord.BrokerFeature;
import org.apache.kafka.common.metadata.RegisterBrokerRecord.BrokerFeatureCollection;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One registered broker as the metadata log says (KRaft's {@code BrokerRegistration}): its id, the
 * broker epoch (the offset of the {@code RegisterBrokerRecord} that registered this incarnation),
 * the incarnation id the process picked at start, its listeners, rack and supported feature
 * ranges, and whether it is fenced or in controlled shutdown. A broker is <em>usable</em> (may lead
 * partitions and receive new replicas) only when it is neither.
 *
 * <p>Thread-safety: immutable.
 */
public record BrokerRegistration(int id, long epoch, Uuid incarnationId, List<Endpoint> endpoints,
                                 Optional<String> rack, Map<String, FeatureRange> supportedFeatures,
                                 boolean fenced, boolean inControlledShutdown) {

    /** One listener the broker advertises: name, host, port and Kafka's security protocol id. */
    public record Endpoint(String name, String host, int port, short securityProtocol) {
    }

    /** The versions of a feature the broker supports, both ends included. */
    public record FeatureRange(short min, short max) {
        public boolean contains(short level) {
            return level >= min && level <= max;
        }
    }

    public BrokerRegistration {
        endpoints = List.copyOf(endpoints);
        supportedFeatures = Collections.unmodifiableMap(new TreeMap<>(supportedFeatures));
    }

    /** The registration a {@code RegisterBrokerRecord} describes. */
    public static BrokerRegistration fromRecord(RegisterBrokerRecord record) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (BrokerEndpoint e : record.endPoints()) {
            endpoints.add(new Endpoint(e.name(), e.host(), e.port(), e.securityProtocol()));
        }
        Map<String, FeatureRange> features = new TreeMap<>();
        for (BrokerFeature f : record.features()) {
            features.put(f.name(), new FeatureRange(f.minSupportedVersion(), f.maxSupportedVersion()));
        }
        return new BrokerRegistration(record.brokerId(), record.brokerEpoch(), record.incarnationId(), endpoints,
                Optional.ofNullable(record.rack()), features, record.fenced(), record.inControlledShutdown());
    }

    /**
     * This registration as the record that recreates it (for image snapshots), at the version
     * Kafka's latest production metadata.version writes.
     */
    public ApiMessageAndVersion toRecord() {
        BrokerEndpointCollection endpointRecords = new BrokerEndpointCollection();
        for (Endpoint e : endpoints) {
            endpointRecords.add(new BrokerEndpoint().setName(e.name()).setHost(e.host()).setPort(e.port())
                    .setSecurityProtocol(e.securityProtocol()));
        }
        BrokerFeatureCollection featureRecords = new BrokerFeatureCollection();
        for (Map.Entry<String, FeatureRange> f : supportedFeatures.entrySet()) {
            featureRecords.add(new BrokerFeature().setName(f.getKey()).setMinSupportedVersion(f.getValue().min())
                    .setMaxSupportedVersion(f.getValue().max()));
        }
        RegisterBrokerRecord record = new RegisterBrokerRecord().setBrokerId(id).setBrokerEpoch(epoch)
                .setIncarnationId(incarnationId).setEndPoints(endpointRecords).setFeatures(featureRecords)
                .setRack(rack.orElse(null)).setFenced(fenced).setInControlledShutdown(inControlledShutdown);
        return new ApiMessageAndVersion(record, MetadataVersion.LATEST_PRODUCTION.registerBrokerRecordVersion());
    }

    /** Neither fenced nor in controlled shutdown: may lead partitions and take new replicas. */
    public boolean usable() {
        return !fenced && !inControlledShutdown;
    }

    public BrokerRegistration withFenced(boolean newFenced) {
        return new BrokerRegistration(id, epoch, incarnationId, endpoints, rack, supportedFeatures, newFenced,
                inControlledShutdown);
    }

    public BrokerRegistration withInControlledShutdown(boolean newInControlledShutdown) {
        return new BrokerRegistration(id, epoch, incarnationId, endpoints, rack, supportedFeatures, fenced,
                newInControlledShutdown);
    }
}
