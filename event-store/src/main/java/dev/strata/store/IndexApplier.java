package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.lmdbjava.Cursor;
import org.lmdbjava.Env;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/** Writes {@link IndexWork} to the index environment. Confined to one thread at a time: it reuses its buffers. */
final class IndexApplier {
    private final Tables tables;
    private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
    private final ByteBuffer empty = ByteBuffer.allocateDirect(0);

    private record Entry(Index index, byte[] key, boolean add) {
        static final Comparator<Entry> ORDER = Comparator.comparingInt((Entry e) -> e.index.ordinal())
                .thenComparing(Entry::key, Arrays::compareUnsigned);
    }

    IndexApplier(Tables tables) {
        this.tables = tables;
    }

    /** Applies the works, in order, in one unsynced index transaction; when the map is full, grows it and retries. */
    void commit(List<IndexWork> works) {
        List<Entry> entries = entries(works);
        while (true) {
            try (Txn<ByteBuffer> txn = tables.writeIndex()) {
                apply(txn, entries);
                txn.commit();
                return;
            } catch (Env.MapFullException e) {
                tables.growIndex();
            }
        }
    }

    /**
     * Every entry to put or delete, in key order. The sort is stable, so an entry added and removed by the same
     * works is removed last.
     */
    private static List<Entry> entries(List<IndexWork> works) {
        List<Entry> entries = new ArrayList<>();
        for (IndexWork work : works) {
            for (IndexWork.Change c : work.changes()) {
                long time = Keys.invertedTime(c.event().createdAt());
                for (IndexPrefix prefix : IndexPrefix.of(c.event())) {
                    entries.add(new Entry(prefix.index(), Keys.indexKeyBytes(prefix.prefix(), time, c.id()),
                            c.add()));
                }
            }
        }
        entries.sort(Entry.ORDER);
        return entries;
    }

    /**
     * Each index through one cursor, in key order: LMDB then finds most keys on the page the cursor already holds
     * instead of searching from the root, which is most of the cost of a put. Putting an entry that exists or
     * deleting one that does not changes nothing, so work applied twice (replayed after a crash) leaves the same
     * index.
     */
    private void apply(Txn<ByteBuffer> txn, List<Entry> entries) {
        Index open = null;
        Cursor<ByteBuffer> cursor = null;
        try {
            for (Entry e : entries) {
                if (e.index != open) {
                    if (cursor != null) {
                        cursor.close();
                    }
                    open = e.index;
                    cursor = tables.index(open).openCursor(txn);
                }
                Keys.bytes(key, e.key);
                if (e.add) {
                    cursor.put(key, empty, Tables.PLAIN);
                } else if (cursor.get(key, GetOp.MDB_SET)) {
                    cursor.delete();
                }
            }
        } finally {
            if (cursor != null) {
                cursor.close();
            }
        }
    }
}
