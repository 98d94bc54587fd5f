package dev.strata.store.postgres;

import java.util.List;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Tuple;

/** The write path's SQL for one schema. Each text is fixed, so its prepared statement is cached per connection. */
final class Statements {
    /**
     * Inserts a batch of events and the tag rows of those actually inserted, in one statement, and names each event
     * that is stored ({@code S}) or refused by a tombstone: vanished ({@code V}, NIP-62) or deleted ({@code D},
     * NIP-09). An id it does not name was a duplicate. {@code ON CONFLICT (id)} names the primary key only: a second
     * version under one replace key is an error, never skipped.
     *
     * <p>The statement holds the deletion gate ({@link #closeGate}) in {@code ROW SHARE} mode from before its
     * snapshot is taken (PostgreSQL locks a statement's tables before it takes the snapshot): a deletion that commits
     * while the insert waits for the gate is seen by it, and a deletion cannot run while an insert it does not see is
     * in flight.
     */
    final String insert;
    /** Advisory locks of the batch's keys, taken in the order of the (ascending) array. */
    final String lockKeys;
    /** The gate in ROW SHARE mode for the whole transaction of a batch of versions, before it reads anything. */
    final String openGate;
    /**
     * The gate in EXCLUSIVE mode, for the transaction of one deletion or request to vanish: it waits for every write
     * in flight and holds off new ones until it commits. The gate table never has a row and nothing else locks it,
     * so autovacuum never competes for it.
     */
    final String closeGate;
    final String currentVersions;
    /** NIP-09 address tombstones of a batch's keys. */
    final String addressCutoffs;
    /** Which (id, pubkey) pairs of a batch's versions have a NIP-09 tombstone. */
    final String deletedVersions;
    /** NIP-62 tombstones of a batch's authors. */
    final String vanishCutoffs;
    /** Replaced versions and their tag rows. */
    final String delete;
    /**
     * NIP-09 {@code e} targets: deletes those of the author (kind 5 and 62 excepted) and leaves a tombstone for every
     * one that is not another author's, nor a request: one not stored yet is refused when it comes. Both parts see
     * the statement's snapshot, so a target deleted here still counts as the author's.
     */
    final String deleteIds;
    /** NIP-09 {@code a} targets: versions up to the cutoff go, and the cutoff stays for later versions. */
    final String deleteAddresses;
    /**
     * NIP-62: a chunk of the author's events up to the cutoff, except requests to vanish; the count removed. Rows
     * are taken in index order, so two nodes finishing the same request lock them in one order.
     */
    final String vanishAuthor;
    /** NIP-62: a chunk of the gift wraps up to the cutoff that p-tag the author (its hex as a tag value). */
    final String vanishGiftWraps;
    final String rememberVanish;
    /** The mark of a removal to do, raised to the newest request's cutoff. */
    final String markVanishing;
    final String vanishingCutoff;
    final String unfinishedVanishes;
    /** Drops the mark once the removal up to its cutoff is done (a newer request raised it otherwise). */
    final String unmarkVanishing;
    /** NIP-40: a batch of expired events; rows another purge is deleting are skipped, not waited for. */
    final String purgeExpired;
    final String diskSize;

