package io.brook.tests;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.utils.ImplicitLinkedHashMultiCollection;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Random;

/**
 * Builds request frames for the protocol fuzzer: a valid request of a given API and version from
 * kafka-clients' generated {@code *RequestData} class (default-constructed, or with random field
 * values), serialized with its header, then optionally mutated.
 *
 * <p>Not thread-safe: one instance per fuzzing connection.
 */
final class FrameGenerator {
    /** An API key and version the server advertises. */
    record Api(ApiKeys key, short version) {
    }

    /**
     * A frame to send. {@code wellFramed} is true when its size prefix tells its true length, so
     * the server must answer it or close the connection; otherwise the server may wait for bytes
     * that never come, and the fuzzer half-closes the connection after sending it.
     */
    record Frame(byte[] bytes, boolean wellFramed, String kind) {
    }

    private static final int[] INTERESTING_INTS = {0, 1, -1, 2, -2, 3, 7, 16, 255, 256, Integer.MAX_VALUE,
            Integer.MIN_VALUE, Integer.MAX_VALUE - 1, 0x10000000, 0x7fffff, 0x800000};
    /** Partition counts above this are left out (see {@link #next}). */
    private static final int MAX_PARTITIONS = 1000;
    private static final String NAME_PREFIX = "fuzz-"; // random names never collide with the bystander's topic

    private final Random random;
    private final List<Api> apis;
    private int correlationId;

    FrameGenerator(Random random, List<Api> apis) {
        this.random = random;
        this.apis = apis;
    }

    /**
     * A frame of a random advertised API and version, mutated with some probability; never one
     * that asks for thousands of partitions, real work that may take the server longer than the
     * answer deadline and hold up the requests queued behind it.
     */
    Frame next() {
        while (true) {
            Frame frame = generate();
            if (!createsManyPartitions(frame)) {
                return frame;
            }
        }
    }

