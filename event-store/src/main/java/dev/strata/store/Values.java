package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.strata.model.Event;
import dev.strata.model.InvalidEventException;

/**
 * The byte layout of the values in {@link Tables#events}, {@link Tables#replaceable} and {@link Tables#pending}.
 * The first two start with created_at so ordering and replacement decisions need no JSON parsing; a pending entry
 * is a marker byte (index or unindex), the event's id and, to unindex, the body it had.
 *
 * <p>An event record is created_at (8 bytes), then, if the created_at word has its sign bit set, the NIP-40
 * expiration (8 bytes), then the JSON. created_at is never negative, so records written before expirations were
 * kept read as records without one.
 */
final class Values {
    static final int VERSION_BYTES = Long.BYTES + Keys.ID_BYTES;
    static final int PENDING_ADD_BYTES = 1 + Keys.ID_BYTES;
    /** No expiration: later than any. */
    static final long NEVER = Long.MAX_VALUE;
    private static final long HAS_EXPIRATION = Long.MIN_VALUE;
    private static final byte PENDING_ADD = 1;
    private static final byte PENDING_REMOVE = 2;

    private Values() {
    }

    static int eventSize(long expiration, byte[] json) {
        return (expiration == NEVER ? Long.BYTES : 2 * Long.BYTES) + json.length;
    }

    static void writeEvent(ByteBuffer dst, long createdAt, long expiration, byte[] json) {
        if (expiration == NEVER) {
            dst.putLong(0, createdAt);
            dst.put(Long.BYTES, json);
        } else {
            dst.putLong(0, createdAt | HAS_EXPIRATION);
            dst.putLong(Long.BYTES, expiration);
            dst.put(2 * Long.BYTES, json);
        }
    }

    static long createdAt(ByteBuffer value) {
        return value.getLong(0) & ~HAS_EXPIRATION;
    }

    /** The event's expiration, {@link #NEVER} without one. */
    static long expiration(ByteBuffer value) {
        return (value.getLong(0) & HAS_EXPIRATION) == 0 ? NEVER : value.getLong(Long.BYTES);
    }

    /** NIP-40: expired from its expiration second on. */
    static boolean isExpired(ByteBuffer value, long nowSeconds) {
        return expiration(value) <= nowSeconds;
    }

    /** Where the JSON starts: after created_at, and the expiration when there is one. */
    private static int jsonOffset(ByteBuffer value) {
        return (value.getLong(0) & HAS_EXPIRATION) == 0 ? Long.BYTES : 2 * Long.BYTES;
    }

    static String json(ByteBuffer value) {
        return new String(jsonBytes(value), StandardCharsets.UTF_8);
    }

    static byte[] jsonBytes(ByteBuffer value) {
        int offset = jsonOffset(value);
        byte[] utf8 = new byte[value.remaining() - offset];
        value.get(offset, utf8);
        return utf8;
    }

    /** Where {@code Event.toJson} puts the pubkey: after {@code {"id":"<64 hex>","pubkey":"}. */
    private static final byte[] PUBKEY_FIELD = "\",\"pubkey\":\"".getBytes(StandardCharsets.US_ASCII);
    /** Where the pubkey's hex starts in the JSON. */
    private static final int PUBKEY_IN_JSON = 7 + 64 + PUBKEY_FIELD.length;

    /** The event's 32-byte pubkey, read from its record's JSON at the place our writer puts it. */
    static byte[] pubkey(ByteBuffer value) {
        int pubkeyAt = jsonOffset(value) + PUBKEY_IN_JSON;
        int field = pubkeyAt - PUBKEY_FIELD.length;
        boolean inPlace = value.remaining() > pubkeyAt + 64;
        for (int i = 0; inPlace && i < PUBKEY_FIELD.length; i++) {
            inPlace = value.get(field + i) == PUBKEY_FIELD[i];
        }
        if (!inPlace) {
            return dev.strata.model.Hex.decode(event(value).pubkey());
        }
        byte[] hex = new byte[64];
        value.get(pubkeyAt, hex);
        return dev.strata.model.Hex.decode(new String(hex, StandardCharsets.US_ASCII));
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

    static void writePendingAdd(ByteBuffer dst, byte[] id) {
        dst.put(0, PENDING_ADD).put(1, id);
    }

    static int pendingRemoveSize(byte[] json) {
        return 1 + Keys.ID_BYTES + json.length;
    }

    static void writePendingRemove(ByteBuffer dst, byte[] id, byte[] json) {
        dst.put(0, PENDING_REMOVE).put(1, id).put(1 + Keys.ID_BYTES, json);
    }

    static boolean pendingIsAdd(ByteBuffer value) {
        return value.get(0) == PENDING_ADD;
    }

    static byte[] pendingId(ByteBuffer value) {
        byte[] id = new byte[Keys.ID_BYTES];
        value.get(1, id);
        return id;
    }

    /** The body an unindex entry kept. */
    static Event pendingRemovedEvent(ByteBuffer value) {
        byte[] utf8 = new byte[value.remaining() - 1 - Keys.ID_BYTES];
        value.get(1 + Keys.ID_BYTES, utf8);
        return parse(new String(utf8, StandardCharsets.UTF_8));
    }
}
