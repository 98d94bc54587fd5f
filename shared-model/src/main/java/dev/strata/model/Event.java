package dev.strata.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Nostr event exactly as NIP-01 defines it. Instances are immutable; {@link #parse} validates every field's
 * shape, while {@link #hasValidId()} and {@link #hasValidSignature(Bip340)} check the content-derived fields.
 */
public record Event(String id, String pubkey, long createdAt, int kind, List<List<String>> tags, String content,
                    String sig) {

    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(pubkey, "pubkey");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(sig, "sig");
        // List.copyOf returns an already-immutable list as is, so the parser's lists are not copied again.
        List<List<String>> copy = new ArrayList<>(tags.size());
        for (List<String> tag : tags) {
            copy.add(List.copyOf(tag));
        }
        tags = List.copyOf(copy);
    }

    /** Parses and shape-checks one event object from its JSON text. */
    public static Event parse(String json) throws InvalidEventException {
        Object tree;
        try {
            tree = Json.parse(json);
        } catch (Json.JsonException e) {
            throw new InvalidEventException("invalid: event is not valid JSON: " + e.getMessage());
        }
        return fromJson(tree);
    }

    /** Shape-checks an event from a parsed JSON value. */
    public static Event fromJson(Object value) throws InvalidEventException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new InvalidEventException("invalid: event must be a JSON object");
        }
        String id = hexField(map, "id", 64);
        String pubkey = hexField(map, "pubkey", 64);
        long createdAt = createdAt(map.get("created_at"));
        int kind = kind(map.get("kind"));
        List<List<String>> tags = tags(map.get("tags"));
        Object content = map.get("content");
        if (!(content instanceof String contentText)) {
            throw new InvalidEventException(content == null
                    ? "invalid: missing field \"content\"" : "invalid: content must be a string");
        }
        String sig = hexField(map, "sig", 128);
        return new Event(id, pubkey, createdAt, kind, tags, contentText, sig);
    }

    /**
     * The event id named in an object that may otherwise be malformed, if it is well-formed: lets the relay answer
     * a bad event with {@code OK false} rather than a NOTICE.
     */
    public static String idOf(Object value) {
        if (value instanceof Map<?, ?> map && map.get("id") instanceof String id && Hex.isLowerHex(id, 64)) {
            return id;
        }
        return null;
    }

    private static String hexField(Map<?, ?> map, String name, int length) throws InvalidEventException {
        Object v = map.get(name);
        if (v == null) {
            throw new InvalidEventException("invalid: missing field \"" + name + "\"");
        }
        if (!(v instanceof String s)) {
            throw new InvalidEventException("invalid: " + name + " must be a string");
        }
        if (!Hex.isLowerHex(s, length)) {
            throw new InvalidEventException("invalid: " + name + " must be " + length + " lowercase hex characters");
        }
        return s;
    }

    private static long createdAt(Object v) throws InvalidEventException {
        if (v == null) {
            throw new InvalidEventException("invalid: missing field \"created_at\"");
        }
        if (v instanceof Json.JsonNumber n) {
            Long value = n.longValueOrNull();
            if (value != null && value >= 0) {
                return value;
            }
        }
        throw new InvalidEventException("invalid: created_at must be a non-negative integer of at most 64 bits");
    }

    private static int kind(Object v) throws InvalidEventException {
        if (v == null) {
            throw new InvalidEventException("invalid: missing field \"kind\"");
        }
        if (v instanceof Json.JsonNumber n) {
            Long value = n.longValueOrNull();
            if (value != null && value >= 0 && value <= KindClass.MAX_KIND) {
                return value.intValue();
            }
        }
        throw new InvalidEventException("invalid: kind must be an integer from 0 to 65535");
    }

    private static List<List<String>> tags(Object v) throws InvalidEventException {
        if (v == null) {
            throw new InvalidEventException("invalid: missing field \"tags\"");
        }
        if (!(v instanceof List<?> outer)) {
            throw new InvalidEventException("invalid: tags must be an array of arrays of strings");
        }
        List<List<String>> tags = new ArrayList<>(outer.size());
        for (int i = 0; i < outer.size(); i++) {
            if (!(outer.get(i) instanceof List<?> inner)) {
                throw new InvalidEventException("invalid: tag " + i + " is not an array of strings");
            }
            if (inner.isEmpty()) {
                throw new InvalidEventException("invalid: tag " + i + " is empty");
            }
            String[] values = new String[inner.size()];
            for (int j = 0; j < values.length; j++) {
                if (!(inner.get(j) instanceof String s)) {
                    throw new InvalidEventException("invalid: tag " + i + " is not an array of strings");
                }
                values[j] = s;
            }
            tags.add(List.of(values));
        }
        return List.copyOf(tags);
    }

    public KindClass kindClass() {
        return KindClass.of(kind);
    }

    /** The first value of the first tag with this name, or null. NIP-01 indexes and matches only that value. */
    public String firstTagValue(String name) {
        for (List<String> tag : tags) {
            if (tag.size() > 1 && tag.get(0).equals(name)) {
                return tag.get(1);
            }
        }
        return null;
    }

    /** The addressable key part: the first {@code d} tag's value, empty when there is none (NIP-01). */
    public String dTag() {
        String d = firstTagValue("d");
        return d == null ? "" : d;
    }

    /** {@code [0,pubkey,created_at,kind,tags,content]} exactly as NIP-01 serializes it for the id. */
    public String canonicalJson() {
        return canonicalJson(pubkey, createdAt, kind, tags, content);
    }

    static String canonicalJson(String pubkey, long createdAt, int kind, List<List<String>> tags, String content) {
        StringBuilder sb = new StringBuilder(128 + content.length() + tags.size() * 80);
        sb.append("[0,\"").append(pubkey).append("\",").append(createdAt).append(',').append(kind).append(',');
        appendTags(sb, tags);
        sb.append(',');
        Json.writeString(sb, content);
        sb.append(']');
        return sb.toString();
    }

    /** The id this event's fields hash to: SHA-256 of the UTF-8 canonical serialization. */
    public String computeId() {
        return Hex.encode(Sha256.hash(canonicalJson().getBytes(StandardCharsets.UTF_8)));
    }

    public boolean hasValidId() {
        return id.equals(computeId());
    }

    /** BIP-340 over the 32 raw id bytes. Call after {@link #hasValidId()}: the signature covers the id only. */
    public boolean hasValidSignature(Bip340 engine) {
        return engine.verify(Hex.decode(sig), Hex.decode(id), Hex.decode(pubkey));
    }

    /** The event as compact JSON in NIP-01 field order, with the same escaping as the canonical form. */
    public String toJson() {
        StringBuilder sb = new StringBuilder(300 + content.length() + tags.size() * 80);
        sb.append("{\"id\":\"").append(id)
                .append("\",\"pubkey\":\"").append(pubkey)
                .append("\",\"created_at\":").append(createdAt)
                .append(",\"kind\":").append(kind)
                .append(",\"tags\":");
        appendTags(sb, tags);
        sb.append(",\"content\":");
        Json.writeString(sb, content);
        sb.append(",\"sig\":\"").append(sig).append("\"}");
        return sb.toString();
    }

    private static void appendTags(StringBuilder sb, List<List<String>> tags) {
        sb.append('[');
        for (int i = 0; i < tags.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('[');
            List<String> tag = tags.get(i);
            for (int j = 0; j < tag.size(); j++) {
                if (j > 0) {
                    sb.append(',');
                }
                Json.writeString(sb, tag.get(j));
            }
            sb.append(']');
        }
        sb.append(']');
    }

    /**
     * Builds and signs an event. The auxiliary randomness is all zeros, so the same inputs always give the same
     * event (the load-test corpus relies on that); BIP-340 stays secure because the nonce still depends on the key
     * and the message.
     */
    public static Event sign(byte[] secretKey, long createdAt, int kind, List<List<String>> tags, String content,
                             Bip340 engine) {
        String pubkey = Hex.encode(engine.publicKey(secretKey));
        byte[] id = Sha256.hash(canonicalJson(pubkey, createdAt, kind, tags, content)
                .getBytes(StandardCharsets.UTF_8));
        byte[] sig = engine.sign(id, secretKey, new byte[32]);
        return new Event(Hex.encode(id), pubkey, createdAt, kind, tags, content, Hex.encode(sig));
    }

    @Override
    public String toString() {
        return "Event[" + id + " kind " + kind + " by " + pubkey + " at " + createdAt + "]";
    }
}
