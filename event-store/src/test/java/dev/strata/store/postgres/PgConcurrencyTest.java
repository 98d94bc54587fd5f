package dev.strata.store.postgres;

import static dev.strata.store.postgres.TestDatabase.await;
import static dev.strata.store.postgres.TestDatabase.result;
import static dev.strata.store.postgres.TestDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.KindClass;
import dev.strata.store.QueryCursor;
import dev.strata.store.QueryPage;
import dev.strata.store.StoredEvent;
import dev.strata.store.WriteResult;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * Two stores on one schema, as two ingest nodes of one relay: many writers race on the same events and on versions
 * of the same replaceable and addressable keys. Whatever the interleaving, the database must end with every event
 * and exactly the winning version of each key, and every write must succeed (a deadlock would fail one).
 */
class PgConcurrencyTest {
    private static final long T = 1_700_000_000L;
    private static final int WRITERS_PER_NODE = 4;

    private Vertx vertx;
    private Pool admin;
    private String schema;
    private final List<PgEventStore> nodes = new ArrayList<>();

    @BeforeEach
    void openTwoNodes() {
        vertx = Vertx.vertx();
        admin = TestDatabase.admin(vertx, 1);
        schema = TestDatabase.newSchema();
        nodes.add(TestDatabase.open(vertx, TestDatabase.config(schema)));
        nodes.add(TestDatabase.open(vertx, TestDatabase.config(schema)));
    }

    @AfterEach
    void dropAll() {
        nodes.forEach(PgEventStore::close);
        TestDatabase.dropSchema(admin, schema);
        result(admin.close());
        result(vertx.close());
    }

    @Test
    void racingNodesKeepEveryEventAndOnlyTheWinningVersions() throws Exception {
        Random random = new Random(99);
        List<TestAuthor> authors = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            authors.add(TestAuthor.random(random));
        }
        List<Event> pool = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            pool.add(authors.get(i % 4).sign(T + random.nextInt(50), i % 5 == 0 ? 7 : 1,
                    List.of(List.of("t", "race"), List.of("p", authors.get((i + 1) % 4).pubkey)), "note " + i));
        }
        for (TestAuthor author : authors) {
            for (int v = 0; v < 8; v++) {
                // Few timestamps per key: most keys see ties, decided by the lowest id.
                pool.add(author.sign(T + random.nextInt(3), 0, "profile " + v));
                pool.add(author.sign(T + random.nextInt(3), 10002, "relays " + v));
                for (String d : List.of("a", "b")) {
                    pool.add(author.sign(T + random.nextInt(3), 30000, List.of(List.of("d", d)), d + v));
                }
            }
        }

        int writers = 2 * WRITERS_PER_NODE;
        ExecutorService executor = Executors.newFixedThreadPool(writers);
        Map<Event, List<WriteResult>> outcomes = new HashMap<>();
        try {
            List<CompletableFuture<Map<Event, List<WriteResult>>>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                PgEventStore node = nodes.get(w % 2);
                List<Event> mine = new ArrayList<>(pool);
                Collections.shuffle(mine, new Random(w));
                Random chunks = new Random(1000 + w);
                running.add(CompletableFuture.supplyAsync(() -> writeInChunks(node, mine, chunks), executor));
            }
            for (CompletableFuture<Map<Event, List<WriteResult>>> r : running) {
                r.get(TestDatabase.TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .forEach((e, rs) -> outcomes.computeIfAbsent(e, k -> new ArrayList<>()).addAll(rs));
            }
        } finally {
            executor.shutdownNow();
        }

        List<Event> expected = finalState(pool);
        for (PgEventStore node : nodes) {
            assertEquals(expected.stream().map(Event::id).toList(),
                    readAll(node).stream().map(StoredEvent::id).toList(), "what each node reads");
        }
        for (Event e : expected) {
            List<WriteResult> r = outcomes.get(e);
            assertEquals(1, Collections.frequency(r, WriteResult.STORED), "stored exactly once: " + e + " " + r);
            assertEquals(writers - 1, Collections.frequency(r, WriteResult.DUPLICATE), e + " " + r);
        }
        assertEquals(List.of(), rows(admin, "SELECT replace_key FROM " + schema + ".events "
                + "WHERE replace_key IS NOT NULL GROUP BY replace_key HAVING count(*) > 1"), "one version per key");
        assertEquals(300 + 4 * 4, expected.size());
        // No tag row outlives its event, none is missing.
        long tagRows = expected.stream().mapToLong(e -> e.tags().size()).sum();
        assertEquals(tagRows, rows(admin, "SELECT count(*) FROM " + schema + ".tags t JOIN " + schema
                + ".events e ON e.id = t.event_id").get(0).getLong(0));
        assertEquals(tagRows, rows(admin, "SELECT count(*) FROM " + schema + ".tags").get(0).getLong(0));
    }

    /** Every write must succeed: a failure here would be a deadlock or a lost race. */
    private static Map<Event, List<WriteResult>> writeInChunks(PgEventStore node, List<Event> events, Random random) {
        Map<Event, List<WriteResult>> out = new HashMap<>();
        for (int i = 0; i < events.size(); ) {
            List<Event> chunk = events.subList(i, Math.min(events.size(), i + 1 + random.nextInt(24)));
            List<WriteResult> results = await(node.write(chunk));
            for (int j = 0; j < chunk.size(); j++) {
                out.computeIfAbsent(chunk.get(j), k -> new ArrayList<>()).add(results.get(j));
            }
            i += chunk.size();
        }
        return out;
    }

    /** Every regular event, and per key the newest version (ties to the lowest id), newest first. */
    private static List<Event> finalState(List<Event> events) {
        Comparator<Event> newestFirst = Comparator.comparingLong(Event::createdAt).reversed()
                .thenComparing(Event::id);
        Map<String, Event> winners = new HashMap<>();
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            if (e.kindClass() == KindClass.REGULAR) {
                out.add(e);
            } else {
                String key = e.pubkey() + ":" + e.kind() + ":" + e.dTag();
                winners.merge(key, e, (a, b) -> newestFirst.compare(a, b) <= 0 ? a : b);
            }
        }
        out.addAll(winners.values());
        out.sort(newestFirst);
        return out;
    }

    private static List<StoredEvent> readAll(PgEventStore node) {
        List<StoredEvent> all = new ArrayList<>();
        QueryCursor cursor = null;
        do {
            QueryPage page = await(node.query(Filter.ALL, cursor, 100, 100));
            all.addAll(page.events());
            cursor = page.next();
        } while (cursor != null);
        return all;
    }
}