    Statements(String schema) {
        insert = "WITH gate AS (SELECT FROM " + schema + ".deletion_gate FOR KEY SHARE), "
                + "input AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int4[], $4::int8[], $5::bytea[], "
                + "$6::text[], $7::int8[]) AS u (id, pubkey, kind, created_at, replace_key, json, expires_at)), "
                + "vanished AS (SELECT u.id FROM input u WHERE (u.kind <> 62 AND EXISTS (SELECT 1 FROM " + schema
                + ".vanished v WHERE v.pubkey = u.pubkey AND v.cutoff >= u.created_at)) OR EXISTS (SELECT 1 FROM "
                + "unnest($11::bytea[], $12::bytea[]) AS w (event_id, recipient) JOIN " + schema + ".vanished v "
                + "ON v.pubkey = w.recipient WHERE w.event_id = u.id AND v.cutoff >= u.created_at)), "
                + "deleted AS (SELECT u.id FROM input u WHERE NOT EXISTS (SELECT 1 FROM vanished r WHERE r.id = u.id) "
                + "AND ((u.kind NOT IN (5, 62) AND EXISTS (SELECT 1 FROM " + schema + ".deleted_events d "
                + "WHERE d.id = u.id AND d.pubkey = u.pubkey)) OR EXISTS (SELECT 1 FROM " + schema
                + ".deleted_addresses a WHERE a.replace_key = u.replace_key AND a.cutoff >= u.created_at))), "
                + "stored AS (INSERT INTO " + schema + ".events "
                + "(id, pubkey, kind, created_at, replace_key, json, expires_at) SELECT * FROM input u "
                + "WHERE NOT EXISTS (SELECT 1 FROM vanished r WHERE r.id = u.id) "
                + "AND NOT EXISTS (SELECT 1 FROM deleted r WHERE r.id = u.id) "
                + "ON CONFLICT (id) DO NOTHING RETURNING id, created_at), "
                + "tagged AS (INSERT INTO " + schema + ".tags (event_id, name, value, created_at) "
                + "SELECT t.event_id, t.name, t.value, stored.created_at "
                + "FROM unnest($8::bytea[], $9::text[], $10::bytea[]) AS t (event_id, name, value) "
                + "JOIN stored ON stored.id = t.event_id) "
                + "SELECT id, 'S' FROM stored UNION ALL SELECT id, 'V' FROM vanished "
                + "UNION ALL SELECT id, 'D' FROM deleted "
                // The gate has no rows; naming it here keeps its lock in whatever plan PostgreSQL picks.
                + "UNION ALL SELECT NULL, 'G' FROM gate";
        lockKeys = "SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k";
        openGate = "LOCK TABLE " + schema + ".deletion_gate IN ROW SHARE MODE";
        closeGate = "LOCK TABLE " + schema + ".deletion_gate IN EXCLUSIVE MODE";
        currentVersions = "SELECT replace_key, id, created_at, expires_at FROM " + schema + ".events "
                + "WHERE replace_key = ANY($1::bytea[])";
        addressCutoffs = "SELECT replace_key, cutoff FROM " + schema + ".deleted_addresses "
                + "WHERE replace_key = ANY($1::bytea[])";
        deletedVersions = "SELECT d.id FROM " + schema + ".deleted_events d "
                + "JOIN unnest($1::bytea[], $2::bytea[]) AS u (id, pubkey) ON d.id = u.id AND d.pubkey = u.pubkey";
        vanishCutoffs = "SELECT pubkey, cutoff FROM " + schema + ".vanished WHERE pubkey = ANY($1::bytea[])";
        delete = "WITH tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id = ANY($1::bytea[])) "
                + "DELETE FROM " + schema + ".events WHERE id = ANY($1::bytea[])";
        deleteIds = "WITH gone AS (DELETE FROM " + schema + ".events WHERE id = ANY($1::bytea[]) AND pubkey = $2 "
                + "AND kind NOT IN (5, 62) RETURNING id), "
                + "tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id IN (SELECT id FROM gone)) "
                + "INSERT INTO " + schema + ".deleted_events (id, pubkey) SELECT t.id, $2 "
                + "FROM unnest($1::bytea[]) AS t (id) WHERE NOT EXISTS (SELECT 1 FROM " + schema + ".events e "
                + "WHERE e.id = t.id AND (e.pubkey <> $2 OR e.kind IN (5, 62))) ON CONFLICT DO NOTHING";
        deleteAddresses = "WITH gone AS (DELETE FROM " + schema + ".events WHERE replace_key = ANY($1::bytea[]) "
                + "AND created_at <= $2 RETURNING id), "
                + "tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id IN (SELECT id FROM gone)) "
                + "INSERT INTO " + schema + ".deleted_addresses (replace_key, cutoff) "
                + "SELECT k, $2 FROM unnest($1::bytea[]) AS k ON CONFLICT (replace_key) "
                + "DO UPDATE SET cutoff = greatest(" + schema + ".deleted_addresses.cutoff, excluded.cutoff)";
        vanishAuthor = "WITH doomed AS (SELECT id FROM " + schema + ".events WHERE pubkey = $1 "
                + "AND created_at <= $2 AND kind <> 62 ORDER BY created_at DESC, id LIMIT $3 FOR UPDATE), "
                + "gone AS (DELETE FROM " + schema + ".events WHERE id IN (SELECT id FROM doomed) RETURNING id), "
                + "tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id IN (SELECT id FROM gone)) "
                + "SELECT count(*)::int4 FROM gone";
        vanishGiftWraps = "WITH doomed AS (SELECT e.id FROM " + schema + ".tags t JOIN " + schema + ".events e "
                + "ON e.id = t.event_id WHERE t.name = 'p' AND t.value = $1 AND t.created_at <= $2 "
                + "AND e.kind = 1059 ORDER BY t.created_at DESC, t.event_id LIMIT $3 FOR UPDATE OF e), "
                + "gone AS (DELETE FROM " + schema + ".events WHERE id IN (SELECT id FROM doomed) RETURNING id), "
                + "tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id IN (SELECT id FROM gone)) "
                + "SELECT count(*)::int4 FROM gone";
        rememberVanish = "INSERT INTO " + schema + ".vanished (pubkey, cutoff) VALUES ($1, $2) "
                + "ON CONFLICT (pubkey) DO UPDATE SET cutoff = greatest(" + schema + ".vanished.cutoff, "
                + "excluded.cutoff)";
        markVanishing = "INSERT INTO " + schema + ".vanishing (pubkey, cutoff) VALUES ($1, $2) "
                + "ON CONFLICT (pubkey) DO UPDATE SET cutoff = greatest(" + schema + ".vanishing.cutoff, "
                + "excluded.cutoff)";
        vanishingCutoff = "SELECT cutoff FROM " + schema + ".vanishing WHERE pubkey = $1";
        unfinishedVanishes = "SELECT pubkey, cutoff FROM " + schema + ".vanishing LIMIT $1";
        unmarkVanishing = "DELETE FROM " + schema + ".vanishing WHERE pubkey = $1 AND cutoff <= $2";
        purgeExpired = "WITH expired AS (SELECT id FROM " + schema + ".events WHERE expires_at <= $1 "
                + "ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
                + "gone AS (DELETE FROM " + schema + ".events WHERE id IN (SELECT id FROM expired) RETURNING id), "
                + "tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id IN (SELECT id FROM gone)) "
                + "SELECT count(*)::int4 FROM gone";
        diskSize = "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'";
    }

