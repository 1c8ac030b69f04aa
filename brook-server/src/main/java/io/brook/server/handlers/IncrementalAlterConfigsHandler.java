package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.logging.LoggerLevels;
import io.brook.server.config.BrokerConfig;
import io.brook.server.network.tls.TlsListeners;
import io.brook.storage.log.LogConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * IncrementalAlterConfigs for topics (SET, DELETE, and APPEND/SUBTRACT on list-valued configs), dynamic broker
 * configs (a broker id or "" for the cluster default, committed through the controller), a TLS listener's
 * certificates and logger levels.
 */
public final class IncrementalAlterConfigsHandler implements ApiHandler<IncrementalAlterConfigsRequestData> {
    private static final Logger log = LoggerFactory.getLogger(IncrementalAlterConfigsHandler.class);

    private final BrokerContext broker;
    private final LoggerLevels loggers;
    /** The TLS listeners whose certificates a BROKER change may replace; null when the node has none wired. */
    private final TlsListeners tls;

    public IncrementalAlterConfigsHandler(BrokerContext broker, LoggerLevels loggers) {
        this(broker, loggers, null);
    }

    public IncrementalAlterConfigsHandler(BrokerContext broker, LoggerLevels loggers, TlsListeners tls) {
        this.broker = broker;
        this.loggers = loggers;
        this.tls = tls;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.INCREMENTAL_ALTER_CONFIGS;
    }

