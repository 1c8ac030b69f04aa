package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.scram.ScramCredential;
import io.brook.metadata.scram.ScramFunctions;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialDeletion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ScramControlTest {
    private static final byte[] SALT = "salt-of-alice".getBytes(StandardCharsets.UTF_8);

    private static ScramCredentialUpsertion upsert(String user, ScramMechanism mechanism, String password,
                                                   int iterations) {
        return new ScramCredentialUpsertion().setName(user).setMechanism(mechanism.type()).setIterations(iterations)
                .setSalt(SALT).setSaltedPassword(ScramFunctions.saltedPassword(mechanism, password, SALT, iterations));
    }

    private static Map<String, Errors> errors(AlterUserScramCredentialsResponseData response) {
        Map<String, Errors> errors = new HashMap<>();
        for (AlterUserScramCredentialsResult r : response.results()) {
            errors.put(r.user(), Errors.forCode(r.errorCode()));
        }
        return errors;
    }

    @Test
    void upsertionStoresSaltedKeysNeverThePasswordAndSurvivesASnapshot() {
        AlterUserScramCredentialsRequestData request = new AlterUserScramCredentialsRequestData();
        request.upsertions().add(upsert("alice", ScramMechanism.SCRAM_SHA_512, "alice-secret", 8192));
        ControllerResult<AlterUserScramCredentialsResponseData> result = ScramControl.alter(MetadataImage.EMPTY,
                request);
        assertEquals(Map.of("alice", Errors.NONE), errors(result.response()));
        MetadataImage image = MetadataImage.EMPTY.apply(result.records(), 0);
        ScramCredential stored = image.scram().credential("alice", ScramMechanism.SCRAM_SHA_512);
        assertEquals(8192, stored.iterations());
        byte[] salted = ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_512, "alice-secret", SALT, 8192);
        assertArrayEquals(ScramFunctions.serverKey(ScramMechanism.SCRAM_SHA_512, salted), stored.serverKey());
        assertArrayEquals(ScramFunctions.storedKey(ScramMechanism.SCRAM_SHA_512,
                ScramFunctions.clientKey(ScramMechanism.SCRAM_SHA_512, salted)), stored.storedKey());
        assertFalse(Arrays.equals(salted, stored.storedKey()) || Arrays.equals(salted, stored.serverKey()));
        assertNull(image.scram().credential("alice", ScramMechanism.SCRAM_SHA_256));
        assertFalse(stored.toString().contains(Arrays.toString(stored.storedKey())));

        // a snapshot's records rebuild it; a delta between two images carries it
        assertEquals(image, MetadataImage.EMPTY.apply(image.records(), image.offset()));
        assertEquals(image, MetadataDelta.between(MetadataImage.EMPTY, image).apply(image.offset()));
        assertEquals(MetadataImage.EMPTY.apply(java.util.List.of(), 0),
                MetadataDelta.between(image, MetadataImage.EMPTY).apply(0));
    }

    @Test
    void refusalsFollowKafka() {
        AlterUserScramCredentialsRequestData first = new AlterUserScramCredentialsRequestData();
        first.upsertions().add(upsert("bob", ScramMechanism.SCRAM_SHA_256, "pw", 4096));
        MetadataImage image = MetadataImage.EMPTY.apply(ScramControl.alter(MetadataImage.EMPTY, first).records(), 0);

        AlterUserScramCredentialsRequestData request = new AlterUserScramCredentialsRequestData();
        request.upsertions().add(upsert("few", ScramMechanism.SCRAM_SHA_256, "pw", 4095));
        request.upsertions().add(upsert("many", ScramMechanism.SCRAM_SHA_256, "pw", 16385));
        request.upsertions().add(upsert("", ScramMechanism.SCRAM_SHA_256, "pw", 4096));
        request.upsertions().add(upsert("twice", ScramMechanism.SCRAM_SHA_256, "pw", 4096));
        request.upsertions().add(upsert("twice", ScramMechanism.SCRAM_SHA_512, "pw", 4096));
        request.upsertions().add(new ScramCredentialUpsertion().setName("empty").setMechanism((byte) 1)
                .setIterations(4096).setSalt(new byte[0]).setSaltedPassword(new byte[0]));
        request.upsertions().add(new ScramCredentialUpsertion().setName("odd").setMechanism((byte) 7)
                .setIterations(4096).setSalt(SALT).setSaltedPassword(new byte[32]));
        request.deletions().add(new ScramCredentialDeletion().setName("nobody")
                .setMechanism(ScramMechanism.SCRAM_SHA_256.type()));
        request.deletions().add(new ScramCredentialDeletion().setName("bob")
                .setMechanism(ScramMechanism.SCRAM_SHA_256.type()));
        ControllerResult<AlterUserScramCredentialsResponseData> result = ScramControl.alter(image, request);
        assertEquals(Map.of("few", Errors.UNACCEPTABLE_CREDENTIAL, "many", Errors.UNACCEPTABLE_CREDENTIAL,
                "", Errors.UNACCEPTABLE_CREDENTIAL, "twice", Errors.DUPLICATE_RESOURCE,
                "odd", Errors.UNSUPPORTED_SASL_MECHANISM, "empty", Errors.UNACCEPTABLE_CREDENTIAL,
                "nobody", Errors.RESOURCE_NOT_FOUND, "bob", Errors.NONE), errors(result.response()));
        assertEquals(1, result.records().size(), "only bob's deletion is written");
        MetadataImage after = image.apply(result.records(), 1);
        assertTrue(after.scram().users().isEmpty());
        assertThrows(IllegalStateException.class, () -> after.apply(result.records(), 2),
                "removing a credential that does not exist is refused at replay, as in Kafka");
    }
}
