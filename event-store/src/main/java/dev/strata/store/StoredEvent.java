package dev.strata.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An event as a query returns it: the JSON as stored, in UTF-8 (what goes to the socket; decoding it to a String
 * and encoding it again cost a query more than the store read it), and the two fields the query tier needs for
 * ordering and de-duplication. The bytes are shared, never copied: nobody writes to them.
 */
public record StoredEvent(String id, long createdAt, byte[] utf8) {
    public StoredEvent(String id, long createdAt, String json) {
        this(id, createdAt, json.getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON text (decoded on each call: for the few readers that need text). */
    public String json() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredEvent s && s.createdAt == createdAt && s.id.equals(id) && Arrays.equals(s.utf8, utf8);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "StoredEvent" + json();
    }
}