    @Override
    public CompletableFuture<IncrementalAlterConfigsResponseData> handle(RequestContext context,
                                                                         IncrementalAlterConfigsRequestData request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicated = new HashSet<>();
        for (AlterConfigsResource r : request.resources()) {
            if (!seen.add(r.resourceType() + "/" + r.resourceName())) {
                duplicated.add(r.resourceType() + "/" + r.resourceName());
            }
        }
        List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsResource resource : request.resources()) {
            AlterConfigsResourceResponse result = new AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            CompletableFuture<Void> done;
            try {
                if (duplicated.contains(resource.resourceType() + "/" + resource.resourceName())) {
                    throw new InvalidRequestException("Resource " + resource.resourceName()
                            + " appears more than once in the request.");
                }
                org.apache.kafka.common.errors.ApiException refused = Access.configs(broker, context,
                        AclOperation.ALTER_CONFIGS, resource.resourceType(), resource.resourceName());
                if (refused != null) {
                    throw refused;
                }
                done = alter(resource, request.validateOnly());
            } catch (RuntimeException e) {
                done = CompletableFuture.failedFuture(e);
            }
            results.add(done.handle((ok, e) -> e == null ? result
                    : result.setErrorCode(ErrorMapping.errorFor(e).code()).setErrorMessage(ErrorMapping.messageFor(e))));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
            results.forEach(r -> response.responses().add(r.join()));
            return response;
        });
    }

    private CompletableFuture<Void> alter(AlterConfigsResource resource, boolean validateOnly) {
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        if (type == ConfigResource.Type.BROKER) {
            if (tls != null && !resource.configs().isEmpty()
                    && resource.configs().stream().allMatch(c -> tls.isReloadable(c.name()))) {
                alterTlsListeners(resource, validateOnly);
                return CompletableFuture.completedFuture(null);
            }
            return alterDynamicBrokerConfigs(resource, validateOnly);
        }
        if (type == ConfigResource.Type.BROKER_LOGGER) {
            alterLoggers(resource, validateOnly);
            return CompletableFuture.completedFuture(null);
        }
        if (type != ConfigResource.Type.TOPIC) {
            throw new InvalidRequestException("Brook does not alter configs of resource type " + type + " yet.");
        }
        TopicImage topic = TopicConfigChanges.requireTopic(broker, resource.resourceName());
        Map<String, String> overrides = new HashMap<>(topic.configs());
        Set<String> names = new HashSet<>();
        for (AlterableConfig config : resource.configs()) {
            if (!names.add(config.name())) {
                throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
            }
            OpType op = OpType.forId(config.configOperation());
            if (op == null) {
                throw new InvalidRequestException("Unknown config operation " + config.configOperation());
            }
            switch (op) {
                case SET:
                    overrides.put(config.name(), config.value());
                    break;
                case DELETE:
                    overrides.remove(config.name());
                    break;
                case APPEND:
                case SUBTRACT:
                    overrides.put(config.name(), applyListOp(op, config, effectiveValue(topic, config.name())));
                    break;
                default:
                    throw new InvalidRequestException("Unknown config operation " + op);
            }
        }
        return TopicConfigChanges.apply(broker, topic.name(), overrides, validateOnly);
    }

    /**
     * BROKER: only a TLS listener's key and trust material ({@code listener.name.<x>.ssl.keystore.location}, ...)
     * changes at run time (new connections get the new certificates, as Kafka's dynamic listener configs); any
     * other broker setting is static.
     */
    private void alterTlsListeners(AlterConfigsResource resource, boolean validateOnly) {
        if (!resource.resourceName().equals(String.valueOf(broker.nodeId()))) {
            throw new InvalidRequestException("A listener's certificates are changed per broker: name broker "
                    + broker.nodeId() + " (--entity-name " + broker.nodeId() + "), not '" + resource.resourceName()
                    + "'");
        }
        Map<String, String> changes = new HashMap<>();
        for (AlterableConfig config : resource.configs()) {
            OpType op = OpType.forId(config.configOperation());
            if (changes.containsKey(config.name())) {
                throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
            }
            if (op == OpType.SET) {
                changes.put(config.name(), config.value());
            } else if (op == OpType.DELETE) {
                changes.put(config.name(), null);
            } else {
                throw new InvalidRequestException(op + " is not allowed for " + config.name());
            }
        }
        try {
            tls.alter(changes, validateOnly);
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }

    /**
     * Dynamic broker configs (KRaft's BROKER ConfigRecords): SET and DELETE on the resource's current dynamic
     * configs, APPEND / SUBTRACT on a list-valued one's effective value; the result replaces them through the
     * controller.
     */
    private CompletableFuture<Void> alterDynamicBrokerConfigs(AlterConfigsResource resource, boolean validateOnly) {
        Map<String, String> configs = new HashMap<>(TopicConfigChanges.brokerConfigs(broker, resource.resourceName()));
        Set<String> names = new HashSet<>();
        for (AlterableConfig config : resource.configs()) {
            if (!names.add(config.name())) {
                throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
            }
            OpType op = OpType.forId(config.configOperation());
            if (op == OpType.SET) {
                configs.put(config.name(), config.value());
            } else if (op == OpType.DELETE) {
                configs.remove(config.name());
            } else if (op == OpType.APPEND || op == OpType.SUBTRACT) {
                ConfigDef.ConfigKey key = BrokerConfig.CONFIG_DEF.configKeys().get(config.name());
                if (key == null || key.type != ConfigDef.Type.LIST) {
                    throw new InvalidRequestException("Config " + config.name() + " is not a list; " + op
                            + " applies to list configs only.");
                }
                String current = configs.containsKey(config.name()) ? configs.get(config.name())
                        : listValue(broker.config().value(config.name()));
                configs.put(config.name(), applyListOp(op, config.value(), current));
            } else {
                throw new InvalidRequestException("Unknown config operation " + config.configOperation());
            }
        }
        return TopicConfigChanges.applyBroker(broker, resource.resourceName(), configs, validateOnly);
    }

    private static String listValue(Object value) {
        return value instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList()) : "";
    }

    /** Logger levels (BROKER_LOGGER): SET a level or DELETE a logger's own; all are checked before any is changed. */
    private void alterLoggers(AlterConfigsResource resource, boolean validateOnly) {
        if (!resource.resourceName().isEmpty() && !resource.resourceName().equals(String.valueOf(broker.nodeId()))) {
            throw new InvalidRequestException("Unexpected broker id, expected " + broker.nodeId()
                    + " or empty string, but received " + resource.resourceName());
        }
        Set<String> names = new HashSet<>();
        for (AlterableConfig config : resource.configs()) {
            if (!names.add(config.name())) {
                throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
            }
            OpType op = OpType.forId(config.configOperation());
            if (op == OpType.SET) {
                loggers.validateSet(config.name(), config.value());
            } else if (op == OpType.DELETE) {
                loggers.validateUnset(config.name());
            } else {
                throw new InvalidRequestException(op + " operation is not allowed for the BROKER_LOGGER resource");
            }
        }
        if (validateOnly) {
            return;
        }
        for (AlterableConfig config : resource.configs()) {
            if (OpType.forId(config.configOperation()) == OpType.SET) {
                loggers.set(config.name(), config.value());
                log.info("Logger {} set to {} (IncrementalAlterConfigs)", config.name(), config.value());
            } else {
                loggers.unset(config.name());
                log.info("Logger {} reset to its parent's level (IncrementalAlterConfigs)", config.name());
            }
        }
    }

    private String effectiveValue(TopicImage topic, String name) {
        return broker.replicas().effectiveConfigs(topic.configs()).getOrDefault(name,
                defaultOf(name));
    }

    private static String defaultOf(String name) {
        ConfigDef.ConfigKey key = LogConfig.CONFIG_DEF.configKeys().get(name);
        return key == null || key.defaultValue == null ? "" : ConfigDef.convertToString(key.defaultValue, key.type);
    }

    private static String applyListOp(OpType op, AlterableConfig config, String current) {
        ConfigDef.ConfigKey key = LogConfig.CONFIG_DEF.configKeys().get(config.name());
        if (key == null) {
            throw new InvalidConfigurationException("Unknown topic config name: " + config.name());
        }
        if (key.type != ConfigDef.Type.LIST) {
            throw new InvalidConfigurationException("Config " + config.name() + " is not a list; "
                    + op + " applies to list configs only.");
        }
        return applyListOp(op, config.value(), current);
    }

    private static String applyListOp(OpType op, String operand, String current) {
        List<String> values = new ArrayList<>();
        for (String v : current.split(",")) {
            if (!v.trim().isEmpty()) {
                values.add(v.trim());
            }
        }
        List<String> operands = Arrays.stream(operand == null ? new String[0] : operand.split(","))
                .map(String::trim).filter(v -> !v.isEmpty()).toList();
        if (op == OpType.APPEND) {
            operands.stream().filter(v -> !values.contains(v)).forEach(values::add);
        } else {
            values.removeAll(operands);
        }
        return String.join(",", values);
    }
}
