package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

import org.lmdbjava.Txn;

import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.Hll;
import dev.strata.model.KindClass;

/**
 * NIP-45 counts from the LMDB indexes. Each filter walks its planned index (as a query does); a candidate of an
 * inexact plan is checked field by field with point lookups of its index position ({@code prefix | time | id}) in
 * the other indexes, so no event body is read. An event several filters match is counted once: a candidate of a
 * filter counts only when no earlier filter matches it, checked the same way. A counted event is looked up (not
 * read) by id in the primary environment, which it may have left since the index snapshot (the head of its
 * record says whether it has expired, NIP-40); only the HyperLogLog reads the counted events' pubkeys from their
 * records.
 *
 * <p>Where the reader may not see every event (NIP-42 private kinds), a counted candidate of a private kind is
 * looked up under the reader's pubkeys as author and as {@code p} tag the same way.
 *
 * <p>Every index entry walked and every lookup counts against the budget; past it the count fails with
 * {@code blocked:} rather than keep the read transaction open for long.
 */
final class Counter {
    static final String TOO_BROAD = "blocked: counting would examine more than %d index entries; narrow the "
            + "filters with authors, kinds, tags or a time window";

    private final Tables tables;

    Counter(Tables tables) {
        this.tables = tables;
    }

    /** Candidates and lookups in the index snapshot; a counted event must still be in the primary one. */
    EventCount count(Txn<ByteBuffer> indexTxn, Txn<ByteBuffer> primaryTxn, List<Filter> filters, int hllOffset,
                     long maxScanned, Visibility visibility) {
        Probe probe = new Probe(indexTxn, maxScanned);
        Hll hll = hllOffset < 0 ? null : new Hll(hllOffset);
        ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
        long now = System.currentTimeMillis() / 1000;
        long count = 0;
        for (int i = 0; i < filters.size(); i++) {
            Filter filter = filters.get(i);
            QueryPlan plan = QueryPlanner.plan(filter);
            if (plan instanceof QueryPlan.Nothing) {
                continue;
            }
            boolean exact = plan instanceof QueryPlan.Ids ids ? ids.exact() : ((QueryPlan.Walk) plan).exact();
            boolean restricted = visibility.restricts(filter);
            try (Candidates candidates = open(indexTxn, primaryTxn, plan, Range.of(filter, null))) {
                long lastTime = -1;
                byte[] lastId = new byte[Keys.ID_BYTES];
                while (candidates.next()) {
                    probe.spend();
                    long time = candidates.time();
                    byte[] id = candidates.id();
                    if (time == lastTime && Arrays.equals(id, lastId)) {
                        continue; // found again under another walked value
                    }
                    lastTime = time;
                    System.arraycopy(id, 0, lastId, 0, id.length);
                    if ((!exact && !probe.matches(filter, time, id)) || matchedEarlier(probe, filters, i, time, id)
                            || (restricted && !probe.visible(visibility, time, id))) {
                        continue;
                    }
                    ByteBuffer record = tables.events.get(primaryTxn, Keys.bytes(key, id));
                    if (record == null) {
                        continue; // removed after the index snapshot was taken
                    }
                    if (Values.isExpired(record, now)) {
                        continue; // NIP-40, as for a query: expired, whether or not the purge has removed it
                    }
                    count++;
                    if (hll != null) {
                        hll.add(Values.pubkey(record));
                    }
                }
            }
        }
        return new EventCount(count, hll == null ? null : hll.toHex());
    }

    private static boolean matchedEarlier(Probe probe, List<Filter> filters, int i, long time, byte[] id) {
        for (int j = 0; j < i; j++) {
            if (probe.matches(filters.get(j), time, id)) {
                return true;
            }
        }
        return false;
    }

    private Candidates open(Txn<ByteBuffer> indexTxn, Txn<ByteBuffer> primaryTxn, QueryPlan plan, Range range) {
        if (plan instanceof QueryPlan.Ids ids) {
            return IdLookups.open(primaryTxn, tables.events, ids.ids(), range);
        }
        QueryPlan.Walk walk = (QueryPlan.Walk) plan;
        return MergedScan.open(indexTxn, tables.index(walk.index()), walk.prefixes(), range);
    }

    /** Whether the event at an index position matches a filter, by lookups of that position in each index. */
    private final class Probe {
        private final Txn<ByteBuffer> txn;
        private final long budget;
        private long spent;
        private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);

        Probe(Txn<ByteBuffer> txn, long budget) {
            this.txn = txn;
            this.budget = budget;
        }

        void spend() {
            if (++spent > budget) {
                throw new RejectedExecutionException(String.format(TOO_BROAD, budget));
            }
        }

        boolean matches(Filter f, long time, byte[] id) {
            long createdAt = Keys.createdAt(time);
            if ((f.since() != null && createdAt < f.since()) || (f.until() != null && createdAt > f.until())) {
                return false;
            }
            if (f.ids() != null && !f.ids().contains(Hex.encode(id))) {
                return false;
            }
            if (f.kinds() != null && !anyIndexed(Index.KIND, f.kinds().stream()
                    .filter(k -> k >= 0 && k <= KindClass.MAX_KIND).map(Keys::kind).toList(), time, id)) {
                return false;
            }
            if (f.authors() != null && !anyIndexed(Index.AUTHOR, f.authors().stream()
                    .filter(a -> Hex.isLowerHex(a, 64)).map(Keys::author).toList(), time, id)) {
                return false;
            }
            for (Map.Entry<Character, Set<String>> tag : f.tags().entrySet()) {
                if (!anyIndexed(Index.TAG, tag.getValue().stream().map(v -> Keys.tag(tag.getKey(), v)).toList(),
                        time, id)) {
                    return false;
                }
            }
            return true;
        }

        /** NIP-42: an event of a private kind only for its author and the pubkeys it p-tags. */
        boolean visible(Visibility visibility, long time, byte[] id) {
            List<byte[]> privateKinds = visibility.privateKinds().kinds().stream().map(Keys::kind).toList();
            if (!anyIndexed(Index.KIND, privateKinds, time, id)) {
                return true;
            }
            List<String> readers = visibility.readers().stream().filter(r -> Hex.isLowerHex(r, 64)).toList();
            return anyIndexed(Index.AUTHOR, readers.stream().map(Keys::author).toList(), time, id)
                    || anyIndexed(Index.TAG, readers.stream().map(r -> Keys.tag('p', r)).toList(), time, id);
        }

        private boolean anyIndexed(Index index, List<byte[]> prefixes, long time, byte[] id) {
            for (byte[] prefix : prefixes) {
                spend();
                if (tables.index(index).get(txn, Keys.indexKey(key, prefix, time, id)) != null) {
                    return true;
                }
            }
            return false;
        }
    }
}
