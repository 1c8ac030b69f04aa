package io.brook.metadata.quorum;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The leader's answer to a forwarded request, as bytes on Ratis's read-only request path: one status byte,
 * then the handler's reply ({@link Status#OK}), the leader id hint as an int ({@link Status#RETRY}: not the
 * leader, or the leader's handler timed out) or a UTF-8 message ({@link Status#ERROR}). Pure.
 */
final class ForwardEnvelope {
    enum Status { OK, RETRY, ERROR }

    private final Status status;
    private final ByteBuffer payload;
    private final int leaderHint;
    private final String message;

    private ForwardEnvelope(Status status, ByteBuffer payload, int leaderHint, String message) {
        this.status = status;
        this.payload = payload;
        this.leaderHint = leaderHint;
        this.message = message;
    }

    static ByteBuffer ok(ByteBuffer reply) {
        ByteBuffer out = ByteBuffer.allocate(1 + reply.remaining());
        out.put((byte) Status.OK.ordinal()).put(reply.duplicate()).flip();
        return out;
    }

    static ByteBuffer retry(int leaderHint) {
        ByteBuffer out = ByteBuffer.allocate(5);
        out.put((byte) Status.RETRY.ordinal()).putInt(leaderHint).flip();
        return out;
    }

    static ByteBuffer error(String message) {
        byte[] text = String.valueOf(message).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(1 + text.length);
        out.put((byte) Status.ERROR.ordinal()).put(text).flip();
        return out;
    }

    /** @throws IllegalArgumentException when the bytes are not an envelope */
    static ForwardEnvelope decode(ByteBuffer bytes) {
        ByteBuffer in = bytes.duplicate();
        if (!in.hasRemaining()) {
            throw new IllegalArgumentException("empty reply from the quorum leader");
        }
        int code = in.get();
        if (code == Status.OK.ordinal()) {
            return new ForwardEnvelope(Status.OK, in.slice().asReadOnlyBuffer(), -1, null);
        }
        if (code == Status.RETRY.ordinal() && in.remaining() == 4) {
            return new ForwardEnvelope(Status.RETRY, null, in.getInt(), null);
        }
        if (code == Status.ERROR.ordinal()) {
            byte[] text = new byte[in.remaining()];
            in.get(text);
            return new ForwardEnvelope(Status.ERROR, null, -1, new String(text, StandardCharsets.UTF_8));
        }
        throw new IllegalArgumentException("malformed reply from the quorum leader (status " + code
                + ", " + in.remaining() + " more bytes)");
    }

    Status status() {
        return status;
    }

    /** The handler's reply, read-only ({@link Status#OK} only). */
    ByteBuffer payload() {
        return payload;
    }

    /** The leader the answering voter knows of, or -1 ({@link Status#RETRY} only). */
    int leaderHint() {
        return leaderHint;
    }

    /** The failure's message ({@link Status#ERROR} only). */
    String message() {
        return message;
    }
}
