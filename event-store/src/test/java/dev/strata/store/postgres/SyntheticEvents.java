package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.strata.model.Hex;
import dev.strata.model.Sha256;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Many events written straight into a store's tables by SQL ({@code generate_series}), for plans and timings on a
 * large table: far faster than signing and writing each. The events are not valid Nostr events (their ids are
 * not hashes of their content, they have no signature, their JSON is a stub); their columns and tag rows are laid
 * out exactly as the engine lays out real ones, with known values a test can ask for:
 *
 * <ul>
 *   <li>event {@code i} (from 1): id {@code sha256(int8 i)}, created_at {@link #BASE_TIME} + 5i plus a jitter,
 *       author 0 for every hundredth event, else {@code i*7919 mod authors}, the pubkey of author {@code a} being
 *       {@code sha256("author" + a)};</li>
 *   <li>kinds by {@code i mod 100}: 1 (60%), 7 (20%), 6 (10%), 30023 (5%), 0 (3%), 10002 (1%), 1984 (1%, rare);
 *       replaceable ones get a unique replace key, as if every version were the only one of its key;</li>
 *   <li>tags: {@code p} on every event (the next author), {@code e} on even events (one of 500 popular ids),
 *       {@code t} on every third ({@code topic0..topic39}), {@code T} on every 50th ({@code Topic0..Topic9}),
 *       {@code d} on the 30023 ones.</li>
 * </ul>
 */
final class SyntheticEvents {
    static final long BASE_TIME = 1_600_000_000L;
    static final int RARE_KIND = 1984;
    /** Writes one event in a hundred: an author whose own index must be walked in order, not sorted. */
    static final int PROLIFIC_AUTHOR = 0;
    private static final String AUTHOR =
            "LATERAL (SELECT CASE WHEN i % 100 = 1 THEN 0 ELSE (i * 7919) % $3 END AS a) AS author";

    private SyntheticEvents() {
    }

    /** Authors for {@code count} events: about 60 events each. */
    static int authors(int count) {
        return Math.max(1, count / 60);
    }

    static String id(long i) {
        return Hex.encode(Sha256.hash(ByteBuffer.allocate(8).putLong(i).array()));
    }

    static String pubkey(int author) {
        return Hex.encode(Sha256.hash(("author" + author).getBytes(StandardCharsets.UTF_8)));
    }

    static long createdAt(long i) {
        return BASE_TIME + 5 * i + (i * 31) % 1000;
    }

    /** Inserts events {@code from..to} (inclusive) and their tags, then vacuums and analyzes both tables. */
    static Future<Void> generate(Pool pool, String schema, long from, long to, int authors) {
        String events = "INSERT INTO " + schema + ".events (id, pubkey, kind, created_at, replace_key, json) "
                + "SELECT sha256(int8send(i)), sha256(convert_to('author' || a, 'UTF8')), k, "
                + "  $4 + 5 * i + (i * 31) % 1000, "
                + "  CASE WHEN k IN (0, 10002, 30023) THEN sha256(int8send(-i)) END, "
                + "  '{\"id\":\"' || encode(sha256(int8send(i)), 'hex') || '\",\"content\":\"' || repeat('x', 200) "
                + "    || '\"}' "
                + "FROM generate_series($1::int8, $2::int8) AS i, " + AUTHOR + ", LATERAL (SELECT CASE "
                + "  WHEN i % 100 < 60 THEN 1 WHEN i % 100 < 80 THEN 7 WHEN i % 100 < 90 THEN 6 "
                + "  WHEN i % 100 < 95 THEN 30023 WHEN i % 100 < 98 THEN 0 WHEN i % 100 < 99 THEN 10002 "
                + "  ELSE " + RARE_KIND + " END AS k) AS kinds";
        String tags = "INSERT INTO " + schema + ".tags (event_id, name, value, created_at) "
                + "SELECT sha256(int8send(i)), tag.name, tag.value, $4 + 5 * i + (i * 31) % 1000 "
                + "FROM generate_series($1::int8, $2::int8) AS i, " + AUTHOR + ", LATERAL (VALUES "
                + "  ('p', convert_to(encode(sha256(convert_to('author' || ((a + 1) % $3), 'UTF8')), 'hex'), 'UTF8'),"
                + "      true), "
                + "  ('e', convert_to(encode(sha256(int8send(i % 500 + 1)), 'hex'), 'UTF8'), i % 2 = 0), "
                + "  ('t', convert_to('topic' || (i % 40), 'UTF8'), i % 3 = 0), "
                + "  ('T', convert_to('Topic' || (i % 10), 'UTF8'), i % 50 = 0), "
                + "  ('d', convert_to('post' || i, 'UTF8'), i % 100 BETWEEN 90 AND 94) "
                + ") AS tag (name, value, present) WHERE tag.present";
        Tuple params = Tuple.of(from, to, authors, BASE_TIME);
        return pool.preparedQuery(events).execute(params)
                .compose(done -> pool.preparedQuery(tags).execute(params))
                // As autovacuum would: statistics for the planner, and the visibility map for index-only scans.
                .compose(done -> pool.query("VACUUM ANALYZE " + schema + ".events, " + schema + ".tags").execute())
                .mapEmpty();
    }
}
