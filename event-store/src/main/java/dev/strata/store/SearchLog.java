package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Txn;

import dev.strata.model.Hex;

/**
 * The LMDB side of the search index: every insert and delete of an event, numbered in commit order and written in
 * the same transaction as the event itself, so that what LMDB committed the index can always learn, whatever
 * crashed when. {@link SearchIndex} applies the entries in order and records in each of its own commits the number
 * it reached; the writer then drops the entries up to the last number the index committed, a bounded few per
 * transaction.
 *
 * <p>The numbers only grow: the highest one pruned is kept in {@link Tables#meta}, so an emptied log still knows
 * where it stands. A transaction that is aborted and retried leaves a gap, which readers do not mind.
 */
final class SearchLog {
    static final byte INSERT = 1;
    static final byte DELETE = 2;
    static final int ENTRY_BYTES = 1 + Keys.ID_BYTES;
    /** Entries dropped per write transaction at most, so pruning never makes a commit much larger. */
    private static final int MAX_PRUNED_PER_TXN = 4096;
    private static final byte[] PRUNED_KEY = "search_log.pruned".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STORE_ID_KEY = "store_id".getBytes(StandardCharsets.US_ASCII);

    private final Tables tables;
    /** The highest number the search index has committed: entries up to it may go. */
    private final AtomicLong indexed = new AtomicLong();
    /** Next number to hand out; writer thread only. */
    private long next;
    private volatile Runnable onCommit = () -> { };
    private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
    private final ByteBuffer entry = ByteBuffer.allocateDirect(ENTRY_BYTES);

    private SearchLog(Tables tables, long last) {
        this.tables = tables;
        this.next = last + 1;
    }

    /** Opens the log of the store, giving the store an identity on its first open. */
    static SearchLog open(Tables tables) {
        try (Txn<ByteBuffer> txn = tables.writePrimary()) {
            if (tables.meta.get(txn, bytes(STORE_ID_KEY)) == null) {
                byte[] id = new byte[16];
                new SecureRandom().nextBytes(id);
                tables.meta.put(txn, bytes(STORE_ID_KEY), bytes(id));
                txn.commit();
            }
        }
        return new SearchLog(tables, tables.readPrimary(txn -> last(tables, txn)));
    }

    /** The number of the last entry ever written (0 for none): what a reader of {@code txn} may wait for. */
    static long last(Tables tables, Txn<ByteBuffer> txn) {
        long last = 0;
        try (Cursor<ByteBuffer> c = tables.searchLog.openCursor(txn)) {
            if (c.seek(SeekOp.MDB_LAST)) {
                last = c.key().getLong(0);
            }
        }
        return Math.max(last, pruned(tables, txn));
    }

    /** The highest number dropped from the log (0 for none): an index that has not reached it must start over. */
    static long pruned(Tables tables, Txn<ByteBuffer> txn) {
        ByteBuffer v = tables.meta.get(txn, bytes(PRUNED_KEY));
        return v == null ? 0 : v.getLong(0);
    }

    /** Random, made at the store's first open: an index made for other LMDB files is not this store's. */
    static String storeId(Tables tables, Txn<ByteBuffer> txn) {
        ByteBuffer v = tables.meta.get(txn, bytes(STORE_ID_KEY));
        byte[] id = new byte[v.remaining()];
        v.get(id);
        return Hex.encode(id);
    }

    /** Calls {@code apply} for each entry after {@code after}, at most {@code max}; returns the last one's number. */
    static long read(Tables tables, Txn<ByteBuffer> txn, long after, int max, EntryConsumer apply) {
        long last = after;
        try (Cursor<ByteBuffer> c = tables.searchLog.openCursor(txn)) {
            ByteBuffer from = ByteBuffer.allocateDirect(Long.BYTES);
            from.putLong(0, after + 1);
            boolean found = c.get(from, GetOp.MDB_SET_RANGE);
            byte[] id = new byte[Keys.ID_BYTES];
            for (int n = 0; found && n < max; n++) {
                last = c.key().getLong(0);
                ByteBuffer v = c.val();
                v.get(1, id);
                apply.accept(v.get(0), id);
                found = c.next();
            }
        }
        return last;
    }

    interface EntryConsumer {
        void accept(byte op, byte[] id);
    }

    private static ByteBuffer bytes(byte[] b) {
        ByteBuffer buf = ByteBuffer.allocateDirect(b.length);
        buf.put(b).flip();
        return buf;
    }

    /** Writer thread: records that the event {@code id} was inserted or deleted in {@code txn}. */
    void append(Txn<ByteBuffer> txn, byte op, byte[] id) {
        key.clear();
        key.putLong(next++).flip();
        entry.clear();
        entry.put(op).put(id).flip();
        tables.searchLog.put(txn, key, entry);
    }

    /** Writer thread, once per transaction: drops entries the search index has committed. */
    void prune(Txn<ByteBuffer> txn) {
        long upTo = indexed.get();
        long last = 0;
        try (Cursor<ByteBuffer> c = tables.searchLog.openCursor(txn)) {
            for (int n = 0; n < MAX_PRUNED_PER_TXN && c.seek(SeekOp.MDB_FIRST); n++) {
                long seq = c.key().getLong(0);
                if (seq > upTo) {
                    break;
                }
                c.delete();
                last = seq;
            }
        }
        if (last > 0) {
            ByteBuffer v = ByteBuffer.allocateDirect(Long.BYTES);
            v.putLong(0, last);
            tables.meta.put(txn, bytes(PRUNED_KEY), v);
        }
    }

    /** Writer thread, after a commit: the search index has entries to read. */
    void committed() {
        onCommit.run();
    }

    void onCommit(Runnable listener) {
        onCommit = listener;
    }

    /** The search index committed everything up to {@code seq}. */
    void indexed(long seq) {
        indexed.accumulateAndGet(seq, Math::max);
    }
}
