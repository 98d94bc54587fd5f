package dev.strata.store.postgres;

import java.util.List;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Tuple;

/** The write path's SQL for one schema. Each text is fixed, so its prepared statement is cached per connection. */
final class Statements {
    /**
     * Inserts a batch of events and the tag rows of those actually inserted, in one statement. {@code ON CONFLICT
     * (id)} names the primary key only: a second version under one replace key is an error, never skipped.
     */
    final String insert;
    /** Advisory locks of the batch's keys, taken in the order of the (ascending) array. */
    final String lockKeys;
    final String currentVersions;
    /** Replaced versions and their tag rows. */
    final String delete;
    final String diskSize;

    Statements(String schema) {
        insert = "WITH stored AS ("
                + "INSERT INTO " + schema + ".events (id, pubkey, kind, created_at, replace_key, json) "
                + "SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int4[], $4::int8[], $5::bytea[], $6::text[]) "
                + "ON CONFLICT (id) DO NOTHING RETURNING id, created_at), "
                + "tagged AS (INSERT INTO " + schema + ".tags (event_id, name, value, created_at) "
                + "SELECT t.event_id, t.name, t.value, stored.created_at "
                + "FROM unnest($7::bytea[], $8::text[], $9::bytea[]) AS t (event_id, name, value) "
                + "JOIN stored ON stored.id = t.event_id) "
                + "SELECT id FROM stored";
        lockKeys = "SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k";
        currentVersions = "SELECT replace_key, id, created_at FROM " + schema + ".events "
                + "WHERE replace_key = ANY($1::bytea[])";
        delete = "WITH tags_gone AS (DELETE FROM " + schema + ".tags WHERE event_id = ANY($1::bytea[])) "
                + "DELETE FROM " + schema + ".events WHERE id = ANY($1::bytea[])";
        diskSize = "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'";
    }

    /** The nine arrays of {@link #insert}: events row by row, then their tag rows. */
    Tuple insertParams(List<EventRow> rows) {
        int n = rows.size();
        Buffer[] ids = new Buffer[n];
        Buffer[] pubkeys = new Buffer[n];
        Integer[] kinds = new Integer[n];
        Long[] createdAts = new Long[n];
        Buffer[] replaceKeys = new Buffer[n];
        String[] jsons = new String[n];
        int tagCount = 0;
        for (EventRow row : rows) {
            tagCount += row.tags().size();
        }
        Buffer[] tagEvents = new Buffer[tagCount];
        String[] tagNames = new String[tagCount];
        Buffer[] tagValues = new Buffer[tagCount];
        int t = 0;
        for (int i = 0; i < n; i++) {
            EventRow row = rows.get(i);
            ids[i] = Buffer.buffer(row.id());
            pubkeys[i] = Buffer.buffer(row.pubkey());
            kinds[i] = row.event().kind();
            createdAts[i] = row.createdAt();
            replaceKeys[i] = row.replaceKey() == null ? null : Buffer.buffer(row.replaceKey());
            jsons[i] = row.json();
            for (EventRow.Tag tag : row.tags()) {
                tagEvents[t] = ids[i];
                tagNames[t] = tag.name();
                tagValues[t] = Buffer.buffer(tag.value());
                t++;
            }
        }
        return Tuple.from(new Object[] {ids, pubkeys, kinds, createdAts, replaceKeys, jsons, tagEvents, tagNames,
                tagValues});
    }
}
