package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.lmdbjava.Txn;

import dev.strata.model.Event;
import dev.strata.model.KindClass;

/**
 * Applies events to a primary write transaction under NIP-01's storage rules, and notes in the transaction (the
 * {@code pending} table) and in {@link IndexWork} what the index must do. Each decision reads the transaction's own
 * earlier writes, so duplicates and competing versions inside one batch are decided exactly as across batches.
 * Confined to the writer thread: it reuses its buffers.
 */
final class EventWriter {
    private final Tables tables;
    private final SearchLog searchLog;
    private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
    private final ByteBuffer version = ByteBuffer.allocateDirect(Values.VERSION_BYTES);
    private final ByteBuffer serialKey = ByteBuffer.allocateDirect(Long.BYTES);
    private long nextSerial;

    EventWriter(Tables tables, long nextSerial, SearchLog searchLog) {
        this.tables = tables;
        this.nextSerial = nextSerial;
        this.searchLog = searchLog;
    }

    WriteResult apply(Txn<ByteBuffer> txn, Event e, byte[] json, IndexWork work) {
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
                remove(txn, currentId, work);
            }
            tables.replaceable.put(txn, Keys.bytes(key, replaceKey), Values.version(version, e.createdAt(), id),
                    Tables.PLAIN);
        }
        ByteBuffer record = tables.events.reserve(txn, Keys.bytes(key, id), Values.eventSize(json), Tables.PLAIN);
        Values.writeEvent(record, e.createdAt(), json);
        Values.writePendingAdd(tables.pending.reserve(txn, serial(), Values.PENDING_ADD_BYTES, Tables.PLAIN), id);
        work.add(e, id);
        searchLog.append(txn, SearchLog.INSERT, id);
        return WriteResult.STORED;
    }

    /** Newer wins; at equal created_at the lower id, which compares like the lowercase hex it encodes. */
    private static boolean supersedes(long createdAt, byte[] id, long otherCreatedAt, byte[] otherId) {
        if (createdAt != otherCreatedAt) {
            return createdAt > otherCreatedAt;
        }
        return Arrays.compareUnsigned(id, otherId) < 0;
    }

    /**
     * Deletes a stored event's body; its index entries go in the index transaction that follows. The pending entry
     * keeps the body, which a replay after a crash needs to find those entries.
     */
    private void remove(Txn<ByteBuffer> txn, byte[] id, IndexWork work) {
        byte[] body = Values.jsonBytes(tables.events.get(txn, Keys.bytes(key, id)));
        Event old = Values.parse(new String(body, StandardCharsets.UTF_8));
        Values.writePendingRemove(tables.pending.reserve(txn, serial(), Values.pendingRemoveSize(body), Tables.PLAIN),
                id, body);
        tables.events.delete(txn, Keys.bytes(key, id));
        work.remove(old, id);
        searchLog.append(txn, SearchLog.DELETE, id);
    }

    private ByteBuffer serial() {
        serialKey.clear();
        serialKey.putLong(nextSerial++);
        return serialKey.flip();
    }

    /** The serial the next pending entry gets; a transaction that did not commit gives its serials back. */
    long nextSerial() {
        return nextSerial;
    }

    void rewind(long serial) {
        nextSerial = serial;
    }
}
