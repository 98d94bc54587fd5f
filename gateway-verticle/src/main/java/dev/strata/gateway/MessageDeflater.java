package dev.strata.gateway;

import java.util.Arrays;
import java.util.zip.Deflater;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * permessage-deflate (RFC 7692) without a compressor per connection. Netty's encoder keeps a zlib deflater for each
 * connection as long as it lives (over 100 KiB resident once used: four times what an idle connection otherwise
 * costs) unless the client asked for {@code server_no_context_takeover}, which browsers do not. The RFC lets a
 * server compress each message on its own all the same (7.1.1.1: the client keeps its window either way, and a
 * message that refers to nothing before it inflates the same), so one deflater per event loop, reset for each
 * message, serves every connection of that loop. The price is the ratio: a message cannot refer to the ones before.
 *
 * <p>Not thread-safe: one per gateway instance, used on its event loop only.
 */
final class MessageDeflater implements AutoCloseable {
    /** Netty's and Vert.x's default level. */
    private static final int LEVEL = 6;
    /** RFC 7692 7.2.1: what a sync flush ends with, and what the sender leaves off. */
    private static final byte[] EMPTY_BLOCK = {0, 0, (byte) 0xff, (byte) 0xff};

    private final Deflater deflater = new Deflater(LEVEL, true);
    /** Grows to the largest message compressed (bounded by limits.max_message_length and the relay's answers). */
    private byte[] out = new byte[8192];

    /**
     * One whole WebSocket frame (FIN, RSV1 for "compressed", text opcode, no mask) whose payload is the
     * concatenation of {@code parts} deflated, ready for the channel as it is.
     */
    ByteBuf frame(ByteBufAllocator allocator, byte[]... parts) {
        deflater.reset();
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            deflater.setInput(parts[i]);
            boolean last = i == parts.length - 1;
            while (true) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                int space = out.length - n;
                n += deflater.deflate(out, n, space, last ? Deflater.SYNC_FLUSH : Deflater.NO_FLUSH);
                // A sync flush is complete when it leaves room; input without a flush, when it is all taken.
                if (last ? n < out.length : deflater.needsInput()) {
                    break;
                }
            }
        }
        if (n < EMPTY_BLOCK.length || !Arrays.equals(out, n - EMPTY_BLOCK.length, n, EMPTY_BLOCK, 0,
                EMPTY_BLOCK.length)) {
            throw new IllegalStateException("a sync flush did not end with an empty stored block");
        }
        int payload = n - EMPTY_BLOCK.length;
        ByteBuf frame = allocator.directBuffer(TextFrames.headerLength(payload) + payload);
        TextFrames.writeHeader(frame, 0xc1, payload); // FIN, RSV1, text
        return frame.writeBytes(out, 0, payload);
    }

    @Override
    public void close() {
        deflater.end();
    }
}
