package io.brook.server.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(30)
class IpConnectionQuotasTest {
    /** {@code image} with {@code connection_creation_rate} of the ip entity {@code ip} (null: default) set. */
    private static MetadataImage withRate(MetadataImage image, String ip, double rate) {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType("ip").setEntityName(ip));
        entry.setOps(new ArrayList<>(List.of(new AlterClientQuotasRequestData.OpData()
                .setKey("connection_creation_rate").setValue(rate))));
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        request.entries().add(entry);
        return image.apply(ClientQuotaControl.alter(image, request).records(), image.offset() + 1);
    }

    @Test
    void theAddressOwnQuotaElseTheDefaultElseNone() throws Exception {
        InetAddress local = InetAddress.getByName("127.0.0.1");
        InetAddress other = InetAddress.getByName("10.1.2.3");
        InetAddress v6 = InetAddress.getByName("0:0:0:0:0:0:0:1");
        MetadataImage image = withRate(MetadataImage.EMPTY, "127.0.0.1", 5);
        assertEquals(5.0, IpConnectionQuotas.rateFor(image.clientQuotas(), local));
        assertEquals(ConnectionRates.UNLIMITED, IpConnectionQuotas.rateFor(image.clientQuotas(), other));
        image = withRate(withRate(image, null, 50), "::1", 7);
        assertEquals(5.0, IpConnectionQuotas.rateFor(image.clientQuotas(), local));
        assertEquals(50.0, IpConnectionQuotas.rateFor(image.clientQuotas(), other));
        assertEquals(7.0, IpConnectionQuotas.rateFor(image.clientQuotas(), v6), "compared as addresses");
        assertEquals(ConnectionRates.UNLIMITED, IpConnectionQuotas.rateFor(ClientQuotasImage.EMPTY, local));
    }

    @Test
    void aChangedImageAppliesToTheNextLookup() throws Exception {
        InetAddress local = InetAddress.getByName("127.0.0.1");
        AtomicReference<ClientQuotasImage> current = new AtomicReference<>(ClientQuotasImage.EMPTY);
        IpConnectionQuotas quotas = new IpConnectionQuotas(current::get);
        assertEquals(ConnectionRates.UNLIMITED, quotas.rateFor(local));
        current.set(withRate(MetadataImage.EMPTY, "127.0.0.1", 3).clientQuotas());
        assertEquals(3.0, quotas.rateFor(local));
    }
}
