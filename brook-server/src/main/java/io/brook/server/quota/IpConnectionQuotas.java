package io.brook.server.quota;

import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.quota.ClientQuotaEntity;
import io.brook.metadata.quota.ClientQuotaKeys;
import io.brook.metadata.quota.IpLiteral;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code connection_creation_rate} of a client address (KIP-612), as Kafka resolves it: the quota of the
 * address's own {@code ip} entity, else that of the default ip entity, else none ({@link ConnectionRates#UNLIMITED}).
 * Entity names are compared as addresses, not as text ({@code ::1} and {@code 0:0:0:0:0:0:0:1} are one address).
 * Read from the current metadata image, so an AlterClientQuotas applies to the next connection; the address table
 * is rebuilt only when the image's client quotas change.
 *
 * <p>Thread-safety: thread-safe (the table is an immutable snapshot behind a volatile field).
 */
public final class IpConnectionQuotas {
    /** The rates of one image: per address, and the default ip entity's (UNLIMITED when none). */
    private record Table(ClientQuotasImage image, Map<InetAddress, Double> rates, double defaultRate) {
    }

    private final Supplier<ClientQuotasImage> quotas;
    private volatile Table table;

    public IpConnectionQuotas(Supplier<ClientQuotasImage> quotas) {
        this.quotas = quotas;
    }

    /** The connection creation rate of {@code address} now, {@link ConnectionRates#UNLIMITED} when none applies. */
    public double rateFor(InetAddress address) {
        ClientQuotasImage image = quotas.get();
        Table current = table;
        if (current == null || current.image() != image) {
            current = tableOf(image);
            table = current;
        }
        return current.rates().getOrDefault(address, current.defaultRate());
    }

    /** The connection creation rate of {@code address} in {@code image} (pure). */
    public static double rateFor(ClientQuotasImage image, InetAddress address) {
        Table table = tableOf(image);
        return table.rates().getOrDefault(address, table.defaultRate());
    }

    private static Table tableOf(ClientQuotasImage image) {
        Map<InetAddress, Double> rates = new HashMap<>();
        double defaultRate = ConnectionRates.UNLIMITED;
        for (Map.Entry<ClientQuotaEntity, Map<String, Double>> e : image.entities().entrySet()) {
            Map<String, String> parts = e.getKey().parts();
            Double rate = e.getValue().get(ClientQuotaKeys.CONNECTION_CREATION_RATE);
            if (rate == null || parts.size() != 1 || !parts.containsKey(ClientQuotaEntity.IP)) {
                continue;
            }
            String name = parts.get(ClientQuotaEntity.IP);
            if (name == null) {
                defaultRate = rate;
            } else {
                InetAddress address = IpLiteral.parse(name); // the controller accepts literals only
                if (address != null) {
                    rates.put(address, rate);
                }
            }
        }
        return new Table(image, Map.copyOf(rates), defaultRate);
    }
}
