package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.lmdbjava.Txn;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;

/**
 * Reads one page of a filter's matches in a read transaction. Every candidate of an inexact plan is checked with
 * {@link Filter#matches}, so the result never depends on how well the plan narrowed it; an exact plan's candidates
 * are served without parsing them. Expired events (NIP-40) are skipped whatever the plan. Memory holds one page.
 */
final class PageReader {
    private final Tables tables;

    PageReader(Tables tables) {
        this.tables = tables;
    }

    /** Candidates come from the index snapshot, bodies from the primary one (see {@link Tables#read}). */
    QueryPage read(Txn<ByteBuffer> indexTxn, Txn<ByteBuffer> primaryTxn, Filter filter, QueryCursor after,
                   int maxEvents, int maxScanned, long maxBytes) {
        // A page must examine something, or its cursor could not move on.
        if (maxEvents < 1 || maxScanned < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxEvents, maxScanned and maxBytes must be positive");
        }
        Range range = Range.of(filter, after);
        QueryPlan plan = QueryPlanner.plan(filter);
        if (plan instanceof QueryPlan.Nothing) {
            return new QueryPage(List.of(), null, 0);
        }
        boolean exact = plan instanceof QueryPlan.Ids ids ? ids.exact() : ((QueryPlan.Walk) plan).exact();
        long now = System.currentTimeMillis() / 1000;
        try (Candidates candidates = open(indexTxn, primaryTxn, plan, range)) {
            List<StoredEvent> events = new ArrayList<>();
            ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
            long scanned = 0;
            long bytes = 0;
            long lastTime = -1;
            byte[] lastId = new byte[Keys.ID_BYTES];
            while (events.size() < maxEvents && scanned < maxScanned && bytes < maxBytes && candidates.next()) {
                scanned++;
                if (candidates.time() == lastTime && Arrays.equals(candidates.id(), lastId)) {
                    continue; // the event just examined, found again under another walked value
                }
                lastTime = candidates.time();
                System.arraycopy(candidates.id(), 0, lastId, 0, lastId.length);
                ByteBuffer value = tables.events.get(primaryTxn, Keys.bytes(key, lastId));
                if (value == null) {
                    continue; // removed after the index snapshot was taken; its entries follow it out
                }
                if (Values.isExpired(value, now)) {
                    continue; // NIP-40: never served once expired, whether or not the purge has removed it
                }
                byte[] json = Values.jsonBytes(value);
                if (exact) {
                    events.add(new StoredEvent(Hex.encode(lastId), Keys.createdAt(lastTime), json));
                    bytes += json.length;
                } else {
                    Event event = Values.parse(new String(json, StandardCharsets.UTF_8));
                    if (filter.matches(event)) {
                        events.add(new StoredEvent(event.id(), event.createdAt(), json));
                        bytes += json.length;
                    }
                }
            }
            QueryCursor next = candidates.hasMore()
                    ? new QueryCursor(Keys.createdAt(lastTime), Hex.encode(lastId))
                    : null;
            return new QueryPage(events, next, scanned);
        }
    }

    private Candidates open(Txn<ByteBuffer> indexTxn, Txn<ByteBuffer> primaryTxn, QueryPlan plan, Range range) {
        if (plan instanceof QueryPlan.Ids ids) {
            return IdLookups.open(primaryTxn, tables.events, ids.ids(), range);
        }
        QueryPlan.Walk walk = (QueryPlan.Walk) plan;
        return MergedScan.open(indexTxn, tables.index(walk.index()), walk.prefixes(), range);
    }
}
