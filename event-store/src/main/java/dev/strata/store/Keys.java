package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.KindClass;
import dev.strata.model.Sha256;

/**
 * The byte layout of every LMDB key. An index key is {@code prefix | position}, where the position is
 * {@code Long.MAX_VALUE - created_at} (8 bytes, big-endian) then the 32 id bytes: LMDB compares keys as unsigned
 * bytes, so a forward cursor walk within one prefix yields newest first, ties by ascending id.
 */
final class Keys {
    static final int ID_BYTES = 32;
    static final int POSITION_BYTES = Long.BYTES + ID_BYTES;
    /** Comfortably under LMDB's 511-byte key limit for the longest key we build. */
    static final int MAX_KEY_BYTES = 320;

    /**
     * Longer values are replaced by their SHA-256 in keys: the tag index then over-matches on a collision, which the
     * query's {@code Filter.matches} re-check removes.
     */
    private static final int MAX_VERBATIM_VALUE_BYTES = 200;
    /** Value markers above any verbatim length. */
    private static final int HEX32_MARKER = 0xFE;
    private static final int HASHED_MARKER = 0xFF;

    private Keys() {
    }

    /** Larger for older events, so ascending key order is newest first. */
    static long invertedTime(long createdAt) {
        return Long.MAX_VALUE - createdAt;
    }

    static long createdAt(long invertedTime) {
        return Long.MAX_VALUE - invertedTime;
    }

    static byte[] id(String hex) {
        return Hex.decode(hex);
    }

    static byte[] author(String pubkey) {
        return Hex.decode(pubkey);
    }

    static byte[] kind(int kind) {
        return new byte[] {(byte) (kind >>> 8), (byte) kind};
    }

    static byte[] authorKind(String pubkey, int kind) {
        return concat(author(pubkey), kind(kind));
    }

    /** Tag name (any char, 2 bytes) then the value in a self-delimiting form, so no prefix is another's prefix. */
    static byte[] tag(char name, String value) {
        return concat(new byte[] {(byte) (name >>> 8), (byte) name}, value(value));
    }

    /** (pubkey, kind) for replaceable events, (pubkey, kind, d) for addressable ones. */
    static byte[] replaceKey(Event e) {
        return replaceKey(e.pubkey(), e.kind(), e.dTag());
    }

    /** The key of an address ({@code a} tag); {@code d} counts for addressable kinds only. */
    static byte[] replaceKey(String pubkey, int kind, String d) {
        byte[] key = authorKind(pubkey, kind);
        return KindClass.of(kind) == KindClass.ADDRESSABLE ? concat(key, value(d)) : key;
    }

    /** A deletion tombstone: the author, then the id it deleted. */
    static byte[] deleted(byte[] author, byte[] id) {
        return concat(author, id);
    }

    /** An expiring event: its expiration (8 bytes, big-endian, so soonest first), then its id. */
    static ByteBuffer expiring(ByteBuffer buf, long expiration, byte[] id) {
        buf.clear();
        buf.putLong(expiration).put(id);
        return buf.flip();
    }

    /**
     * 64-character lowercase hex (the e and p tags that dominate real traffic) is stored as its 32 bytes, short
     * values verbatim behind a length byte, long ones as a hash.
     */
    private static byte[] value(String value) {
        if (Hex.isLowerHex(value, 64)) {
            return concat(new byte[] {(byte) HEX32_MARKER}, Hex.decode(value));
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_VERBATIM_VALUE_BYTES) {
            return concat(new byte[] {(byte) utf8.length}, utf8);
        }
        return concat(new byte[] {(byte) HASHED_MARKER}, Sha256.hash(utf8));
    }

    /** Writes {@code prefix | position} into {@code buf}, flipped for reading. */
    static ByteBuffer indexKey(ByteBuffer buf, byte[] prefix, long invertedTime, byte[] id) {
        buf.clear();
        buf.put(prefix).putLong(invertedTime).put(id);
        return buf.flip();
    }

    static byte[] indexKeyBytes(byte[] prefix, long invertedTime, byte[] id) {
        return ByteBuffer.allocate(prefix.length + POSITION_BYTES).put(prefix).putLong(invertedTime).put(id).array();
    }

    static ByteBuffer bytes(ByteBuffer buf, byte[] bytes) {
        buf.clear();
        buf.put(bytes);
        return buf.flip();
    }

    /** A tag prefix as a set element. */
    record TagKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TagKey t && Arrays.equals(bytes, t.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
