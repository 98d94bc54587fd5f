package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.KindClass;
import dev.strata.store.WriteResult;

/**
 * The decisions of one write transaction, made in plain Java from what the database said: which events to insert,
 * which replaced versions to delete, and each event's {@link WriteResult}, in the order of the events written.
 *
 * <p>Regular events need no decision before the insert: {@code ON CONFLICT (id) DO NOTHING} makes a repeated id a
 * duplicate, also when another transaction is inserting the same id right now (PostgreSQL waits for it to finish,
 * then skips the row if it committed). Replaceable and addressable events are decided against the current version
 * of their key, read while the transaction holds the key's advisory lock, event by event in batch order exactly as
 * NIP-01 orders them, so that several versions of one key in one batch end as if written one by one.
 */
final class WriteBatch {
    /** The version of a key stored in the database (or decided in this batch). */
    record Version(byte[] id, long createdAt) {
    }

    private final List<EventRow> rows = new ArrayList<>();
    private final WriteResult[] results;
    /** Positions of the first occurrence of each regular id; later occurrences are duplicates of it. */
    private final Map<ByteBuffer, Integer> regularIds = new LinkedHashMap<>();
    /** Positions of replaceable and addressable events by key, in batch order. */
    private final Map<ByteBuffer, List<Integer>> versionsByKey = new LinkedHashMap<>();
    private final List<byte[]> deletes = new ArrayList<>();
    private final List<EventRow> winners = new ArrayList<>();

    /** @param jsons each event's {@link Event#toJson()} */
    WriteBatch(List<Event> events, List<String> jsons) {
        results = new WriteResult[events.size()];
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (e.kindClass() == KindClass.EPHEMERAL) {
                rows.add(null);
                results[i] = WriteResult.EPHEMERAL;
                continue;
            }
            EventRow row = EventRow.of(e, jsons.get(i));
            rows.add(row);
            if (row.replaceKey() == null) {
                if (regularIds.putIfAbsent(ByteBuffer.wrap(row.id()), i) != null) {
                    results[i] = WriteResult.DUPLICATE;
                }
            } else {
                versionsByKey.computeIfAbsent(ByteBuffer.wrap(row.replaceKey()), k -> new ArrayList<>()).add(i);
            }
        }
    }

    /** Whether the batch stores anything at all (an all-ephemeral batch needs no database). */
    boolean isEmpty() {
        return regularIds.isEmpty() && versionsByKey.isEmpty();
    }

    boolean hasVersions() {
        return !versionsByKey.isEmpty();
    }

    /** Advisory-lock keys of the batch's replace keys, ascending: every writer locks in one order, so none deadlock. */
    Long[] lockKeys() {
        return versionsByKey.keySet().stream().map(k -> EventRow.lockKey(k.array())).distinct().sorted()
                .toArray(Long[]::new);
    }

    List<byte[]> replaceKeys() {
        return versionsByKey.keySet().stream().map(ByteBuffer::array).toList();
    }

    /**
     * Decides every replaceable and addressable event against {@code current}, the versions stored now (keyed by
     * replace key, a key absent when nothing is stored under it).
     */
    void decideVersions(Map<ByteBuffer, Version> current) {
        for (Map.Entry<ByteBuffer, List<Integer>> key : versionsByKey.entrySet()) {
            Version stored = current.get(key.getKey());
            Version now = stored;
            EventRow winner = null;
            for (int i : key.getValue()) {
                EventRow row = rows.get(i);
                if (now != null && Arrays.equals(now.id(), row.id())) {
                    results[i] = WriteResult.DUPLICATE;
                } else if (now == null || EventRow.supersedes(row.createdAt(), row.id(), now.createdAt(), now.id())) {
                    results[i] = WriteResult.STORED;
                    now = new Version(row.id(), row.createdAt());
                    winner = row;
                } else {
                    results[i] = WriteResult.STALE;
                }
            }
            // A version that won and lost within the batch is never written: as if inserted and deleted at once.
            if (winner != null) {
                if (stored != null) {
                    deletes.add(stored.id());
                }
                winners.add(winner);
            }
        }
    }

    /** Ids of the stored versions this batch replaces. */
    List<byte[]> deletes() {
        return deletes;
    }

    /**
     * The rows to insert, ascending by id. Two transactions that insert some of the same ids wait for each other
     * row by row; taking rows in one global order means neither can wait for the other in a cycle.
     */
    List<EventRow> inserts() {
        List<EventRow> out = new ArrayList<>(regularIds.size() + winners.size());
        for (int i : regularIds.values()) {
            out.add(rows.get(i));
        }
        out.addAll(winners);
        out.sort(Comparator.comparing(EventRow::id, Arrays::compareUnsigned));
        return out;
    }

    /**
     * The results, given the ids the insert stored. A winning version always inserts (its key's lock keeps every
     * other writer of that id away), so one that did not means the database broke an invariant: fail the write.
     */
    List<WriteResult> results(Set<ByteBuffer> inserted) {
        for (Map.Entry<ByteBuffer, Integer> regular : regularIds.entrySet()) {
            results[regular.getValue()] = inserted.contains(regular.getKey())
                    ? WriteResult.STORED : WriteResult.DUPLICATE;
        }
        for (EventRow winner : winners) {
            if (!inserted.contains(ByteBuffer.wrap(winner.id()))) {
                throw new IllegalStateException("the newest version " + winner.event().id()
                        + " was not inserted under its key's lock");
            }
        }
        return List.of(results);
    }
}
