package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.Expiration;
import dev.strata.model.Hex;
import dev.strata.model.KindClass;
import dev.strata.model.Sha256;

/**
 * An event as the columns of its {@code events} row and its {@code tags} rows.
 *
 * @param replaceKey for a replaceable or addressable event the key only one version may hold, else null
 * @param expiresAt  its NIP-40 expiration, null without one
 * @param recipients for a gift wrap (kind 1059), the pubkeys its {@code p} tags name (NIP-62 refuses wraps to a
 *                   recipient who vanished); else empty
 */
record EventRow(Event event, byte[] id, byte[] pubkey, byte[] replaceKey, String json, List<Tag> tags, Long expiresAt,
                List<byte[]> recipients) {
    static final int DELETION = 5;
    static final int VANISH = 62;
    static final int GIFT_WRAP = 1059;

    /** One indexed tag: a single-letter name and the first value, as {@link #tagValue} stores it. */
    record Tag(String name, byte[] value) {
    }

    /**
     * Tag values longer than this many UTF-8 bytes are stored as a digest: a btree entry must stay under about
     * 2.7 kB, and a filter matches values exactly, never by prefix, so a digest finds the same events.
     */
    static final int MAX_PLAIN_TAG_VALUE = 256;
    /** Never a byte of UTF-8, so a digest can not equal a short value. */
    private static final byte DIGEST_MARK = (byte) 0xff;

    /** @param json the event's {@link Event#toJson()} */
    static EventRow of(Event e, String json) {
        List<Tag> tags = new ArrayList<>();
        List<byte[]> recipients = new ArrayList<>();
        // An event often repeats a tag value; one row is enough, and the tag-join queries rely on there being one.
        Set<String> seen = new HashSet<>();
        for (List<String> tag : e.tags()) {
            String name = tag.get(0);
            if (tag.size() > 1 && isIndexedTagName(name) && seen.add(name + tag.get(1))) {
                tags.add(new Tag(name, tagValue(tag.get(1))));
                if (e.kind() == GIFT_WRAP && name.equals("p") && Hex.isLowerHex(tag.get(1), 64)) {
                    recipients.add(Hex.decode(tag.get(1)));
                }
            }
        }
        OptionalLong expiration = Expiration.of(e);
        return new EventRow(e, Hex.decode(e.id()), Hex.decode(e.pubkey()), replaceKey(e), json, tags,
                expiration.isPresent() ? expiration.getAsLong() : null, recipients);
    }

    /** NIP-01 filters name tags with one ASCII letter ({@code Filter.fromJson} refuses anything else). */
    static boolean isIndexedTagName(String name) {
        return name.length() == 1 && isIndexedTagName(name.charAt(0));
    }

    static boolean isIndexedTagName(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** The stored form of a tag value: its UTF-8 bytes (exact case, any character), or a digest of long ones. */
    static byte[] tagValue(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_PLAIN_TAG_VALUE) {
            return utf8;
        }
        byte[] digest = Sha256.hash(utf8);
        byte[] out = new byte[1 + digest.length];
        out[0] = DIGEST_MARK;
        System.arraycopy(digest, 0, out, 1, digest.length);
        return out;
    }

    /**
     * SHA-256 of (pubkey, kind[, d tag]): fixed-size whatever the d tag's length, so it fits a unique btree index.
     * The kind decides whether a d tag is part of the key, so the two classes can not collide.
     */
    static byte[] replaceKey(Event e) {
        return replaceKey(e.pubkey(), e.kind(), e.dTag());
    }

    /** The key of an address ({@code a} tag), or null for a kind that is neither replaceable nor addressable. */
    static byte[] replaceKey(String pubkey, int kind, String dTag) {
        KindClass kindClass = KindClass.of(kind);
        if (kindClass != KindClass.REPLACEABLE && kindClass != KindClass.ADDRESSABLE) {
            return null;
        }
        byte[] d = kindClass == KindClass.ADDRESSABLE ? dTag.getBytes(StandardCharsets.UTF_8) : new byte[0];
        ByteBuffer key = ByteBuffer.allocate(32 + Integer.BYTES + d.length);
        key.put(Hex.decode(pubkey)).putInt(kind).put(d);
        return Sha256.hash(key.array());
    }

    /** The advisory-lock key of a replace key: its first 64 bits (a collision only makes two keys wait in turn). */
    static long lockKey(byte[] replaceKey) {
        return ByteBuffer.wrap(replaceKey).getLong();
    }

    /** NIP-01: the newer created_at wins; at equal created_at the lowest id (byte order equals hex order). */
    static boolean supersedes(long createdAt, byte[] id, long otherCreatedAt, byte[] otherId) {
        if (createdAt != otherCreatedAt) {
            return createdAt > otherCreatedAt;
        }
        return Arrays.compareUnsigned(id, otherId) < 0;
    }

    long createdAt() {
        return event.createdAt();
    }

    /** A NIP-09 deletion request or a NIP-62 request to vanish: written in a transaction of its own. */
    static boolean isRequest(Event e) {
        return e.kind() == DELETION || e.kind() == VANISH;
    }
}
