package io.brook.metadata.quota;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The name of an {@code ip} client quota entity ({@code kafka-configs --entity-type ips --entity-name 10.0.0.1}) read
 * as an address without any name lookup: an IPv4 literal (four decimal bytes) or an IPv6 literal (anything with a
 * colon, which the JDK parses without asking DNS). Kafka's controller also accepts a host name and resolves it when
 * the quota is altered; Brook's controller decisions are pure, so a host name is refused instead. Pure.
 */
public final class IpLiteral {
    private IpLiteral() {
    }

    /** The address {@code name} spells, or null when it is not an IP literal. */
    public static InetAddress parse(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        if (name.indexOf(':') >= 0) {
            try {
                return InetAddress.getByName(name); // a colon makes it an IPv6 literal: parsed, never looked up
            } catch (UnknownHostException | SecurityException e) {
                return null;
            }
        }
        String[] parts = name.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an address", e);
        }
    }
}
