package dev.strata.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;

/**
 * One connection's text messages as its channel takes them. A connection without permessage-deflate gets each
 * message as the bytes of a whole WebSocket frame (RFC 6455 5.2: FIN and text opcode, the payload length, no
 * mask from a server), which Netty's frame encoder lets through: one buffer and one write per message, where a
 * frame object costs an encoder pass, a header buffer and a gathering write. A connection that negotiated
 * permessage-deflate gets frame objects, which its deflate encoder compresses.
 */
final class TextFrames {
    /**
     * Where the bytes come from: Netty's arena allocator with its per-thread caches. A message lives only until its
     * connection's flush, and Netty's adaptive allocator (the channel's) answers that pattern, at tens of
     * thousands of messages a second over many connections, by allocating and zeroing new chunks.
     */
    private static final ByteBufAllocator BYTES = PooledByteBufAllocator.DEFAULT;

    private final ChannelPipeline pipeline;
    /** Whether the handshake put a deflate encoder in the pipeline; null while it may still add one. */
    private Boolean deflating;

    TextFrames(ChannelPipeline pipeline) {
        this.pipeline = pipeline;
    }

    /** {@code ["EVENT",<sub id>,<event>]} from its prefix and the event's JSON. */
    Object event(byte[] prefix, byte[] eventJson) {
        int length = prefix.length + eventJson.length + 1;
        boolean plain = !deflating();
        ByteBuf bytes = BYTES.directBuffer((plain ? headerLength(length) : 0) + length);
        if (plain) {
            writeHeader(bytes, length);
        }
        bytes.writeBytes(prefix).writeBytes(eventJson).writeByte(']');
        return plain ? bytes : new TextWebSocketFrame(bytes);
    }

    /** A message of any text, in UTF-8. */
    Object text(String message) {
        int length = ByteBufUtil.utf8Bytes(message);
        boolean plain = !deflating();
        ByteBuf bytes = BYTES.directBuffer((plain ? headerLength(length) : 0) + length);
        if (plain) {
            writeHeader(bytes, length);
        }
        ByteBufUtil.reserveAndWriteUtf8(bytes, message, length);
        return plain ? bytes : new TextWebSocketFrame(bytes);
    }

    /**
     * Until the extension handshake is over, frame objects: they are right whether or not a deflate encoder
     * comes, and the first few messages of a connection are all that pass while it is undecided.
     */
    private boolean deflating() {
        if (deflating == null) {
            if (pipeline.get(WebSocketExtensionEncoder.class) != null) {
                deflating = Boolean.TRUE;
            } else if (pipeline.get(WebSocketServerExtensionHandler.class) == null) {
                deflating = Boolean.FALSE;
            } else {
                return true;
            }
        }
        return deflating;
    }

    private static int headerLength(int payload) {
        return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
    }

    private static void writeHeader(ByteBuf bytes, int payload) {
        bytes.writeByte(0x81); // FIN, text
        if (payload < 126) {
            bytes.writeByte(payload);
        } else if (payload < 65536) {
            bytes.writeByte(126).writeShort(payload);
        } else {
            bytes.writeByte(127).writeLong(payload);
        }
    }
}
