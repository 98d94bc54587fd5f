package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.strata.model.Event;
import dev.strata.model.InvalidEventException;

/**
 * The byte layout of the values in {@link Tables#events} and {@link Tables#replaceable}. Both start with created_at
 * so ordering and replacement decisions need no JSON parsing.
 */
final class Values {
    static final int VERSION_BYTES = Long.BYTES + Keys.ID_BYTES;

    private Values() {
    }

    static int eventSize(byte[] json) {
        return Long.BYTES + json.length;
    }

    static void writeEvent(ByteBuffer dst, long createdAt, byte[] json) {
        dst.putLong(0, createdAt);
        dst.put(Long.BYTES, json);
    }

    static long createdAt(ByteBuffer value) {
        return value.getLong(0);
    }

    static String json(ByteBuffer value) {
        byte[] utf8 = new byte[value.remaining() - Long.BYTES];
        value.get(Long.BYTES, utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    static Event event(ByteBuffer value) {
        return parse(json(value));
    }

    /** We wrote the JSON ourselves, so a parse failure means the file is damaged. */
    static Event parse(String json) {
        try {
            return Event.parse(json);
        } catch (InvalidEventException e) {
            throw new IllegalStateException("damaged event record in the store: " + e.getMessage(), e);
        }
    }

    static ByteBuffer version(ByteBuffer buf, long createdAt, byte[] id) {
        buf.clear();
        buf.putLong(createdAt).put(id);
        return buf.flip();
    }

    static byte[] versionId(ByteBuffer value) {
        byte[] id = new byte[Keys.ID_BYTES];
        value.get(Long.BYTES, id);
        return id;
    }
}
