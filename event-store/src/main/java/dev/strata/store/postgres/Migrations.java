package dev.strata.store.postgres;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The schema, as numbered steps applied in order when a store opens. Steps are only ever appended: a released step
 * is never edited, a change is a new step.
 *
 * <p>Every node of a cluster runs this at start. All steps run in one transaction that first takes a transaction
 * advisory lock named after the schema, so concurrent starts apply each step once: the first node migrates, the
 * others wait for its commit and then find nothing left to do. A failed step rolls everything back (PostgreSQL DDL
 * is transactional), so a schema is never left half-migrated.
 */
final class Migrations {

    record Step(int version, String description, String sql) {
    }

    /**
     * The steps, where {@code {S}} stands for the schema name.
     *
     * <p>Version 1. {@code events} holds one row per stored event: ids and pubkeys as their 32 raw bytes (bytea
     * compares bytewise, which is the order of their lowercase hex, so {@code ORDER BY id} is NIP-01's tie-break),
     * the JSON text exactly as it is served. Every index a query walks ends with {@code created_at DESC, id}, so it
     * yields rows in the query order and a page stops after its LIMIT. {@code replace_key} is set on replaceable
     * and addressable events only; its unique partial index makes "one version per key" a database invariant,
     * whatever a writer does. {@code tags} has a row per distinct (single-letter name, value) of an event, the value
     * being the tag's element 1 as NIP-01 matches it (UTF-8, or a digest when long: {@link EventRow#tagValue}),
     * with the event's created_at copied so its index also walks newest first; {@code tags_event} serves deletes of
     * replaced versions and the per-event probe of EXISTS. The two extended statistics tell the planner that a tag value mostly
     * comes with one name ({@code p} values are pubkeys, {@code t} values topics) and that an author writes few
     * kinds; without them it multiplies the two selectivities, expects a handful of rows, and sorts every match
     * where walking the index in order would stop after a page.
     *
     * <p>Version 3. {@code expires_at} is an event's NIP-40 expiration (null without one); queries skip expired rows
     * and the purge walks the partial index, which holds only the expiring ones. The tombstones refuse what was
     * deleted: {@code deleted_events} the (id, author) pairs of NIP-09 {@code e} targets, {@code deleted_addresses}
     * the latest created_at deleted per NIP-09 {@code a} address (as its replace key), {@code vanished} the latest
     * created_at a NIP-62 request covers per pubkey; each is checked by its primary key. {@code vanishing} holds the
     * requests to vanish whose removals (done in chunks after the request commits) are not finished, so that a node
     * that dies half-way leaves them to be finished by another. {@code deletion_gate} never
     * holds a row: it is a lock that every insert holds in {@code ROW SHARE} mode and every deletion in
     * {@code EXCLUSIVE} mode (see {@link Statements#insert}).
     */
    static final List<Step> STEPS = List.of(
            new Step(1, "events, tags and their indexes", """
                    CREATE TABLE {S}.events (
                        id          bytea  PRIMARY KEY,
                        pubkey      bytea  NOT NULL,
                        kind        int4   NOT NULL,
                        created_at  int8   NOT NULL,
                        replace_key bytea,
                        json        text   NOT NULL
                    );
                    CREATE INDEX events_created ON {S}.events (created_at DESC, id);
                    CREATE INDEX events_pubkey_created ON {S}.events (pubkey, created_at DESC, id);
                    CREATE INDEX events_kind_created ON {S}.events (kind, created_at DESC, id);
                    CREATE INDEX events_pubkey_kind_created ON {S}.events (pubkey, kind, created_at DESC, id);
                    CREATE UNIQUE INDEX events_replace_key ON {S}.events (replace_key) WHERE replace_key IS NOT NULL;
                    CREATE TABLE {S}.tags (
                        event_id   bytea NOT NULL,
                        name       text  NOT NULL,
                        value      bytea NOT NULL,
                        created_at int8  NOT NULL
                    );
                    CREATE INDEX tags_value_created ON {S}.tags (name, value, created_at DESC, event_id);
                    CREATE INDEX tags_event ON {S}.tags (event_id);
                    CREATE STATISTICS {S}.tags_name_value ON name, value FROM {S}.tags;
                    CREATE STATISTICS {S}.events_pubkey_kind ON pubkey, kind FROM {S}.events;
                    """),
            // Version 2 (NIP-50). The words of each event's content as a tsvector the database keeps itself (so no
            // writer can forget it), with the 'simple' configuration: lower-cased, no stemming and no stop words,
            // so a word in any language matches itself. Only the first 100,000 characters count: a tsvector is
            // bounded (1 MB), and one event's insert must never fail on its content. jsonb cannot hold the NUL
            // character, so its escape becomes that of a space first (six characters for six: the JSON stays valid
            // even where the backslash was itself escaped). The kinds of SearchQuery.UNSEARCHED_KINDS get none.
            new Step(2, "full-text index of content", """
                    ALTER TABLE {S}.events ADD COLUMN content_words tsvector GENERATED ALWAYS AS
                        (CASE WHEN kind IN (4, 6, 16, 1059) THEN NULL ELSE to_tsvector('simple'::regconfig,
                            left((replace(json, '\\u0000', '\\u0020')::jsonb) ->> 'content', 100000)) END) STORED;
                    CREATE INDEX events_content_words ON {S}.events USING gin (content_words);
                    """),
            new Step(3, "NIP-40 expirations, NIP-09 and NIP-62 tombstones, the deletion gate", """
                    ALTER TABLE {S}.events ADD COLUMN expires_at int8;
                    CREATE INDEX events_expires ON {S}.events (expires_at) WHERE expires_at IS NOT NULL;
                    CREATE TABLE {S}.deleted_events (
                        id     bytea NOT NULL,
                        pubkey bytea NOT NULL,
                        PRIMARY KEY (id, pubkey)
                    );
                    CREATE TABLE {S}.deleted_addresses (
                        replace_key bytea PRIMARY KEY,
                        cutoff      int8  NOT NULL
                    );
                    CREATE TABLE {S}.vanished (
                        pubkey bytea PRIMARY KEY,
                        cutoff int8  NOT NULL
                    );
                    CREATE TABLE {S}.vanishing (
                        pubkey bytea PRIMARY KEY,
                        cutoff int8  NOT NULL
                    );
                    CREATE TABLE {S}.deletion_gate ();
                    """));

