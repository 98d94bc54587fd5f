package dev.strata.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import org.lmdbjava.Cursor;
import org.lmdbjava.Txn;

import dev.strata.model.Address;
import dev.strata.model.Event;
import dev.strata.model.Expiration;
import dev.strata.model.Hex;
import dev.strata.model.KindClass;

/**
 * Applies events to a primary write transaction under NIP-01's storage rules, NIP-09 deletions, NIP-40 expirations
 * and NIP-62 requests to vanish, and notes in the transaction (the {@code pending} table) and in {@link IndexWork}
 * what the index must do. Each decision reads the transaction's own earlier writes, so duplicates, competing
 * versions and deletions inside one batch are decided exactly as across batches. Confined to the writer thread: it
 * reuses its buffers.
 */
final class EventWriter {
    static final int DELETION = 5;
    static final int VANISH = 62;
    static final int GIFT_WRAP = 1059;

    private final Tables tables;
    private final SearchLog searchLog;
    private final ByteBuffer key = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
    private final ByteBuffer version = ByteBuffer.allocateDirect(Values.VERSION_BYTES);
    private final ByteBuffer serialKey = ByteBuffer.allocateDirect(Long.BYTES);
    private final ByteBuffer time = ByteBuffer.allocateDirect(Long.BYTES);
    private final ByteBuffer empty = ByteBuffer.allocateDirect(0);
    private long nextSerial;
    /** A request to vanish the last transaction stored or met again, whose removals are still to do. */
    private VanishWalk vanishWalk;

    /**
     * Where a NIP-62 request to vanish stands in removing what it covers: the author's events, then the gift wraps
     * to them, each a walk of the index from newest to oldest up to the cutoff.
     */
    static final class VanishWalk {
        final byte[] author;
        final String pubkey;
        final long cutoff;
        private boolean giftWraps;
        private Range position;

        VanishWalk(byte[] author, long cutoff) {
            this.author = author;
            this.pubkey = Hex.encode(author);
            this.cutoff = cutoff;
            this.position = start(cutoff);
        }

        private static Range start(long cutoff) {
            return new Range(Keys.invertedTime(cutoff), new byte[Keys.ID_BYTES], false, Keys.invertedTime(0));
        }

        /** Where the walk is, to go back to when the transaction that moved it on did not commit. */
        Runnable snapshot() {
            boolean atGiftWraps = giftWraps;
            Range at = position;
            return () -> {
                giftWraps = atGiftWraps;
                position = at;
            };
        }
    }

    EventWriter(Tables tables, long nextSerial, SearchLog searchLog) {
        this.tables = tables;
        this.nextSerial = nextSerial;
        this.searchLog = searchLog;
    }

    /**
     * @param now the transaction's Unix time, for NIP-40
     * @see Writer for what a request to vanish needs of its batch
     */
    WriteResult apply(Txn<ByteBuffer> txn, Event e, byte[] json, IndexWork work, long now) {
        KindClass kindClass = e.kindClass();
        if (kindClass == KindClass.EPHEMERAL) {
            return WriteResult.EPHEMERAL;
        }
        byte[] id = Keys.id(e.id());
        byte[] author = Keys.author(e.pubkey());
        // Tombstones first: an event a request to vanish covers may still be stored while its removal goes on.
        if (hasVanished(txn, e, author)) {
            return WriteResult.VANISHED;
        }
        // NIP-09: deleting a deletion request or a request to vanish has no effect.
        if (e.kind() != DELETION && e.kind() != VANISH
                && tables.deleted.get(txn, Keys.bytes(key, Keys.deleted(author, id))) != null) {
            return WriteResult.DELETED;
        }
        if (tables.events.get(txn, Keys.bytes(key, id)) != null) {
            if (e.kind() == VANISH) {
                resumeVanish(txn, author); // sent again after it failed half-way: finish it before answering
            }
            return WriteResult.DUPLICATE;
        }
        if (kindClass == KindClass.REPLACEABLE || kindClass == KindClass.ADDRESSABLE) {
            byte[] replaceKey = Keys.replaceKey(e);
            ByteBuffer cutoff = tables.deletedAddresses.get(txn, Keys.bytes(key, replaceKey));
            if (cutoff != null && e.createdAt() <= cutoff.getLong(0)) {
                return WriteResult.DELETED;
            }
            ByteBuffer current = tables.replaceable.get(txn, Keys.bytes(key, replaceKey));
            if (current != null) {
                long currentCreatedAt = Values.createdAt(current);
                byte[] currentId = Values.versionId(current);
                // NIP-40: an expired version is as good as gone, whether or not the purge has removed it yet.
                if (!supersedes(e.createdAt(), id, currentCreatedAt, currentId) && !isExpired(txn, currentId, now)) {
                    return WriteResult.STALE;
                }
                remove(txn, currentId, work);
            }
            tables.replaceable.put(txn, Keys.bytes(key, replaceKey), Values.version(version, e.createdAt(), id),
                    Tables.PLAIN);
        }
        long expiration = Expiration.of(e).orElse(Values.NEVER);
        ByteBuffer record = tables.events.reserve(txn, Keys.bytes(key, id), Values.eventSize(expiration, json),
                Tables.PLAIN);
        Values.writeEvent(record, e.createdAt(), expiration, json);
        Values.writePendingAdd(tables.pending.reserve(txn, serial(), Values.PENDING_ADD_BYTES, Tables.PLAIN), id);
        if (expiration != Values.NEVER) {
            tables.expiring.put(txn, Keys.expiring(key, expiration, id), empty, Tables.PLAIN);
        }
        work.add(e, id);
        searchLog.append(txn, SearchLog.INSERT, id);
        if (e.kind() == DELETION) {
            applyDeletion(txn, e, author, work);
        } else if (e.kind() == VANISH) {
            applyVanish(txn, e, author, work);
        }
        return WriteResult.STORED;
    }

