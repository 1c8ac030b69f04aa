package io.brook.metadata.image;

import org.apache.kafka.common.DirectoryId;
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
 * ranges, whether it is fenced or in controlled shutdown, and the ids of its online log directories (KIP-858; empty
 * when the broker did not name them). A broker is <em>usable</em> (may lead partitions and receive new replicas) only
 * when it is neither fenced nor in controlled shutdown; a replica of it is online only when its directory is too
 * ({@link #hasOnlineDir}).
 *
 * <p>Thread-safety: immutable.
 */
public record BrokerRegistration(int id, long epoch, Uuid incarnationId, List<Endpoint> endpoints,
                                 Optional<String> rack, Map<String, FeatureRange> supportedFeatures,
                                 boolean fenced, boolean inControlledShutdown, List<Uuid> logDirs) {

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
        logDirs = logDirs.stream().sorted().toList(); // in order, as Kafka's registrations keep them
    }

    /** A registration that names no log directory. */
    public BrokerRegistration(int id, long epoch, Uuid incarnationId, List<Endpoint> endpoints,
                              Optional<String> rack, Map<String, FeatureRange> supportedFeatures,
                              boolean fenced, boolean inControlledShutdown) {
        this(id, epoch, incarnationId, endpoints, rack, supportedFeatures, fenced, inControlledShutdown, List.of());
    }

    /**
     * Whether a replica in {@code directory} is online here: the directory is one of the online ones, or not known
     * ({@code UNASSIGNED}, {@code MIGRATING}), or the broker names none; {@code LOST} never is.
     */
    public boolean hasOnlineDir(Uuid directory) {
        if (DirectoryId.UNASSIGNED.equals(directory) || DirectoryId.MIGRATING.equals(directory)) {
            return true;
        }
        return !DirectoryId.LOST.equals(directory) && (logDirs.isEmpty() || logDirs.contains(directory));
    }

    /**
     * The directory a new replica on this broker starts in: its only log directory, or {@code UNASSIGNED} when it
     * has several (the broker then names the one it chose), as Kafka's controller places them.
     */
    public Uuid defaultDir() {
        return logDirs.size() == 1 ? logDirs.get(0) : DirectoryId.UNASSIGNED;
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
                Optional.ofNullable(record.rack()), features, record.fenced(), record.inControlledShutdown(),
                record.logDirs());
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
                .setRack(rack.orElse(null)).setFenced(fenced).setInControlledShutdown(inControlledShutdown)
                .setLogDirs(new ArrayList<>(logDirs));
        return new ApiMessageAndVersion(record, MetadataVersion.LATEST_PRODUCTION.registerBrokerRecordVersion());
    }

    /** Neither fenced nor in controlled shutdown: may lead partitions and take new replicas. */
    public boolean usable() {
        return !fenced && !inControlledShutdown;
    }

    public BrokerRegistration withFenced(boolean newFenced) {
        return new BrokerRegistration(id, epoch, incarnationId, endpoints, rack, supportedFeatures, newFenced,
                inControlledShutdown, logDirs);
    }

    public BrokerRegistration withInControlledShutdown(boolean newInControlledShutdown) {
        return new BrokerRegistration(id, epoch, incarnationId, endpoints, rack, supportedFeatures, fenced,
                newInControlledShutdown, logDirs);
    }

    /** This registration with {@code online} as its online log directories. */
    public BrokerRegistration withLogDirs(List<Uuid> online) {
        return new BrokerRegistration(id, epoch, incarnationId, endpoints, rack, supportedFeatures, fenced,
                inControlledShutdown, online);
    }
}
