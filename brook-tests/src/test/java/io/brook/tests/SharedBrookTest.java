package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedBrook}: whatever a test leaves of the class's server (killed, SIGSTOPped), the next test finds it
 * serving on the same address with the same data. The tests run in order; each later one checks what the one
 * before left behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedBrookTest {
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());
    private static String address;
    private static long killedPid;
    private static long pausedPid;

    @Test
    @Order(1)
    void aTestKillsTheServer() throws Exception {
        BrookFixture brook = SHARED.brook();
        address = brook.bootstrap();
        createTopic(brook, "kept");
        killedPid = brook.pid();
        brook.kill();
        assertFalse(brook.running());
    }

    @Test
    @Order(2)
    void theNextFindsItRestartedOnTheSameAddressAndDataThenLeavesItFrozen() throws Exception {
        BrookFixture brook = SHARED.brook();
        assertNotEquals(killedPid, brook.pid(), "a new process");
        assertEquals(address, brook.bootstrap(), "the same port");
        assertTrue(topics(brook).contains("kept"), "the same data");
        pausedPid = brook.pid();
        Processes.run(List.of("kill", "-STOP", String.valueOf(pausedPid)), null);
    }

    @Test
    @Order(3)
    void theNextFindsTheFrozenOneServingAgain() throws Exception {
        BrookFixture brook = SHARED.brook();
        assertEquals(pausedPid, brook.pid(), "the same process, resumed");
        assertTrue(topics(brook).contains("kept"));
    }

    private static void createTopic(BrookFixture brook, String topic) throws Exception {
        try (Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** The topics, asked with a short deadline: a frozen server fails this instead of stalling it. */
    private static Set<String> topics(BrookFixture brook) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brook.bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            return admin.listTopics().names().get(15, TimeUnit.SECONDS);
        }
    }
}
