package dev.strata.gateway;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;

/**
 * One connection's text messages as its channel takes them: each message as the bytes of a whole WebSocket frame
 * (RFC 6455 5.2: FIN and text opcode, the payload length, no mask from a server), which Netty's encoders let
 * through: one buffer and one write per message, where a frame object costs an encoder pass, a header buffer and a
 * gathering write. A connection that negotiated permessage-deflate gets the frame compressed by its event loop's
 * {@link MessageDeflater}, never by the deflate encoder Netty put in its pipeline (which would keep a compressor
 * for the connection's life).
 */
final class TextFrames {
    /**
     * Where the bytes come from: Netty's arena allocator with its per-thread caches. A message lives only until its
     * connection's flush, and Netty's adaptive allocator (the channel's) answers that pattern, at tens of
     * thousands of messages a second over many connections, by allocating and zeroing new chunks.
     */
    private static final ByteBufAllocator BYTES = PooledByteBufAllocator.DEFAULT;
    private static final byte[] CLOSE_ARRAY = {']'};

    private enum Extension { UNDECIDED, PLAIN, DEFLATE }

    private final ChannelPipeline pipeline;
    private final MessageDeflater deflater;
    private Extension extension = Extension.UNDECIDED;

    TextFrames(ChannelPipeline pipeline, MessageDeflater deflater) {
        this.pipeline = pipeline;
        this.deflater = deflater;
    }

    /** {@code ["EVENT",<sub id>,<event>]} from its prefix and the event's JSON. */
    Object event(byte[] prefix, byte[] eventJson) {
        Extension e = extension();
        if (e == Extension.DEFLATE) {
            return deflater.frame(BYTES, prefix, eventJson, CLOSE_ARRAY);
        }
        int length = prefix.length + eventJson.length + 1;
        boolean plain = e == Extension.PLAIN;
        ByteBuf bytes = BYTES.directBuffer((plain ? headerLength(length) : 0) + length);
        if (plain) {
            writeHeader(bytes, 0x81, length);
        }
        bytes.writeBytes(prefix).writeBytes(eventJson).writeByte(']');
        return plain ? bytes : new TextWebSocketFrame(bytes);
    }

    /** A message of any text, in UTF-8. */
    Object text(String message) {
        Extension e = extension();
        if (e == Extension.DEFLATE) {
            return deflater.frame(BYTES, message.getBytes(StandardCharsets.UTF_8));
        }
        int length = ByteBufUtil.utf8Bytes(message);
        boolean plain = e == Extension.PLAIN;
        ByteBuf bytes = BYTES.directBuffer((plain ? headerLength(length) : 0) + length);
        if (plain) {
            writeHeader(bytes, 0x81, length);
        }
        ByteBufUtil.reserveAndWriteUtf8(bytes, message, length);
        return plain ? bytes : new TextWebSocketFrame(bytes);
    }

    /**
     * Until the extension handshake is over, frame objects: they are right whether or not a deflate encoder
     * comes, and the first few messages of a connection are all that pass while it is undecided.
     */
    private Extension extension() {
        if (extension == Extension.UNDECIDED) {
            if (pipeline.get(WebSocketExtensionEncoder.class) != null) {
                extension = Extension.DEFLATE;
            } else if (pipeline.get(WebSocketServerExtensionHandler.class) == null) {
                extension = Extension.PLAIN;
            }
        }
        return extension;
    }

    static int headerLength(int payload) {
        return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
    }

    /** @param first FIN, RSV and opcode bits of the frame's first byte */
    static void writeHeader(ByteBuf bytes, int first, int payload) {
        bytes.writeByte(first);
        if (payload < 126) {
            bytes.writeByte(payload);
        } else if (payload < 65536) {
            bytes.writeByte(126).writeShort(payload);
        } else {
            bytes.writeByte(127).writeLong(payload);
        }
    }
}
