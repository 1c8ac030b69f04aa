package io.brook.server.handlers;

import io.brook.metadata.image.AclsImage;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.controller.QuorumDescription;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.security.acl.AuthorizerSettings;
import io.brook.server.security.acl.BrokerAuthorizer;
import io.brook.server.security.acl.DenialLog;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the handler tests set up alike: node 1's {@link BrokerContext} with only the parts a handler under test uses,
 * an authorizer whose only allowed principal is the super user {@code User:admin}, a controller channel over a local
 * controller without a broker lifecycle, and a request's context.
 */
final class HandlerTestSupport {
    private HandlerTestSupport() {
    }

    /** An authorizer that allows everything to User:admin (a super user) and nothing to anyone else. */
    static BrokerAuthorizer adminOnly() {
        return new BrokerAuthorizer(new AuthorizerSettings(true, Set.of("User:admin"), false), () -> AclsImage.EMPTY,
                new DenialLog(System::currentTimeMillis));
    }

    /**
     * A channel to {@code controller} with no broker lifecycle: a request that needs one (an election, a
     * reassignment) is refused with UNSUPPORTED_VERSION.
     */
    static LocalControllerChannel withoutBrokerLifecycle(MetadataController controller) {
        return new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1, Short.MAX_VALUE,
                () -> QuorumDescription.singleNode(1, 0, 0, 0));
    }

    /**
     * Node 1 of cluster "cluster" with {@code replicas} and {@code controller} (either may be null), authorizing as
     * {@link #adminOnly}.
     */
    static BrokerContext broker(ReplicaManager replicas, ControllerChannel controller) {
        return new BrokerContext(1, "cluster", null, "localhost", 9092, replicas, controller,
                null, null, null, null, null, null, null, null, null, null, Map.of(), () -> 1, adminOnly());
    }

    /** A request of {@code api} at {@code version} from {@code User:user} over PLAINTEXT. */
    static RequestContext request(ApiKeys api, short version, String user) {
        return new RequestContext(new RequestHeader(api, version, "test", 1), InetAddress.getLoopbackAddress(), "c",
                "", "", "PLAINTEXT", SecurityProtocol.PLAINTEXT, new KafkaPrincipal(KafkaPrincipal.USER_TYPE, user));
    }
}