    private Frame generate() {
        Api api = apis.get(random.nextInt(apis.size()));
        byte[] valid = validFrame(api);
        int choice = random.nextInt(100);
        if (choice < 20) {
            return new Frame(valid, true, "valid");
        }
        if (choice < 25) {
            return garbage();
        }
        if (choice < 35) {
            return sizeLie(valid);
        }
        byte[] body = Arrays.copyOfRange(valid, 4, valid.length);
        StringBuilder kind = new StringBuilder();
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            if (kind.length() > 0) {
                kind.append('+');
            }
            body = mutate(body, kind);
        }
        return new Frame(prefixed(body), true, kind.toString());
    }

    /** A serialized request (size prefix, header, body) of {@code api}, with random fields when they serialize. */
    byte[] validFrame(Api api) {
        int id = ++correlationId;
        for (int attempt = 0; attempt < 4; attempt++) {
            double fieldChance = attempt == 0 ? 0.8 : 0.4 / attempt;
            ApiMessage body = api.key().messageType.newRequest();
            if (random.nextInt(10) > 0) {
                randomize(body, fieldChance, 0);
            }
            bound(body);
            try {
                return RawConnection.frame(api.key(), api.version(), body, id);
            } catch (RuntimeException notAtThisVersion) {
                // a field set that this version cannot carry; try again with fewer fields set
            }
        }
        return RawConnection.frame(api.key(), api.version(), api.key().messageType.newRequest(), id);
    }

    static boolean createsManyPartitions(Frame frame) {
        ApiMessage request = frame.wellFramed() ? parse(frame) : null;
        if (request instanceof CreateTopicsRequestData create) {
            return create.topics().stream().anyMatch(t -> t.numPartitions() > MAX_PARTITIONS);
        }
        return request instanceof CreatePartitionsRequestData create
                && create.topics().stream().anyMatch(t -> t.count() > MAX_PARTITIONS);
    }

    /** The request in a frame as kafka-clients parses it, or null when it does not parse. */
    static ApiMessage parse(Frame frame) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(frame.bytes(), 4, frame.bytes().length - 4).slice();
            RequestHeader header = RequestHeader.parse(buffer);
            return AbstractRequest.parseRequest(header.apiKey(), header.apiVersion(),
                    new ByteBufferAccessor(buffer)).request.data();
        } catch (RuntimeException unparsable) {
            return null;
        }
    }

    /**
     * Keeps waits short: a Fetch may wait for data as long as it asks, a group join for the other
     * members as long as the rebalance timeout says, which is not a hang.
     */
    private void bound(ApiMessage body) {
        if (body instanceof FetchRequestData fetch) {
            fetch.setMaxWaitMs(random.nextInt(50));
        } else if (body instanceof ShareFetchRequestData shareFetch) {
            shareFetch.setMaxWaitMs(random.nextInt(50));
        } else if (body instanceof JoinGroupRequestData join) {
            join.setRebalanceTimeoutMs(random.nextInt(2000));
        }
    }

    private Frame garbage() {
        byte[] body = new byte[random.nextInt(4) == 0 ? random.nextInt(4) : random.nextInt(300)];
        random.nextBytes(body);
        return new Frame(prefixed(body), true, "garbage");
    }

    /** The size prefix says more or less than the bytes that follow, or an absurd value. */
    private Frame sizeLie(byte[] valid) {
        int actual = valid.length - 4;
        int claimed = switch (random.nextInt(6)) {
            case 0 -> actual + 1 + random.nextInt(64);
            case 1 -> actual + 1 + random.nextInt(1 << 20);
            case 2 -> Math.max(0, actual - 1 - random.nextInt(Math.max(1, actual)));
            case 3 -> -1 - random.nextInt(Integer.MAX_VALUE);
            case 4 -> Integer.MAX_VALUE;
            default -> INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)];
        };
        byte[] lie = valid.clone();
        ByteBuffer.wrap(lie).putInt(claimed);
        return new Frame(lie, false, "size-lie");
    }

    private byte[] mutate(byte[] body, StringBuilder kind) {
        switch (random.nextInt(9)) {
            case 0 -> {
                kind.append("bitflip");
                byte[] out = body.clone();
                for (int i = 0, n = 1 + random.nextInt(8); i < n && out.length > 0; i++) {
                    out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
                }
                return out;
            }
            case 1 -> {
                kind.append("insert");
                byte[] extra = new byte[1 + random.nextInt(16)];
                random.nextBytes(extra);
                int at = random.nextInt(body.length + 1);
                byte[] out = new byte[body.length + extra.length];
                System.arraycopy(body, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(body, at, out, at + extra.length, body.length - at);
                return out;
            }
            case 2 -> {
                kind.append("delete");
                if (body.length == 0) {
                    return body;
                }
                int at = random.nextInt(body.length);
                int n = Math.min(body.length - at, 1 + random.nextInt(16));
                byte[] out = new byte[body.length - n];
                System.arraycopy(body, 0, out, 0, at);
                System.arraycopy(body, at + n, out, at, body.length - at - n);
                return out;
            }
            case 3 -> {
                kind.append("truncate");
                return Arrays.copyOf(body, body.length == 0 ? 0 : random.nextInt(body.length));
            }
            case 4 -> {
                kind.append("int-field");
                if (body.length < 4) {
                    return body;
                }
                byte[] out = body.clone();
                ByteBuffer.wrap(out).putInt(random.nextInt(out.length - 3),
                        INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)]);
                return out;
            }
            case 5 -> {
                kind.append("short-field");
                if (body.length < 2) {
                    return body;
                }
                byte[] out = body.clone();
                short value = switch (random.nextInt(4)) {
                    case 0 -> Short.MAX_VALUE;
                    case 1 -> -1;
                    case 2 -> Short.MIN_VALUE;
                    default -> (short) random.nextInt();
                };
                ByteBuffer.wrap(out).putShort(random.nextInt(out.length - 1), value);
                return out;
            }
            case 6 -> {
                kind.append("varint-field");
                byte[] varint = random.nextBoolean() ? new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                        0x07} : new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
                byte[] out = body.clone();
                int at = random.nextInt(out.length + 1);
                for (int i = 0; i < varint.length && at + i < out.length; i++) {
                    out[at + i] = varint[i];
                }
                return out;
            }
            case 7 -> {
                kind.append("header");
                byte[] out = body.length < 8 ? Arrays.copyOf(body, 8) : body.clone();
                ByteBuffer header = ByteBuffer.wrap(out);
                switch (random.nextInt(3)) {
                    case 0 -> header.putShort(0, random.nextBoolean() ? (short) random.nextInt(100)
                            : (short) random.nextInt());
                    case 1 -> header.putShort(2, random.nextBoolean() ? (short) (random.nextInt(40) - 2)
                            : (short) random.nextInt());
                    default -> header.putInt(4, random.nextInt());
                }
                return out;
            }
            default -> {
                kind.append("splice");
                byte[] other = validFrame(apis.get(random.nextInt(apis.size())));
                int cut = random.nextInt(body.length + 1);
                int from = 4 + random.nextInt(other.length - 3);
                byte[] out = Arrays.copyOf(body, cut + other.length - from);
                System.arraycopy(other, from, out, cut, other.length - from);
                return out;
            }
        }
    }

    static byte[] prefixed(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    /** Sets each settable field of {@code message} to a random value with probability {@code chance}. */
    private void randomize(Object message, double chance, int depth) {
        for (Method setter : message.getClass().getMethods()) {
            if (!setter.getName().startsWith("set") || setter.getParameterCount() != 1
                    || Modifier.isStatic(setter.getModifiers()) || random.nextDouble() >= chance) {
                continue;
            }
            Object value = randomValue(setter.getParameterTypes()[0], setter.getGenericParameterTypes()[0], depth);
            try {
                setter.invoke(message, value);
            } catch (ReflectiveOperationException | IllegalArgumentException e) {
                // a value this setter refuses: the field keeps its default
            }
        }
    }

    private Object randomValue(Class<?> type, Type generic, int depth) {
        if (type == boolean.class) {
            return random.nextBoolean();
        } else if (type == byte.class) {
            return (byte) (random.nextBoolean() ? random.nextInt(4) - 1 : random.nextInt());
        } else if (type == short.class) {
            return (short) (random.nextBoolean() ? random.nextInt(18) - 2 : randomInt());
        } else if (type == int.class) {
            return randomInt();
        } else if (type == long.class) {
            return random.nextInt(3) == 0 ? random.nextLong() : (long) randomInt();
        } else if (type == double.class) {
            return random.nextDouble();
        } else if (type == String.class) {
            return randomString();
        } else if (type == Uuid.class) {
            return random.nextBoolean() ? Uuid.ZERO_UUID : new Uuid(random.nextLong(), random.nextLong());
        } else if (type == byte[].class) {
            return random.nextInt(5) == 0 ? null : randomBytes(random.nextInt(40));
        } else if (type == ByteBuffer.class) {
            return ByteBuffer.wrap(randomBytes(random.nextInt(40)));
        } else if (BaseRecords.class.isAssignableFrom(type)) {
            return randomRecords();
        } else if (depth < 3 && Message.class.isAssignableFrom(type)) {
            return randomMessage(type, depth);
        } else if (depth < 3 && ImplicitLinkedHashMultiCollection.class.isAssignableFrom(type)) {
            return randomCollection(type, depth);
        } else if (depth < 3 && List.class.isAssignableFrom(type) && generic instanceof ParameterizedType p) {
            Type element = p.getActualTypeArguments()[0];
            if (!(element instanceof Class<?> elementClass)) {
                return null;
            }
            List<Object> list = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                list.add(randomValue(elementClass, elementClass, depth + 1));
            }
            return list;
        }
        return null;
    }

    private int randomInt() {
        return random.nextInt(3) == 0 ? random.nextInt() : INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)];
    }

    private String randomString() {
        return switch (random.nextInt(10)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> NAME_PREFIX + "x".repeat(random.nextInt(300));
            case 3 -> new String(randomBytes(random.nextInt(20)), StandardCharsets.ISO_8859_1);
            default -> NAME_PREFIX + Integer.toString(random.nextInt(50), 36);
        };
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private BaseRecords randomRecords() {
        return switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> MemoryRecords.EMPTY;
            case 2 -> MemoryRecords.readableRecords(ByteBuffer.wrap(randomBytes(random.nextInt(100))));
            default -> MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(random.nextLong() & Long.MAX_VALUE, randomBytes(4), randomBytes(random.nextInt(64))));
        };
    }

    private Object randomMessage(Class<?> type, int depth) {
        try {
            Object message = type.getConstructor().newInstance();
            randomize(message, 0.7, depth + 1);
            return message;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private Object randomCollection(Class<?> type, int depth) {
        try {
            Collection<Object> collection = (Collection<Object>) type.getConstructor().newInstance();
            Type element = ((ParameterizedType) type.getGenericSuperclass()).getActualTypeArguments()[0];
            for (int i = random.nextInt(4); i > 0; i--) {
                Object item = randomMessage((Class<?>) element, depth);
                if (item != null) {
                    collection.add(item);
                }
            }
            return collection;
        } catch (ReflectiveOperationException | ClassCastException e) {
            return null;
        }
    }
}
