package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/** Several prefix walks of one index merged into one newest-first walk, one cursor per prefix. */
final class MergedScan implements Candidates {
    private final List<PrefixScan> scans = new ArrayList<>();
    private final PriorityQueue<PrefixScan> heads = new PriorityQueue<>(PrefixScan::compare);
    private long time;
    private final byte[] id = new byte[Keys.ID_BYTES];

    static MergedScan open(Txn<ByteBuffer> txn, Dbi<ByteBuffer> index, List<byte[]> prefixes, Range range) {
        MergedScan merged = new MergedScan();
        ByteBuffer seekKey = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
        try {
            for (byte[] prefix : prefixes) {
                PrefixScan scan = new PrefixScan(index.openCursor(txn), prefix, range.endTime());
                merged.scans.add(scan);
                if (scan.start(seekKey, range)) {
                    merged.heads.add(scan);
                }
            }
        } catch (RuntimeException e) {
            merged.close();
            throw e;
        }
        return merged;
    }

    @Override
    public boolean next() {
        PrefixScan head = heads.poll();
        if (head == null) {
            return false;
        }
        time = head.time();
        System.arraycopy(head.id(), 0, id, 0, id.length);
        if (head.advance()) {
            heads.add(head);
        }
        return true;
    }

    @Override
    public long time() {
        return time;
    }

    @Override
    public byte[] id() {
        return id;
    }

    @Override
    public boolean hasMore() {
        return !heads.isEmpty();
    }

    @Override
    public void close() {
        scans.forEach(PrefixScan::close);
    }
}