    /** NIP-62: the author vanished up to this event's created_at or later, or the recipient of a gift wrap did. */
    private boolean hasVanished(Txn<ByteBuffer> txn, Event e, byte[] author) {
        if (e.kind() != VANISH && vanishedUntil(txn, author) >= e.createdAt()) {
            return true;
        }
        if (e.kind() == GIFT_WRAP) {
            for (List<String> tag : e.tags()) {
                if (tag.size() > 1 && tag.get(0).equals("p") && Hex.isLowerHex(tag.get(1), 64)
                        && vanishedUntil(txn, Hex.decode(tag.get(1))) >= e.createdAt()) {
                    return true;
                }
            }
        }
        return false;
    }

    private long vanishedUntil(Txn<ByteBuffer> txn, byte[] pubkey) {
        return tables.vanishedUntil(txn, key, pubkey);
    }

    private boolean isExpired(Txn<ByteBuffer> txn, byte[] id, long now) {
        ByteBuffer value = tables.events.get(txn, Keys.bytes(key, id));
        return value != null && Values.isExpired(value, now);
    }

    /** Newer wins; at equal created_at the lower id, which compares like the lowercase hex it encodes. */
    private static boolean supersedes(long createdAt, byte[] id, long otherCreatedAt, byte[] otherId) {
        if (createdAt != otherCreatedAt) {
            return createdAt > otherCreatedAt;
        }
        return Arrays.compareUnsigned(id, otherId) < 0;
    }

    /**
     * Deletes a stored event's body with what points to it in the primary (its expiration, and its key's current
     * version when it is that version); its index entries go in the index transaction that follows. The pending
     * entry keeps the body, which a replay after a crash needs to find those entries. False when no such event is
     * stored.
     */
    private boolean remove(Txn<ByteBuffer> txn, byte[] id, IndexWork work) {
        ByteBuffer value = tables.events.get(txn, Keys.bytes(key, id));
        if (value == null) {
            return false;
        }
        // Read before the first change: a value stays valid only until the transaction writes.
        long expiration = Values.expiration(value);
        byte[] body = Values.jsonBytes(value);
        Event old = Values.parse(new String(body, StandardCharsets.UTF_8));
        Values.writePendingRemove(tables.pending.reserve(txn, serial(), Values.pendingRemoveSize(body), Tables.PLAIN),
                id, body);
        tables.events.delete(txn, Keys.bytes(key, id));
        if (expiration != Values.NEVER) {
            tables.expiring.delete(txn, Keys.expiring(key, expiration, id));
        }
        KindClass kindClass = old.kindClass();
        if (kindClass == KindClass.REPLACEABLE || kindClass == KindClass.ADDRESSABLE) {
            byte[] replaceKey = Keys.replaceKey(old);
            ByteBuffer current = tables.replaceable.get(txn, Keys.bytes(key, replaceKey));
            if (current != null && Arrays.equals(Values.versionId(current), id)) {
                tables.replaceable.delete(txn, Keys.bytes(key, replaceKey));
            }
        }
        work.remove(old, id);
        searchLog.append(txn, SearchLog.DELETE, id);
        return true;
    }