    /** The twelve arrays of {@link #insert}: events row by row, then their tag rows, then gift wrap recipients. */
    Tuple insertParams(List<EventRow> rows) {
        int n = rows.size();
        Buffer[] ids = new Buffer[n];
        Buffer[] pubkeys = new Buffer[n];
        Integer[] kinds = new Integer[n];
        Long[] createdAts = new Long[n];
        Buffer[] replaceKeys = new Buffer[n];
        String[] jsons = new String[n];
        Long[] expiresAts = new Long[n];
        int tagCount = 0;
        int recipientCount = 0;
        for (EventRow row : rows) {
            tagCount += row.tags().size();
            recipientCount += row.recipients().size();
        }
        Buffer[] tagEvents = new Buffer[tagCount];
        String[] tagNames = new String[tagCount];
        Buffer[] tagValues = new Buffer[tagCount];
        Buffer[] wraps = new Buffer[recipientCount];
        Buffer[] recipients = new Buffer[recipientCount];
        int t = 0;
        int r = 0;
        for (int i = 0; i < n; i++) {
            EventRow row = rows.get(i);
            ids[i] = Buffer.buffer(row.id());
            pubkeys[i] = Buffer.buffer(row.pubkey());
            kinds[i] = row.event().kind();
            createdAts[i] = row.createdAt();
            replaceKeys[i] = row.replaceKey() == null ? null : Buffer.buffer(row.replaceKey());
            jsons[i] = row.json();
            expiresAts[i] = row.expiresAt();
            for (EventRow.Tag tag : row.tags()) {
                tagEvents[t] = ids[i];
                tagNames[t] = tag.name();
                tagValues[t] = Buffer.buffer(tag.value());
                t++;
            }
            for (byte[] recipient : row.recipients()) {
                wraps[r] = ids[i];
                recipients[r] = Buffer.buffer(recipient);
                r++;
            }
        }
        return Tuple.from(new Object[] {ids, pubkeys, kinds, createdAts, replaceKeys, jsons, expiresAts, tagEvents,
                tagNames, tagValues, wraps, recipients});
    }
}
