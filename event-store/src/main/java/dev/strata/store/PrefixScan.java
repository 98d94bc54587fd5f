package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;

/** A cursor over the entries of one index prefix, newest first, within a range. */
final class PrefixScan implements AutoCloseable {
    private final Cursor<ByteBuffer> cursor;
    private final byte[] prefix;
    private final long endTime;
    private long time;
    private final byte[] id = new byte[Keys.ID_BYTES];

    PrefixScan(Cursor<ByteBuffer> cursor, byte[] prefix, long endTime) {
        this.cursor = cursor;
        this.prefix = prefix;
        this.endTime = endTime;
    }

    /** Positions on the range's first entry; false when the range holds none. */
    boolean start(ByteBuffer seekKey, Range range) {
        Keys.indexKey(seekKey, prefix, range.startTime(), range.startId());
        if (!cursor.get(seekKey, GetOp.MDB_SET_RANGE) || !load()) {
            return false;
        }
        return !(range.startExclusive() && range.isStart(time, id)) || advance();
    }

    boolean advance() {
        return cursor.next() && load();
    }

    long time() {
        return time;
    }

    byte[] id() {
        return id;
    }

    static int compare(PrefixScan a, PrefixScan b) {
        int c = Long.compare(a.time, b.time);
        return c != 0 ? c : Arrays.compareUnsigned(a.id, b.id);
    }

    /**
     * Reads the cursor's key; false once it has left the prefix or the range. Prefixes are self-delimiting, so a
     * key of another length belongs to another prefix.
     */
    private boolean load() {
        ByteBuffer key = cursor.key();
        if (key.remaining() != prefix.length + Keys.POSITION_BYTES) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key.get(i) != prefix[i]) {
                return false;
            }
        }
        time = key.getLong(prefix.length);
        if (time > endTime) {
            return false;
        }
        key.get(prefix.length + Long.BYTES, id);
        return true;
    }

    @Override
    public void close() {
        cursor.close();
    }
}
