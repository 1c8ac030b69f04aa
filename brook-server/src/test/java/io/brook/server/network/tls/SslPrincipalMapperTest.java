package io.brook.server.network.tls;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka's ssl.principal.mapping.rules, as its documentation gives them. */
class SslPrincipalMapperTest {
    private static final String KAFKA_EXAMPLE = "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,"
            + "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,"
            + "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT";

    @Test
    void defaultKeepsTheSubject() {
        assertEquals(Optional.of("CN=alice,OU=eng,O=acme"), SslPrincipalMapper.parse("DEFAULT")
                .map("CN=alice,OU=eng,O=acme"));
    }

    @Test
    void firstMatchingRuleDecidesWithCaseChanges() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse(KAFKA_EXAMPLE);
        assertEquals(Optional.of("kafka-service"), mapper.map("CN=kafka-service,OU=ServiceUsers,O=Org,C=US"));
        assertEquals(Optional.of("duke@sme"), mapper.map("CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US"));
        assertEquals(Optional.of("duke"), mapper.map("CN=Duke,OU=JavaSoft,O=Sun Microsystems"));
        assertEquals(Optional.of("OU=JavaSoft,O=Sun Microsystems,C=US"),
                mapper.map("OU=JavaSoft,O=Sun Microsystems,C=US"));
    }

    @Test
    void upperCaseAndSpacesBetweenRules() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse(" RULE:^CN=([^,]*).*$/$1/U ,  DEFAULT ");
        assertEquals(Optional.of("ALICE"), mapper.map("CN=alice,O=acme"));
    }

    @Test
    void noMatchingRuleMeansNoPrincipal() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse("RULE:^CN=([^,]*),OU=eng$/$1/");
        assertEquals(Optional.of("bob"), mapper.map("CN=bob,OU=eng"));
        assertEquals(Optional.empty(), mapper.map("CN=bob,OU=sales"), "the pattern must match the whole subject");
        SslPrincipalMapper unanchored = SslPrincipalMapper.parse("RULE:CN=([^,]*)/$1/");
        assertEquals(Optional.of("bob"), unanchored.map("CN=bob"));
        assertEquals(Optional.empty(), unanchored.map("CN=bob,OU=eng"), "a match of a part is no match");
    }

    @Test
    void groupsThePatternDoesNotHaveStayLiteral() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse("RULE:^CN=([^,]*)$/$1-$2/");
        assertEquals(Optional.of("carol-$2"), mapper.map("CN=carol"));
    }

    @Test
    void badRulesAreRefusedSayingWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("RULE:abc/x"))
                .getMessage().contains("RULE:pattern/replacement/"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("DEFAULTS"))
                .getMessage().contains("unexpected 'S'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("RULE:[/x/"))
                .getMessage().contains("not a regular expression"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("MAGIC"))
                .getMessage().contains("does not start with a rule"));
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse(" , "));
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("RULE:a/b/X"));
    }
}
