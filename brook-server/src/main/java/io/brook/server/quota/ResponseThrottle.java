package io.brook.server.quota;

import org.apache.kafka.common.protocol.ApiMessage;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;

/**
 * Sets the {@code throttle_time_ms} of any response (a request quota applies to every API): Kafka's generated
 * response classes each have {@code throttleTimeMs()} and {@code setThrottleTimeMs(int)} but no common interface,
 * so the two are looked up once per response class. A response without the field is left as it is (the connection
 * is still muted).
 *
 * <p>Thread-safety: thread-safe (the handles are cached per class by a {@link ClassValue}).
 */
final class ResponseThrottle {
    private record Accessors(MethodHandle get, MethodHandle set) {
    }

    private static final ClassValue<Optional<Accessors>> ACCESSORS = new ClassValue<>() {
        @Override
        protected Optional<Accessors> computeValue(Class<?> type) {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            try {
                return Optional.of(new Accessors(
                        lookup.findVirtual(type, "throttleTimeMs", MethodType.methodType(int.class)),
                        lookup.findVirtual(type, "setThrottleTimeMs", MethodType.methodType(type, int.class))));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                return Optional.empty();
            }
        }
    };

    private ResponseThrottle() {
    }

    /** Raises the throttle time of {@code response} to {@code throttleMs} (never lowers it); false without one. */
    static boolean raise(ApiMessage response, long throttleMs) {
        Accessors accessors = ACCESSORS.get(response.getClass()).orElse(null);
        if (accessors == null) {
            return false;
        }
        try {
            int current = (int) accessors.get().invoke(response);
            int raised = (int) Math.min(Integer.MAX_VALUE, Math.max(current, throttleMs));
            accessors.set().invoke(response, raised);
            return true;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot set the throttle time of " + response.getClass().getName(), e);
        }
    }
}