    /** NIP-09: the request's {@code e} and {@code a} targets that are its author's. */
    private void applyDeletion(Txn<ByteBuffer> txn, Event request, byte[] author, IndexWork work) {
        for (List<String> tag : request.tags()) {
            if (tag.size() < 2) {
                continue;
            }
            if (tag.get(0).equals("e") && Hex.isLowerHex(tag.get(1), 64)) {
                deleteById(txn, request, author, Hex.decode(tag.get(1)), work);
            } else if (tag.get(0).equals("a")) {
                Address address = Address.parse(tag.get(1));
                if (address != null && address.pubkey().equals(request.pubkey())) {
                    deleteAddress(txn, request, Keys.replaceKey(address.pubkey(), address.kind(), address.d()),
                            work);
                }
            }
        }
    }

    /**
     * Deletes the target when it is the author's, and remembers the (author, id) pair either way: a target not stored
     * yet is refused when it comes. Ids hash the pubkey, so a pair naming another author's event can never match.
     */
    private void deleteById(Txn<ByteBuffer> txn, Event request, byte[] author, byte[] id, IndexWork work) {
        ByteBuffer value = tables.events.get(txn, Keys.bytes(key, id));
        if (value != null) {
            Event target = Values.event(value);
            if (!target.pubkey().equals(request.pubkey()) || target.kind() == DELETION || target.kind() == VANISH) {
                return;
            }
            remove(txn, id, work);
        }
        tables.deleted.put(txn, Keys.bytes(key, Keys.deleted(author, id)), empty, Tables.PLAIN);
    }

    /** NIP-09: every version up to the request's created_at, now and later. */
    private void deleteAddress(Txn<ByteBuffer> txn, Event request, byte[] replaceKey, IndexWork work) {
        ByteBuffer cutoff = tables.deletedAddresses.get(txn, Keys.bytes(key, replaceKey));
        if (cutoff == null || cutoff.getLong(0) < request.createdAt()) {
            tables.deletedAddresses.put(txn, Keys.bytes(key, replaceKey), time(request.createdAt()), Tables.PLAIN);
        }
        ByteBuffer current = tables.replaceable.get(txn, Keys.bytes(key, replaceKey));
        if (current != null && Values.createdAt(current) <= request.createdAt()) {
            remove(txn, Values.versionId(current), work);
        }
    }

    /**
     * NIP-62, in the request's own transaction: the tombstone that refuses the author's events up to its
     * created_at from now on, and the mark that the removal of those stored is to do ({@link #continueVanish},
     * in transactions that follow: a request may cover far more events than one transaction should hold).
     */
    private void applyVanish(Txn<ByteBuffer> txn, Event request, byte[] author, IndexWork work) {
        long previous = vanishedUntil(txn, author);
        if (previous < request.createdAt()) {
            tables.vanished.put(txn, Keys.bytes(key, author), time(request.createdAt()), Tables.PLAIN);
        }
        ByteBuffer mark = tables.vanishing.get(txn, Keys.bytes(key, author));
        long marked = mark == null ? -1 : mark.getLong(0);
        // An older request than one already carried out has nothing left to remove.
        if (request.createdAt() > Math.max(previous, marked)) {
            tables.vanishing.put(txn, Keys.bytes(key, author), time(request.createdAt()), Tables.PLAIN);
        }
        resumeVanish(txn, author);
    }

    /** Notes the author's unfinished removal, if any, for the writer to carry out after this transaction. */
    private void resumeVanish(Txn<ByteBuffer> txn, byte[] author) {
        ByteBuffer mark = tables.vanishing.get(txn, Keys.bytes(key, author));
        if (mark != null) {
            vanishWalk = new VanishWalk(author, mark.getLong(0));
        }
    }

    /** The removal the last committed transaction left to do, once; null when none. */
    VanishWalk takeVanishWalk() {
        VanishWalk walk = vanishWalk;
        vanishWalk = null;
        return walk;
    }

