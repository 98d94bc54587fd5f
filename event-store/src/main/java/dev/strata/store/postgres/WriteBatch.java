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
 * then skips the row if it committed), and the insert itself refuses what a NIP-09 or NIP-62 tombstone forbids.
 * Replaceable and addressable events are decided against the current version of their key and the tombstones that
 * concern them, read while the transaction holds the key's advisory lock, event by event in batch order exactly as
 * NIP-01 orders them, so that several versions of one key in one batch end as if written one by one.
 */
final class WriteBatch {
    /**
     * The version of a key stored in the database (or decided in this batch).
     *
     * @param expiresAt NIP-40 expiration, {@link Long#MAX_VALUE} without one
     */
    record Version(byte[] id, long createdAt, long expiresAt) {
    }

    /**
     * The tombstones that concern a batch's versions.
     *
     * @param addressCutoffs NIP-09 latest deleted created_at by replace key
     * @param deletedIds     ids with a NIP-09 tombstone of their own author
     * @param vanishCutoffs  NIP-62 latest vanished created_at by pubkey
     */
    record Tombstones(Map<ByteBuffer, Long> addressCutoffs, Set<ByteBuffer> deletedIds,
                      Map<ByteBuffer, Long> vanishCutoffs) {
    }

    private final List<EventRow> rows = new ArrayList<>();
    private final WriteResult[] results;
    /** Positions of the first occurrence of each regular id. */
    private final Map<ByteBuffer, Integer> regularIds = new LinkedHashMap<>();
    /** Later occurrences of a regular id, each with the position of its first: it ends as the first did. */
    private final Map<Integer, Integer> repeats = new LinkedHashMap<>();
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
                Integer first = regularIds.putIfAbsent(ByteBuffer.wrap(row.id()), i);
                if (first != null) {
                    repeats.put(i, first);
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

    /** The replaceable and addressable events, for reading their tombstones. */
    List<EventRow> versions() {
        List<EventRow> out = new ArrayList<>();
        for (List<Integer> positions : versionsByKey.values()) {
            for (int i : positions) {
                out.add(rows.get(i));
            }
        }
        return out;
    }

    /**
     * Decides every replaceable and addressable event against {@code current}, the versions stored now (keyed by
     * replace key, a key absent when nothing is stored under it), and the tombstones, in the order the LMDB engine
     * checks them: NIP-62, NIP-09, an id stored, then the version comparison.
     *
     * @param now Unix time: an expired version (NIP-40) no longer holds its key
     */
    void decideVersions(Map<ByteBuffer, Version> current, Tombstones tombstones, long now) {
        for (Map.Entry<ByteBuffer, List<Integer>> key : versionsByKey.entrySet()) {
            Version stored = current.get(key.getKey());
            Long addressCutoff = tombstones.addressCutoffs().get(key.getKey());
            Version held = stored;
            EventRow winner = null;
            for (int i : key.getValue()) {
                EventRow row = rows.get(i);
                Long vanishCutoff = tombstones.vanishCutoffs().get(ByteBuffer.wrap(row.pubkey()));
                if (vanishCutoff != null && row.createdAt() <= vanishCutoff) {
                    results[i] = WriteResult.VANISHED;
                } else if (tombstones.deletedIds().contains(ByteBuffer.wrap(row.id()))
                        || (addressCutoff != null && row.createdAt() <= addressCutoff)) {
                    results[i] = WriteResult.DELETED;
                } else if (held != null && Arrays.equals(held.id(), row.id())) {
                    results[i] = WriteResult.DUPLICATE;
                } else if (held == null || held.expiresAt() <= now
                        || EventRow.supersedes(row.createdAt(), row.id(), held.createdAt(), held.id())) {
                    results[i] = WriteResult.STORED;
                    held = new Version(row.id(), row.createdAt(),
                            row.expiresAt() == null ? Long.MAX_VALUE : row.expiresAt());
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
     * The results, given what the insert said of each id ({@code S} stored, {@code V} vanished, {@code D} deleted,
     * absent a duplicate). A winning version always inserts (its key's lock and the gate keep every other writer of
     * it away, and its tombstones were read under them), so one that did not means the database broke an invariant:
     * fail the write.
     */
    List<WriteResult> results(Map<ByteBuffer, Character> outcomes) {
        for (Map.Entry<ByteBuffer, Integer> regular : regularIds.entrySet()) {
            Character outcome = outcomes.get(regular.getKey());
            results[regular.getValue()] = outcome == null ? WriteResult.DUPLICATE : switch (outcome) {
                case 'S' -> WriteResult.STORED;
                case 'V' -> WriteResult.VANISHED;
                case 'D' -> WriteResult.DELETED;
                default -> throw new IllegalStateException("unknown insert outcome " + outcome);
            };
        }
        // The second time in one batch, a stored id is a duplicate and a refused one is refused again.
        repeats.forEach((i, first) -> results[i] = results[first] == WriteResult.STORED
                ? WriteResult.DUPLICATE : results[first]);
        for (EventRow winner : winners) {
            Character outcome = outcomes.get(ByteBuffer.wrap(winner.id()));
            if (outcome == null || outcome != 'S') {
                throw new IllegalStateException("the newest version " + winner.event().id()
                        + " was not inserted under its key's lock");
            }
        }
        return List.of(results);
    }
}