    private Migrations() {
    }

    /** The schema's version once this store opened it. */
    static Future<Integer> run(Pool pool, String schema) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .execute(Tuple.of("strata-migrations:" + schema))
                // "already exists, skipping" notices on every start would only be noise in the log.
                .compose(locked -> conn.query("SET LOCAL client_min_messages = warning; "
                        + "CREATE SCHEMA IF NOT EXISTS " + schema + "; "
                        + "CREATE TABLE IF NOT EXISTS " + schema + ".schema_migrations ("
                        + "version int4 PRIMARY KEY, description text NOT NULL, "
                        + "applied_at timestamptz NOT NULL DEFAULT now())").execute())
                .compose(created -> conn.query("SELECT version FROM " + schema + ".schema_migrations").execute())
                .compose(rows -> {
                    Set<Integer> applied = new HashSet<>();
                    for (Row row : rows) {
                        applied.add(row.getInteger(0));
                    }
                    int known = STEPS.get(STEPS.size() - 1).version();
                    int newest = applied.stream().mapToInt(Integer::intValue).max().orElse(0);
                    if (newest > known) {
                        return Future.failedFuture(new IllegalStateException("schema " + schema + " is at version "
                                + newest + ", newer than this relay knows (" + known + "): upgrade the relay"));
                    }
                    Future<Void> chain = Future.succeededFuture();
                    for (Step step : STEPS) {
                        if (!applied.contains(step.version())) {
                            chain = chain.compose(v -> apply(conn, schema, step));
                        }
                    }
                    return chain.map(known);
                }));
    }

    private static Future<Void> apply(SqlConnection conn, String schema, Step step) {
        return conn.query(step.sql().replace("{S}", schema)).execute()
                .compose(done -> conn.preparedQuery("INSERT INTO " + schema
                                + ".schema_migrations (version, description) VALUES ($1, $2)")
                        .execute(Tuple.of(step.version(), step.description())))
                .mapEmpty();
    }
}