    /**
     * Removes up to {@code max} more of what a request to vanish covers: the author's events up to the cutoff except
     * requests to vanish, then the gift wraps up to then that p-tag the author. They are found in the index, which
     * the writer let catch up with everything stored before it starts; nothing is stored meanwhile, and the index
     * only loses entries of events already removed, so the walk goes on from where it stopped. True once all is
     * removed, when the mark goes in the same transaction.
     */
    boolean continueVanish(Txn<ByteBuffer> txn, VanishWalk walk, int max, IndexWork work) {
        int[] removed = {0};
        ByteBuffer seekKey = ByteBuffer.allocateDirect(Keys.MAX_KEY_BYTES);
        while (removed[0] < max) {
            Index index = walk.giftWraps ? Index.TAG : Index.AUTHOR;
            byte[] prefix = walk.giftWraps ? Keys.tag('p', walk.pubkey) : walk.author;
            Predicate<Event> covered = walk.giftWraps ? e -> e.kind() == GIFT_WRAP : e -> e.kind() != VANISH;
            boolean stageDone = tables.readIndex(indexTxn -> {
                Range from = walk.position;
                try (PrefixScan scan = new PrefixScan(tables.index(index).openCursor(indexTxn), prefix,
                        from.endTime())) {
                    boolean more = scan.start(seekKey, from);
                    while (more && removed[0] < max) {
                        byte[] id = scan.id().clone();
                        walk.position = new Range(scan.time(), id, true, from.endTime());
                        ByteBuffer value = tables.events.get(txn, Keys.bytes(key, id));
                        if (value != null && covered.test(Values.event(value)) && remove(txn, id, work)) {
                            removed[0]++;
                        }
                        more = scan.advance();
                    }
                    return !more;
                }
            });
            if (!stageDone) {
                return false;
            }
            if (walk.giftWraps) {
                ByteBuffer mark = tables.vanishing.get(txn, Keys.bytes(key, walk.author));
                // A newer request that raised the mark meanwhile has its own walk to finish.
                if (mark != null && mark.getLong(0) <= walk.cutoff) {
                    tables.vanishing.delete(txn, Keys.bytes(key, walk.author));
                }
                return true;
            }
            walk.giftWraps = true;
            walk.position = VanishWalk.start(walk.cutoff);
        }
        return false;
    }

    /** The authors whose removal a crash or a failure cut off, at most {@code max}. */
    List<VanishWalk> unfinishedVanishes(Txn<ByteBuffer> txn, int max) {
        List<VanishWalk> out = new ArrayList<>();
        try (Cursor<ByteBuffer> cursor = tables.vanishing.openCursor(txn)) {
            for (boolean found = cursor.first(); found && out.size() < max; found = cursor.next()) {
                byte[] author = new byte[Keys.ID_BYTES];
                cursor.key().get(0, author);
                out.add(new VanishWalk(author, cursor.val().getLong(0)));
            }
        }
        return out;
    }

    /**
     * NIP-40: up to {@code max} events expired at {@code now}, soonest expired first, removed in the transaction;
     * how many.
     */
    int purgeExpired(Txn<ByteBuffer> txn, long now, int max, IndexWork work) {
        List<byte[]> entries = new ArrayList<>();
        try (Cursor<ByteBuffer> cursor = tables.expiring.openCursor(txn)) {
            for (boolean found = cursor.first(); found && entries.size() < max; found = cursor.next()) {
                ByteBuffer entry = cursor.key();
                if (entry.getLong(0) > now) {
                    break;
                }
                byte[] copy = new byte[entry.remaining()];
                entry.get(0, copy);
                entries.add(copy);
            }
        }
        for (byte[] entry : entries) {
            byte[] id = Arrays.copyOfRange(entry, Long.BYTES, entry.length);
            // remove() drops the entry with its event; one without its event would otherwise stay first forever.
            if (!remove(txn, id, work)) {
                tables.expiring.delete(txn, Keys.bytes(key, entry));
            }
        }
        return entries.size();
    }

    private ByteBuffer time(long seconds) {
        time.clear();
        return time.putLong(seconds).flip();
    }

    private ByteBuffer serial() {
        serialKey.clear();
        serialKey.putLong(nextSerial++);
        return serialKey.flip();
    }

    /** The serial the next pending entry gets; a transaction that did not commit gives its serials back. */
    long nextSerial() {
        return nextSerial;
    }

    void rewind(long serial) {
        nextSerial = serial;
    }
}
