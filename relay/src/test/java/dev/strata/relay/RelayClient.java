package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import dev.strata.model.Event;
import dev.strata.model.Json;
import dev.strata.model.RelayMessage;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * A real WebSocket client for end-to-end tests: what the relay sends is queued, and the test takes it with a
 * deadline (never a sleep).
 */
final class RelayClient implements AutoCloseable {
    static final long WAIT_SECONDS = 10;

    private final WebSocketClient client;
    final WebSocket ws;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Short> closedWith = new CompletableFuture<>();

    private RelayClient(WebSocketClient client, WebSocket ws) {
        this.client = client;
        this.ws = ws;
        ws.textMessageHandler(received::add);
        ws.closeHandler(v -> closedWith.complete(ws.closeStatusCode()));
    }

    static RelayClient connect(Vertx vertx, int port) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20));
        // Handlers are set on the event loop as the upgrade completes: a relay may speak first (a NIP-42 challenge
        // on connect), and what arrives before a handler is set would be lost.
        return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/"))
                .map(ws -> new RelayClient(client, ws))
                .toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    void send(String text) {
        ws.writeTextMessage(text);
    }

    /** The next message from the relay, as text. */
    String nextText() throws InterruptedException {
        String m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(m, "no message from the relay within " + WAIT_SECONDS + " s");
        return m;
    }

    RelayMessage next() throws Exception {
        String text = nextText();
        try {
            return RelayMessage.parse(text);
        } catch (Json.JsonException e) {
            throw new AssertionError("relay sent an unreadable message: " + text, e);
        }
    }

    <T extends RelayMessage> T next(Class<T> type) throws Exception {
        RelayMessage m = next();
        return assertInstanceOf(type, m, "expected " + type.getSimpleName() + ", got " + m);
    }

    /** Publishes and returns the OK for it. */
    RelayMessage.Ok publish(Event e) throws Exception {
        send("[\"EVENT\"," + e.toJson() + "]");
        RelayMessage.Ok ok = next(RelayMessage.Ok.class);
        assertEquals(e.id(), ok.eventId());
        return ok;
    }

    void publishAccepted(Event e) throws Exception {
        RelayMessage.Ok ok = publish(e);
        assertTrue(ok.accepted(), "expected OK true for " + e + ", got " + ok);
    }

    /** NIP-42: the next message is the relay's AUTH challenge; returns it. */
    String challenge() throws Exception {
        return next(RelayMessage.AuthChallenge.class).challenge();
    }

    /** NIP-42: sends {@code ["AUTH", <event>]} and returns the OK for it. */
    RelayMessage.Ok auth(Event authEvent) throws Exception {
        send("[\"AUTH\"," + authEvent.toJson() + "]");
        RelayMessage.Ok ok = next(RelayMessage.Ok.class);
        assertEquals(authEvent.id(), ok.eventId());
        return ok;
    }

    /** Sends a REQ and expects it refused: returns the CLOSED message's reason. */
    String reqRefused(String subId, String... filters) throws Exception {
        send("[\"REQ\"," + Json.quote(subId) + "," + String.join(",", filters) + "]");
        RelayMessage.Closed closed = next(RelayMessage.Closed.class);
        assertEquals(subId, closed.subscriptionId());
        return closed.message();
    }

    /** NIP-45: the number a COUNT of these filters gets, on a connection of its own. */
    static long count(Vertx vertx, int port, String... filters) throws Exception {
        try (RelayClient counter = connect(vertx, port)) {
            counter.send("[\"COUNT\",\"n\"," + String.join(",", filters) + "]");
            return counter.next(RelayMessage.CountResult.class).count();
        }
    }

    /** The ids of the stored events that match, read on a connection of its own (so no live event follows). */
    static List<String> stored(Vertx vertx, int port, String... filters) throws Exception {
        try (RelayClient reader = connect(vertx, port)) {
            return reader.req("stored", filters);
        }
    }

    /** Sends a REQ and returns the ids of the stored events, in order, up to its EOSE. */
    List<String> req(String subId, String... filters) throws Exception {
        send("[\"REQ\"," + Json.quote(subId) + "," + String.join(",", filters) + "]");
        return storedUntilEose(subId);
    }

    List<String> storedUntilEose(String subId) throws Exception {
        List<String> ids = new ArrayList<>();
        while (true) {
            RelayMessage m = next();
            if (m instanceof RelayMessage.Eose e && e.subscriptionId().equals(subId)) {
                return ids;
            }
            if (m instanceof RelayMessage.EventMatch em && em.subscriptionId().equals(subId)) {
                ids.add(Event.parse(em.eventJson()).id());
            } else {
                fail("expected EVENT or EOSE for " + subId + ", got " + m);
            }
        }
    }

    /** Everything the relay sends until it closes the connection, waited for at most {@code seconds}. */
    List<RelayMessage> untilClosed(long seconds) throws Exception {
        List<RelayMessage> messages = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String text = received.poll(50, TimeUnit.MILLISECONDS);
            if (text != null) {
                messages.add(RelayMessage.parse(text));
            } else if (closedWith.isDone()) {
                return messages;
            }
        }
        throw new AssertionError("the relay did not close the connection within " + seconds + " s");
    }

    /** Waits for the relay to close the connection and returns its close code. */
    short awaitClose() throws Exception {
        return closedWith.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The next message, or null when none comes within {@code millis}. */
    RelayMessage poll(long millis) throws Exception {
        String text = received.poll(millis, TimeUnit.MILLISECONDS);
        return text == null ? null : RelayMessage.parse(text);
    }

    boolean nothingQueued() {
        return received.isEmpty();
    }

    @Override
    public void close() {
        ws.close();
        client.close();
    }

    /**
     * A WebSocket client written by hand over a plain socket, for what a well-behaved client never does: never
     * answer a ping, never read, send several frames in one TCP write, send a text frame that is not UTF-8.
     */
    static final class Raw implements AutoCloseable {
        static final int CONTINUATION = 0;
        static final int TEXT = 1;
        static final int BINARY = 2;
        static final int CLOSE = 8;
        static final int PING = 9;
        static final int PONG = 10;

        final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        /** The relay's answer to the upgrade: status line and headers. */
        String upgradeResponse;
        /** RFC 7692: the relay accepted permessage-deflate, so a frame with RSV1 set is compressed. */
        private boolean deflate;

        private Raw(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        static Raw open(int port) throws IOException {
            return open(port, 0);
        }

        /** Connects and upgrades; {@code receiveBuffer} > 0 shrinks the socket's receive buffer first. */
        static Raw open(int port, int receiveBuffer) throws IOException {
            return open(port, receiveBuffer, null);
        }

        /** Connects and upgrades asking for the given {@code Sec-WebSocket-Extensions} (null: none). */
        static Raw open(int port, int receiveBuffer, String extensions) throws IOException {
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            Raw ws = new Raw(s);
            String status = ws.handshake(port, extensions);
            if (!status.startsWith("HTTP/1.1 101")) {
                s.close();
                throw new IOException("upgrade refused: " + status);
            }
            ws.deflate = ws.upgradeResponse.toLowerCase(Locale.ROOT)
                    .contains("sec-websocket-extensions: permessage-deflate");
            return ws;
        }

        /** The status line the relay answers an upgrade with; the connection is closed afterwards. */
        static String upgradeStatus(int port) throws IOException {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new Raw(s).handshake(port, null);
            }
        }

        private String handshake(int port, String extensions) throws IOException {
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(RelayClient.WAIT_SECONDS));
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
                    + (extensions == null ? "" : "\r\nSec-WebSocket-Extensions: " + extensions)
                    + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed during the upgrade: " + head);
                }
                head.write(b);
            }
            upgradeResponse = head.toString(StandardCharsets.ISO_8859_1);
            return upgradeResponse.substring(0, upgradeResponse.indexOf("\r\n"));
        }

        /** One masked client frame, final. */
        static byte[] frame(int opcode, byte[] payload) {
            return frame(opcode, true, payload);
        }

        /** One masked client frame; a message in several frames has {@code fin} only on its last. */
        static byte[] frame(int opcode, boolean fin, byte[] payload) {
            ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
            f.write((fin ? 0x80 : 0) | opcode);
            if (payload.length < 126) {
                f.write(0x80 | payload.length);
            } else if (payload.length < 65536) {
                f.write(0x80 | 126);
                f.write(payload.length >> 8);
                f.write(payload.length);
            } else {
                f.write(0x80 | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    f.write((int) ((long) payload.length >> shift));
                }
            }
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            f.writeBytes(mask);
            for (int i = 0; i < payload.length; i++) {
                f.write(payload[i] ^ mask[i & 3]);
            }
            return f.toByteArray();
        }

        static byte[] frame(int opcode, String text) {
            return frame(opcode, text.getBytes(StandardCharsets.UTF_8));
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        void sendText(String text) throws IOException {
            write(frame(TEXT, text));
        }

        /** One frame from the relay, waiting at most until the deadline ({@link System#nanoTime()}). */
        Frame readFrame(long deadlineNanos) throws IOException {
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) left);
            int b0 = readByte();
            int b1 = readByte();
            assertEquals(0, b1 & 0x80, "frames from a server are not masked");
            boolean compressed = (b0 & 0x40) != 0;
            assertTrue(deflate || !compressed, "RSV1 set on a connection without permessage-deflate");
            assertEquals(0, b0 & 0x30, "RSV2 and RSV3 are never set");
            long length = b1 & 0x7f;
            if (length == 126) {
                length = (readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            byte[] payload = in.readNBytes((int) length);
            if (payload.length < length) {
                throw new EOFException("connection closed inside a frame");
            }
            return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, compressed ? inflate(payload) : payload, compressed);
        }

        /**
         * RFC 7692 7.2.2: a compressed message is a raw DEFLATE stream with its last four bytes (00 00 ff ff) left
         * off. One inflater for the connection: unless no_context_takeover was agreed, a message may refer back
         * to the ones before it (7.2.3).
         */
        private Inflater inflater;

        private byte[] inflate(byte[] compressed) throws IOException {
            if (inflater == null) {
                inflater = new Inflater(true);
            }
            byte[] input = Arrays.copyOf(compressed, compressed.length + 4);
            input[input.length - 2] = (byte) 0xff;
            input[input.length - 1] = (byte) 0xff;
            inflater.setInput(input);
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            try {
                int n;
                do {
                    n = inflater.inflate(chunk);
                    text.write(chunk, 0, n);
                } while (n > 0 || !(inflater.needsInput() || inflater.finished() || inflater.needsDictionary()));
            } catch (DataFormatException e) {
                throw new IOException("a compressed frame did not inflate: " + e.getMessage(), e);
            }
            return text.toByteArray();
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed");
            }
            return b;
        }

        /** The next relay message, skipping pings (which are not answered). */
        RelayMessage nextMessage() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            while (true) {
                Frame f = readFrame(deadline);
                if (f.opcode() == TEXT) {
                    assertTrue(f.fin(), "the relay sends each message in one frame");
                    return RelayMessage.parse(f.text());
                }
                if (f.opcode() != PING) {
                    fail("expected a text frame, got opcode " + f.opcode());
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** @param payload inflated when the frame came compressed ({@code compressed}: RSV1, RFC 7692) */
    record Frame(int opcode, boolean fin, byte[] payload, boolean compressed) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame, or 1005 (none given). */
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }
}
