package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/** The wanted ids that are stored and in range, looked up directly and put in newest-first order. */
final class IdLookups implements Candidates {
    private record Position(long time, byte[] id) {
    }

    private static final Comparator<Position> ORDER = Comparator.comparingLong(Position::time)
            .thenComparing(Position::id, Arrays::compareUnsigned);

    private final List<Position> positions;
    private int next;

    private IdLookups(List<Position> positions) {
        this.positions = positions;
    }

    static IdLookups open(Txn<ByteBuffer> txn, Dbi<ByteBuffer> events, List<byte[]> ids, Range range) {
        ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
        List<Position> positions = new ArrayList<>(ids.size());
        for (byte[] id : ids) {
            ByteBuffer value = events.get(txn, Keys.bytes(key, id));
            if (value != null) {
                long time = Keys.invertedTime(Values.createdAt(value));
                if (range.contains(time, id)) {
                    positions.add(new Position(time, id));
                }
            }
        }
        positions.sort(ORDER);
        return new IdLookups(positions);
    }

    @Override
    public boolean next() {
        if (next == positions.size()) {
            return false;
        }
        next++;
        return true;
    }

    @Override
    public long time() {
        return positions.get(next - 1).time();
    }

    @Override
    public byte[] id() {
        return positions.get(next - 1).id();
    }

    @Override
    public boolean hasMore() {
        return next < positions.size();
    }

    @Override
    public void close() {
    }
}
