package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.ScramImage;
import io.brook.metadata.scram.ScramFunctions;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialDeletion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure decision of AlterUserScramCredentials with Kafka's controller semantics: each user named once in
 * the request (deletions and upsertions together) else DUPLICATE_RESOURCE for that user; an empty name
 * or too few (below {@value ScramFunctions#MIN_ITERATIONS}) or too many (above
 * {@value ScramFunctions#MAX_ITERATIONS}) iterations UNACCEPTABLE_CREDENTIAL; an unknown mechanism
 * UNSUPPORTED_SASL_MECHANISM; deleting a credential that does not exist RESOURCE_NOT_FOUND. Users without
 * an error get their records (an upsertion stores the salt, StoredKey, ServerKey and iterations derived from
 * the salted password the client sent; the password itself never reaches the server); all records of one
 * request are written together.
 */
public final class ScramControl {
    private ScramControl() {
    }

    /** One user's outcome: {@link Errors#NONE} or the refusal and its message. */
    private record Outcome(Errors error, String message) {
        static final Outcome OK = new Outcome(Errors.NONE, null);
    }

    public static ControllerResult<AlterUserScramCredentialsResponseData> alter(
            MetadataImage image, AlterUserScramCredentialsRequestData request) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        Map<String, ApiMessageAndVersion> pending = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (ScramCredentialDeletion deletion : request.deletions()) {
            String user = deletion.name();
            if (!seen.add(user)) {
                duplicate(user, outcomes, pending);
                continue;
            }
            Outcome outcome = checkName(user, deletion.mechanism());
            if (outcome == Outcome.OK && image.scram().credential(user,
                    ScramMechanism.fromType(deletion.mechanism())) == null) {
                outcome = new Outcome(Errors.RESOURCE_NOT_FOUND,
                        "Attempt to delete a user credential that does not exist");
            }
            outcomes.put(user, outcome);
            if (outcome == Outcome.OK) {
                pending.put(user, ScramImage.removalRecord(user, ScramMechanism.fromType(deletion.mechanism())));
            }
        }
        for (ScramCredentialUpsertion upsertion : request.upsertions()) {
            String user = upsertion.name();
            if (!seen.add(user)) {
                duplicate(user, outcomes, pending);
                continue;
            }
            Outcome outcome = checkName(user, upsertion.mechanism());
            if (outcome == Outcome.OK && upsertion.iterations() < ScramFunctions.MIN_ITERATIONS) {
                outcome = new Outcome(Errors.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
            } else if (outcome == Outcome.OK && upsertion.iterations() > ScramFunctions.MAX_ITERATIONS) {
                outcome = new Outcome(Errors.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
            } else if (outcome == Outcome.OK && (upsertion.salt().length == 0
                    || upsertion.saltedPassword().length == 0)) {
                outcome = new Outcome(Errors.UNACCEPTABLE_CREDENTIAL, "The salt and salted password must not be empty");
            }
            outcomes.put(user, outcome);
            if (outcome == Outcome.OK) {
                ScramMechanism mechanism = ScramMechanism.fromType(upsertion.mechanism());
                pending.put(user, ScramImage.record(user, mechanism, ScramFunctions.credential(mechanism,
                        upsertion.salt(), upsertion.saltedPassword(), upsertion.iterations())));
            }
        }
        AlterUserScramCredentialsResponseData response = new AlterUserScramCredentialsResponseData();
        List<ApiMessageAndVersion> records = new ArrayList<>(pending.values());
        outcomes.forEach((user, outcome) -> response.results().add(new AlterUserScramCredentialsResult()
                .setUser(user).setErrorCode(outcome.error().code()).setErrorMessage(outcome.message())));
        return ControllerResult.of(records, response);
    }

    private static void duplicate(String user, Map<String, Outcome> outcomes, Map<String, ApiMessageAndVersion> pending) {
        pending.remove(user);
        outcomes.put(user, new Outcome(Errors.DUPLICATE_RESOURCE,
                "A user credential cannot be altered twice in the same request"));
    }

    private static Outcome checkName(String user, byte mechanismType) {
        if (user.isEmpty()) {
            return new Outcome(Errors.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        }
        if (!ScramFunctions.supported(ScramMechanism.fromType(mechanismType))) {
            return new Outcome(Errors.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        }
        return Outcome.OK;
    }
}
