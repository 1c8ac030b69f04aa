package io.brook.metadata.quota;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@Timeout(30)
class IpLiteralTest {
    @Test
    void readsIpLiteralsAndNothingThatNeedsALookup() throws Exception {
        assertArrayEquals(new byte[] {127, 0, 0, 1}, IpLiteral.parse("127.0.0.1").getAddress());
        assertArrayEquals(new byte[] {10, 0, 0, (byte) 255}, IpLiteral.parse("10.0.0.255").getAddress());
        assertEquals(InetAddress.getByName("::1"), IpLiteral.parse("::1"));
        assertEquals(InetAddress.getByName("fe80::1"), IpLiteral.parse("fe80:0:0:0:0:0:0:1"));
        assertNull(IpLiteral.parse("localhost"));
        assertNull(IpLiteral.parse("broker.example.com"));
        assertNull(IpLiteral.parse("1.2.3"));
        assertNull(IpLiteral.parse("1.2.3.4.5"));
        assertNull(IpLiteral.parse("1.2.3.256"));
        assertNull(IpLiteral.parse("1.2..4"));
        assertNull(IpLiteral.parse("1.2.3.-4"));
        assertNull(IpLiteral.parse("::g"));
        assertNull(IpLiteral.parse(""));
        assertNull(IpLiteral.parse(null));
    }
}
