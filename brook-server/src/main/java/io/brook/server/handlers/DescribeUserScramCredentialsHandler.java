package io.brook.server.handlers;

import io.brook.metadata.image.ScramImage;
import io.brook.metadata.scram.ScramCredential;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData.UserName;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.CredentialInfo;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeUserScramCredentials from this broker's metadata image, with Kafka's semantics: no users (null or
 * empty) describes every user that has a credential; a named user without one gets RESOURCE_NOT_FOUND, a
 * user named twice DUPLICATE_RESOURCE. Only mechanisms and iteration counts are told, never salts or keys.
 */
public final class DescribeUserScramCredentialsHandler implements ApiHandler<DescribeUserScramCredentialsRequestData> {
    private final BrokerContext broker;

    public DescribeUserScramCredentialsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS;
    }

    @Override
    public CompletableFuture<DescribeUserScramCredentialsResponseData> handle(
            RequestContext context, DescribeUserScramCredentialsRequestData request) {
        ScramImage scram = broker.replicas().image().scram();
        DescribeUserScramCredentialsResponseData response = new DescribeUserScramCredentialsResponseData();
        if (request.users() == null || request.users().isEmpty()) {
            new TreeMap<>(scram.users()).forEach((user, byMechanism) ->
                    response.results().add(described(user, byMechanism)));
            return CompletableFuture.completedFuture(response);
        }
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (UserName name : request.users()) {
            if (!seen.add(name.name())) {
                duplicates.add(name.name());
            }
        }
        Set<String> answered = new HashSet<>();
        for (UserName name : request.users()) {
            String user = name.name();
            if (!answered.add(user)) {
                continue;
            }
            Map<ScramMechanism, ScramCredential> byMechanism = scram.users().get(user);
            if (duplicates.contains(user)) {
                response.results().add(new DescribeUserScramCredentialsResult().setUser(user)
                        .setErrorCode(Errors.DUPLICATE_RESOURCE.code())
                        .setErrorMessage("Cannot describe SCRAM credentials for the same user twice in a single "
                                + "request"));
            } else if (byMechanism == null) {
                response.results().add(new DescribeUserScramCredentialsResult().setUser(user)
                        .setErrorCode(Errors.RESOURCE_NOT_FOUND.code())
                        .setErrorMessage("Attempt to describe a user credential that does not exist"));
            } else {
                response.results().add(described(user, byMechanism));
            }
        }
        return CompletableFuture.completedFuture(response);
    }

    private static DescribeUserScramCredentialsResult described(String user,
                                                                Map<ScramMechanism, ScramCredential> byMechanism) {
        List<CredentialInfo> infos = new ArrayList<>();
        new TreeMap<>(byMechanism).forEach((mechanism, credential) -> infos.add(new CredentialInfo()
                .setMechanism(mechanism.type()).setIterations(credential.iterations())));
        return new DescribeUserScramCredentialsResult().setUser(user).setErrorCode(Errors.NONE.code())
                .setCredentialInfos(infos);
    }
}
