package io.brook.tests;

import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ResponseHeader;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/** A bare Kafka-protocol connection for sending hand-made (and malformed) requests. */
final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int correlationId;

    RawConnection(String bootstrap) throws IOException {
        String[] hostPort = bootstrap.split(":");
        socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Serializes a request (header and body) into a size-prefixed frame, with client id {@code raw-test}. */
    static byte[] frame(ApiKeys key, short version, ApiMessage body, int correlationId) {
        return frame(key, version, body, correlationId, "raw-test");
    }

    /** Serializes a request (header and body) from {@code clientId} into a size-prefixed frame. */
    static byte[] frame(ApiKeys key, short version, ApiMessage body, int correlationId, String clientId) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        short headerVersion = key.requestHeaderVersion(version);
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setClientId(clientId).setCorrelationId(correlationId);
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(4 + size);
        buffer.putInt(size);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        return buffer.array();
    }

    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends a request and parses its response. */
    ApiMessage call(ApiKeys key, short version, ApiMessage body) throws IOException {
        int id = ++correlationId;
        sendBytes(frame(key, version, body, id));
        return read(key, version, id);
    }

    ApiMessage read(ApiKeys key, short version, int expectedCorrelationId) throws IOException {
        int size = in.readInt();
        byte[] payload = new byte[size];
        in.readFully(payload);
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        ResponseHeader header = ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        if (header.correlationId() != expectedCorrelationId) {
            throw new IllegalStateException("correlation id " + header.correlationId() + " != " + expectedCorrelationId);
        }
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version).data();
    }

    /** Reads one size-prefixed frame as it is (a bare SASL token after a SaslHandshake v0, say). */
    byte[] readFrame() throws IOException {
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return payload;
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    boolean closedByServer() throws IOException {
        return closedByServerWithin(10_000);
    }

    /** True when the server closed the connection (EOF) within {@code millis}. */
    boolean closedByServerWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            return in.read() == -1;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by peer
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
