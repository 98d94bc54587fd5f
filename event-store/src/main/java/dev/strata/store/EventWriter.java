package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.lmdbjava.Txn;

import dev.strata.model.Event;
import dev.strata.model.KindClass;

/**
 * Applies events to a write transaction under NIP-01's storage rules. Each decision reads the transaction's own
 * earlier writes, so duplicates and competing versions inside one batch are decided exactly as across batches.
 * Confined to the writer thread: it reuses its buffers.
 */
final class EventWriter {
    private final Tables tables;
    private final ByteBuffer empty = ByteBuffer.allocateDirect(0);
    private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
    private final ByteBuffer version = ByteBuffer.allocateDirect(Values.VERSION_BYTES);

    EventWriter(Tables tables) {
        this.tables = tables;
    }

    WriteResult apply(Txn<ByteBuffer> txn, Event e) {
        KindClass kindClass = e.kindClass();
        if (kindClass == KindClass.EPHEMERAL) {
            return WriteResult.EPHEMERAL;
        }
        byte[] id = Keys.id(e.id());
        if (tables.events.get(txn, Keys.bytes(key, id)) != null) {
            return WriteResult.DUPLICATE;
        }
        if (kindClass == KindClass.REPLACEABLE || kindClass == KindClass.ADDRESSABLE) {
            byte[] replaceKey = Keys.replaceKey(e);
            ByteBuffer current = tables.replaceable.get(txn, Keys.bytes(key, replaceKey));
            if (current != null) {
                long currentCreatedAt = Values.createdAt(current);
                byte[] currentId = Values.versionId(current);
                if (!supersedes(e.createdAt(), id, currentCreatedAt, currentId)) {
                    return WriteResult.STALE;
                }
                delete(txn, currentId);
            }
            tables.replaceable.put(txn, Keys.bytes(key, replaceKey), Values.version(version, e.createdAt(), id));
        }
        insert(txn, e, id);
        return WriteResult.STORED;
    }

    /** Newer wins; at equal created_at the lower id, which compares like the lowercase hex it encodes. */
    private static boolean supersedes(long createdAt, byte[] id, long otherCreatedAt, byte[] otherId) {
        if (createdAt != otherCreatedAt) {
            return createdAt > otherCreatedAt;
        }
        return Arrays.compareUnsigned(id, otherId) < 0;
    }

    private void insert(Txn<ByteBuffer> txn, Event e, byte[] id) {
        byte[] json = e.toJson().getBytes(StandardCharsets.UTF_8);
        ByteBuffer record = tables.events.reserve(txn, Keys.bytes(key, id), Values.eventSize(json));
        Values.writeEvent(record, e.createdAt(), json);
        long time = Keys.invertedTime(e.createdAt());
        for (IndexPrefix entry : IndexPrefix.of(e)) {
            tables.index(entry.index()).put(txn, Keys.indexKey(key, entry.prefix(), time, id), empty);
        }
    }

    private void delete(Txn<ByteBuffer> txn, byte[] id) {
        Event old = Values.event(tables.events.get(txn, Keys.bytes(key, id)));
        long time = Keys.invertedTime(old.createdAt());
        for (IndexPrefix entry : IndexPrefix.of(old)) {
            tables.index(entry.index()).delete(txn, Keys.indexKey(key, entry.prefix(), time, id));
        }
        tables.events.delete(txn, Keys.bytes(key, id));
    }
}
