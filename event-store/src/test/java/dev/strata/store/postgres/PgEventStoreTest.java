package dev.strata.store.postgres;

import static dev.strata.store.postgres.TestDatabase.result;
import static dev.strata.store.postgres.TestDatabase.failure;
import static dev.strata.store.postgres.TestDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.store.EventStore;
import dev.strata.store.EventStoreContract;
import dev.strata.store.QueryCursor;
import dev.strata.store.StoredEvent;
import dev.strata.store.WriteResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;

/** The contract on PostgreSQL, plus what only this engine has: migrations, odd tag values, its size, closing. */
class PgEventStoreTest extends EventStoreContract {
    private static final long T = 1_700_000_000L;

    private static Vertx vertx;
    private static Pool admin;

    private final List<String> schemas = new ArrayList<>();
    private String schema;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
        admin = TestDatabase.admin(vertx, 2);
    }

    @AfterAll
    static void stopVertx() {
        result(admin.close());
        result(vertx.close());
    }

    @Override
    protected EventStore newStore() {
        schema = newSchema();
        return TestDatabase.open(vertx, TestDatabase.config(schema));
    }

    @Override
    protected EventStore reopen() {
        return TestDatabase.open(vertx, TestDatabase.config(schema));
    }

    @Override
    protected void cleanUp() {
        schemas.forEach(s -> TestDatabase.dropSchema(admin, s));
    }

    private String newSchema() {
        String s = TestDatabase.newSchema();
        schemas.add(s);
        return s;
    }

    private PgEventStore openOwn(String s) {
        return track(TestDatabase.open(vertx, TestDatabase.config(s)));
    }

    @Test
    void nodesStartingTogetherMigrateTheSchemaOnce() {
        String s = newSchema();
        List<Future<PgEventStore>> opening = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            opening.add(PgEventStore.open(vertx, TestDatabase.config(s)));
        }
        for (Future<PgEventStore> f : opening) {
            track(result(f));
        }
        List<Integer> versions = rows(admin, "SELECT version FROM " + s + ".schema_migrations ORDER BY version")
                .stream().map(r -> r.getInteger(0)).toList();
        assertEquals(Migrations.STEPS.stream().map(Migrations.Step::version).toList(), versions);

        // Opening an up-to-date schema changes nothing and works while another node writes.
        PgEventStore first = result(opening.get(0));
        Event e = TestAuthor.random(new Random(1)).sign(T, 1, "hello");
        assertEquals(List.of(WriteResult.STORED), await(first.write(List.of(e))));
        PgEventStore later = openOwn(s);
        assertEquals(List.of(e.toJson()), queryAll(later, Filter.ALL).stream().map(StoredEvent::json).toList());
    }

    @Test
    void aSchemaNewerThanTheCodeIsRefused() {
        String s = newSchema();
        openOwn(s).close();
        result(admin.query("INSERT INTO " + s + ".schema_migrations (version, description) VALUES (999, 'future')")
                .execute());
        Throwable refused = failure(PgEventStore.open(vertx, TestDatabase.config(s)).toCompletionStage());
        assertTrue(refused.getMessage().contains("newer than this relay knows"), refused.getMessage());
    }

    @Test
    void tagValuesWithAnyCharacterOrLengthAreMatchedExactly() {
        PgEventStore store = openOwn(newSchema());
        TestAuthor alice = TestAuthor.random(new Random(2));
        String nul = "a\u0000b";
        String longValue = "v".repeat(5000);
        String longTwin = "v".repeat(4999) + "w";
        Event withNul = alice.sign(T, 1, List.of(List.of("t", nul)), "nul");
        Event withLong = alice.sign(T + 1, 1, List.of(List.of("r", longValue)), "long");
        Event withTwin = alice.sign(T + 2, 1, List.of(List.of("r", longTwin)), "twin");
        Event emoji = alice.sign(T + 3, 1, List.of(List.of("t", "\uD83E\uDD19"), List.of("t", "")), "emoji");
        assertEquals(List.of(WriteResult.STORED, WriteResult.STORED, WriteResult.STORED, WriteResult.STORED),
                await(store.write(List.of(withNul, withLong, withTwin, emoji))));

        assertEquals(List.of(withNul.id()), ids(store, Map.of('t', Set.of(nul))));
        assertEquals(List.of(), ids(store, Map.of('t', Set.of("a"))));
        assertEquals(List.of(withLong.id()), ids(store, Map.of('r', Set.of(longValue))));
        assertEquals(List.of(withTwin.id(), withLong.id()), ids(store, Map.of('r', Set.of(longValue, longTwin))));
        assertEquals(List.of(emoji.id()), ids(store, Map.of('t', Set.of(""))));
        assertEquals(List.of(emoji.id(), withNul.id()), ids(store, Map.of('t', Set.of("\uD83E\uDD19", nul))));
        assertEquals(withNul.toJson(), queryAll(store, Filter.ALL).get(3).json(), "JSON served as written");
    }

    private static List<String> ids(EventStore store, Map<Character, Set<String>> tags) {
        return queryAll(store, new Filter(null, null, null, tags, null, null, null)).stream()
                .map(StoredEvent::id).toList();
    }

    @Test
    void diskSizeCountsTheSchemaTables() {
        PgEventStore store = openOwn(newSchema());
        long empty = result(store.measureDiskSize());
        assertTrue(empty > 0, "indexes of empty tables take pages too");
        TestAuthor alice = TestAuthor.random(new Random(3));
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            events.add(alice.sign(T + i, 1, List.of(List.of("t", "x" + i)), "p".repeat(2000)));
        }
        await(store.write(events));
        long full = result(store.measureDiskSize());
        assertTrue(full > empty + 400 * 1000, empty + " -> " + full);
        assertEquals(full, store.diskSizeBytes());
    }

    @Test
    void aClosedStoreRefusesWorkAndClosesOnce() {
        PgEventStore store = openOwn(newSchema());
        store.close();
        store.close();
        Event e = TestAuthor.random(new Random(4)).sign(T, 1, "late");
        assertInstanceOf(IllegalStateException.class, failure(store.write(List.of(e))));
        assertInstanceOf(IllegalStateException.class, failure(store.query(Filter.ALL, null, 10, 10)));
    }

    @Test
    void aPageMustAllowAtLeastOneEventAndOneScan() {
        PgEventStore store = openOwn(newSchema());
        assertInstanceOf(IllegalArgumentException.class, failure(store.query(Filter.ALL, null, 0, 10)));
        assertInstanceOf(IllegalArgumentException.class, failure(store.query(Filter.ALL, null, 10, 0)));
        assertInstanceOf(IllegalArgumentException.class,
                failure(store.query(Filter.ALL, new QueryCursor(1, "not hex"), 10, 10)));
    }

    /**
     * What a request to vanish leaves when its node dies after the transaction that stored it, before its removals
     * are done: the request, its tombstone and its mark, with the author's events still stored.
     */
    private PgEventStore cutOffVanish(String s, TestAuthor author, List<Event> events, Event request) {
        PgEventStore store = openOwn(s);
        assertEquals(List.of(WriteResult.STORED), await(store.write(List.of(request))));
        Buffer pubkey = Buffer.buffer(Hex.decode(author.pubkey));
        rows(admin, "DELETE FROM " + s + ".vanished WHERE pubkey = $1", pubkey); // so the events can be written
        assertEquals(Collections.nCopies(events.size(), WriteResult.STORED), await(store.write(events)));
        rows(admin, "INSERT INTO " + s + ".vanished (pubkey, cutoff) VALUES ($1, $2)", pubkey, request.createdAt());
        rows(admin, "INSERT INTO " + s + ".vanishing (pubkey, cutoff) VALUES ($1, $2)", pubkey, request.createdAt());
        return store;
    }

    private static List<Event> notes(TestAuthor author, int count) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(author.sign(T + i % 100, 1, List.of(), "left behind " + i));
        }
        return out;
    }

    @Test
    void theRemovalsOfARequestToVanishCutOffByANodeThatDiedAreFinishedByThePurge() {
        String s = newSchema();
        TestAuthor author = TestAuthor.random(new Random(61));
        Event request = author.sign(T + 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        List<Event> events = notes(author, 1500);
        cutOffVanish(s, author, events, request);

        PgEventStore other = openOwn(s);
        assertEquals(1 + events.size(), queryAll(other, Filter.ALL).size(), "left behind until a purge");
        assertEquals(0, await(other.purge(10)));
        assertEquals(List.of(request.id()), queryAll(other, Filter.ALL).stream().map(StoredEvent::id).toList());
        assertEquals(List.of(), rows(admin, "SELECT pubkey FROM " + s + ".vanishing"));
        assertEquals(List.of(WriteResult.VANISHED), await(other.write(events.subList(0, 1))));
    }

    @Test
    void aRequestToVanishSentAgainFinishesItsRemovalsBeforeItIsAnswered() {
        String s = newSchema();
        TestAuthor author = TestAuthor.random(new Random(62));
        Event request = author.sign(T + 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        PgEventStore store = cutOffVanish(s, author, notes(author, 30), request);
        assertEquals(List.of(WriteResult.DUPLICATE), await(store.write(List.of(request))));
        assertEquals(List.of(request.id()), queryAll(store, Filter.ALL).stream().map(StoredEvent::id).toList());
    }

    @Test
    void aLargeWriteIsCutIntoTransactionsAndPagesAreBounded() {
        PgEventStore store = openOwn(newSchema());
        TestAuthor alice = TestAuthor.random(new Random(5));
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 2 * PgEventStore.MAX_BATCH + 100; i++) {
            events.add(alice.sign(T + i % 500, 1, List.of(List.of("t", "n" + i % 3)), "e" + i));
        }
        events.add(events.get(0));
        List<WriteResult> results = await(store.write(events));
        assertEquals(events.size() - 1, results.stream().filter(WriteResult.STORED::equals).count());
        assertEquals(WriteResult.DUPLICATE, results.get(results.size() - 1));

        var page = await(store.query(Filter.ALL, null, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(PgEventStore.MAX_PAGE_EVENTS, page.events().size());
        assertEquals(PgEventStore.MAX_PAGE_EVENTS, page.scanned());
        assertEquals(events.size() - 1, queryAll(store, Filter.ALL).size());
    }
}
