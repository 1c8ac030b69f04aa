package io.brook.server.handlers;

import io.brook.server.controller.QuorumDescription;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.LocalControllerChannel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.UnregisterBrokerRequestData;
import org.apache.kafka.common.message.UnregisterBrokerResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UnregisterBroker through the controller: a registered broker goes, an unknown id is refused as Kafka does. */
class UnregisterBrokerHandlerTest {
    @TempDir
    File dir;

    @Test
    void aRegisteredBrokerIsRemovedAndAnUnknownOneRefused() throws Exception {
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1,
                    Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0), "c", 9_000);
            channel.registerBroker(new BrokerRegistrationRequestData().setBrokerId(2).setClusterId("c")
                    .setIncarnationId(Uuid.randomUuid())).get(10, TimeUnit.SECONDS);
            assertNotNull(controller.image().cluster().broker(2));
            UnregisterBrokerHandler handler = new UnregisterBrokerHandler(channel);

            UnregisterBrokerResponseData removed = handler.handle(context(),
                    new UnregisterBrokerRequestData().setBrokerId(2)).get(10, TimeUnit.SECONDS);
            assertEquals(Errors.NONE.code(), removed.errorCode());
            assertNull(controller.image().cluster().broker(2));

            UnregisterBrokerResponseData unknown = handler.handle(context(),
                    new UnregisterBrokerRequestData().setBrokerId(2)).get(10, TimeUnit.SECONDS);
            assertEquals(Errors.BROKER_ID_NOT_REGISTERED.code(), unknown.errorCode());
            assertTrue(unknown.errorMessage().contains("2"), unknown.errorMessage());
        }
    }

    private static RequestContext context() throws Exception {
        RequestHeader header = new RequestHeader(ApiKeys.UNREGISTER_BROKER,
                ApiKeys.UNREGISTER_BROKER.latestVersion(), "admin", 1);
        return new RequestContext(header, InetAddress.getLoopbackAddress(), "c1", "", "", "PLAINTEXT",
                SecurityProtocol.PLAINTEXT, KafkaPrincipal.ANONYMOUS);
    }
}
