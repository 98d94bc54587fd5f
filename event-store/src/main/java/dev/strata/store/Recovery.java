package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.List;

import org.lmdbjava.Cursor;
import org.lmdbjava.Env;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

import dev.strata.model.Event;

/**
 * Brings the index environment level with the primary when a store opens: by replaying the pending entries (the
 * index work of the last primary commits, which a crash may have cut off before their index commit), or, when the
 * index cannot be trusted, by rebuilding it from every stored event.
 */
final class Recovery {
    /** Events indexed per index transaction while rebuilding: large, so that each page is written few times. */
    private static final int REBUILD_CHUNK = 20_000;

    private Recovery() {
    }

    /** Applies the pending entries to the index, then empties the pending table. */
    static void replayPending(Tables tables) {
        IndexWork work = new IndexWork();
        tables.read((indexTxn, primaryTxn) -> {
            ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
            try (Cursor<ByteBuffer> cursor = tables.pending.openCursor(primaryTxn)) {
                for (boolean more = cursor.first(); more; more = cursor.next()) {
                    ByteBuffer value = cursor.val();
                    byte[] id = Values.pendingId(value);
                    if (!Values.pendingIsAdd(value)) {
                        work.remove(Values.pendingRemovedEvent(value), id);
                        continue;
                    }
                    // Gone from the primary when a later entry removed it: that entry unindexes it.
                    ByteBuffer body = tables.events.get(primaryTxn, Keys.bytes(key, id));
                    if (body != null) {
                        work.add(Values.parse(Values.json(body)), id);
                    }
                }
            }
            return null;
        });
        new IndexApplier(tables).commit(List.of(work));
        clearPending(tables);
    }

    /** Empties the index and indexes every stored event again. */
    static void rebuild(Tables tables) {
        while (true) {
            try (Txn<ByteBuffer> txn = tables.writeIndex()) {
                for (Index index : Index.values()) {
                    tables.index(index).drop(txn);
                }
                txn.commit();
                break;
            } catch (Env.MapFullException e) {
                tables.growIndex();
            }
        }
        IndexApplier applier = new IndexApplier(tables);
        byte[] after = null;
        do {
            IndexWork work = new IndexWork();
            after = readChunk(tables, after, work);
            applier.commit(List.of(work));
        } while (after != null);
        tables.syncIndex();
        clearPending(tables);
    }

    /** Queues the next chunk of events after {@code after} (null: from the first); returns the last id, or null. */
    private static byte[] readChunk(Tables tables, byte[] after, IndexWork work) {
        return tables.read((indexTxn, primaryTxn) -> {
            byte[] last = null;
            try (Cursor<ByteBuffer> cursor = tables.events.openCursor(primaryTxn)) {
                boolean more;
                if (after == null) {
                    more = cursor.first();
                } else {
                    ByteBuffer seek = ByteBuffer.allocateDirect(Keys.ID_BYTES);
                    more = cursor.get(Keys.bytes(seek, after), GetOp.MDB_SET_RANGE) && cursor.next();
                }
                for (int n = 0; more && n < REBUILD_CHUNK; n++, more = cursor.next()) {
                    byte[] id = new byte[Keys.ID_BYTES];
                    cursor.key().get(0, id);
                    Event e = Values.parse(Values.json(cursor.val()));
                    work.add(e, id);
                    last = id;
                }
                return more ? last : null;
            }
        });
    }

    private static void clearPending(Tables tables) {
        while (true) {
            try (Txn<ByteBuffer> txn = tables.writePrimary()) {
                tables.pending.drop(txn);
                txn.commit();
                return;
            } catch (Env.MapFullException e) {
                tables.growPrimary();
            }
        }
    }

    /** Deletes the pending entries with serials in [from, below): the index holds their work. */
    static void deletePending(Tables tables, Txn<ByteBuffer> txn, long from, long below) {
        ByteBuffer key = ByteBuffer.allocateDirect(Long.BYTES);
        for (long serial = from; serial < below; serial++) {
            key.clear();
            tables.pending.delete(txn, key.putLong(serial).flip());
        }
    }
}
