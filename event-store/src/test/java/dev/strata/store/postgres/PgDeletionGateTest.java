package dev.strata.store.postgres;

import static dev.strata.store.postgres.TestDatabase.await;
import static dev.strata.store.postgres.TestDatabase.result;
import static dev.strata.store.postgres.TestDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.store.QueryCursor;
import dev.strata.store.QueryPage;
import dev.strata.store.StoredEvent;
import dev.strata.store.WriteResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;

/**
 * A deletion and a write of its target on two ingest nodes must never leave the target visible, whichever commits
 * first. Another session stands in for the other node at the two moments that matter, holding the deletion gate
 * as a deletion or as an insert in flight would; the store's statements wait on that lock, so the order of events
 * is decided by the database, not by timing. Then two real nodes race.
 */
class PgDeletionGateTest {
    private static final long T = 1_700_000_000L;

    private Vertx vertx;
    private Pool admin;
    private String schema;
    private final List<PgEventStore> nodes = new ArrayList<>();
    private final Random random = new Random(23);
    private final TestAuthor alice = TestAuthor.random(random);
    private SqlConnection holder;
    private Transaction held;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        admin = TestDatabase.admin(vertx, 2);
        schema = TestDatabase.newSchema();
        nodes.add(TestDatabase.open(vertx, TestDatabase.config(schema)));
        nodes.add(TestDatabase.open(vertx, TestDatabase.config(schema)));
    }

    @AfterEach
    void stop() {
        if (held != null) {
            result(held.rollback().transform(ar -> holder.close()));
        }
        nodes.forEach(PgEventStore::close);
        TestDatabase.dropSchema(admin, schema);
        result(admin.close());
        result(vertx.close());
    }

    /** Begins a transaction of another session that holds the gate in {@code mode}. */
    private void holdGate(String mode) {
        holder = result(admin.getConnection());
        held = result(holder.begin());
        result(holder.query("LOCK TABLE " + schema + ".deletion_gate IN " + mode + " MODE").execute());
    }

    private void commitHolder() {
        result(held.commit().transform(ar -> holder.close()));
        held = null;
    }

    /** Polls pg_stat_activity, up to the deadline, until one of the nodes' sessions waits on a lock. */
    private void awaitBlocked() {
        long deadline = System.nanoTime() + Duration.ofSeconds(TestDatabase.TIMEOUT_SECONDS).toNanos();
        while (rows(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                + "AND wait_event_type = 'Lock'", "strata:" + schema).get(0).getLong(0) == 0) {
            assertTrue(System.nanoTime() < deadline, "no write waited for the gate");
        }
    }

    private long rowsWithId(Event e) {
        return rows(admin, "SELECT count(*) FROM " + schema + ".events WHERE id = $1",
                Buffer.buffer(Hex.decode(e.id()))).get(0).getLong(0);
    }

    private static List<String> ids(PgEventStore node) {
        List<String> all = new ArrayList<>();
        QueryCursor cursor = null;
        do {
            QueryPage page = await(node.query(Filter.ALL, cursor, 500, 500));
            page.events().stream().map(StoredEvent::id).forEach(all::add);
            cursor = page.next();
        } while (cursor != null);
        return all;
    }

    @Test
    void aWriteThatWaitsForADeletionSeesItsTombstone() {
        Event note = alice.sign(T, 1, "deleted while its write waited");
        Event profile = alice.sign(T, 0, "{}");
        // The deletion commits its tombstones while holding the gate, as the store's own deletion does.
        holdGate("EXCLUSIVE");
        result(holder.preparedQuery("INSERT INTO " + schema + ".deleted_events (id, pubkey) VALUES ($1, $2)")
                .execute(Tuple.of(Buffer.buffer(Hex.decode(note.id())), Buffer.buffer(Hex.decode(note.pubkey())))));
        result(holder.preparedQuery("INSERT INTO " + schema + ".deleted_addresses (replace_key, cutoff) "
                + "VALUES ($1, $2)").execute(Tuple.of(Buffer.buffer(EventRow.replaceKey(profile)), T)));
        CompletionStage<List<WriteResult>> regular = nodes.get(0).write(List.of(note));
        CompletionStage<List<WriteResult>> version = nodes.get(1).write(List.of(profile));
        awaitBlocked();
        assertFalse(regular.toCompletableFuture().isDone(), "the insert waits for the deletion");
        commitHolder();

        assertEquals(List.of(WriteResult.DELETED), await(regular));
        assertEquals(List.of(WriteResult.DELETED), await(version));
        assertEquals(List.of(), ids(nodes.get(0)));
    }

    @Test
    void aDeletionWaitsForAWriteInFlightAndDeletesIt() {
        Event note = alice.sign(T, 1, "written while its deletion waited");
        // An insert in flight: it holds the gate as the store's insert statement does, its row not yet committed.
        holdGate("ROW SHARE");
        result(holder.preparedQuery("INSERT INTO " + schema + ".events (id, pubkey, kind, created_at, json) "
                + "VALUES ($1, $2, $3, $4, $5)").execute(Tuple.of(Buffer.buffer(Hex.decode(note.id())),
                Buffer.buffer(Hex.decode(note.pubkey())), note.kind(), note.createdAt(), note.toJson())));
        Event deletion = alice.sign(T + 1, 5, List.of(List.of("e", note.id())), "");
        CompletionStage<List<WriteResult>> deleting = nodes.get(1).write(List.of(deletion));
        awaitBlocked();
        assertFalse(deleting.toCompletableFuture().isDone(), "the deletion waits for the insert");
        commitHolder();

        assertEquals(List.of(WriteResult.STORED), await(deleting));
        assertEquals(0, rowsWithId(note));
        assertEquals(List.of(deletion.id()), ids(nodes.get(0)));
        assertEquals(List.of(WriteResult.DELETED), await(nodes.get(0).write(List.of(note))));
    }

    @Test
    void racingNodesNeverLeaveADeletedEventVisible() throws Exception {
        List<TestAuthor> authors = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            authors.add(TestAuthor.random(random));
        }
        List<Event> targets = new ArrayList<>();
        List<Event> deletions = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            TestAuthor author = authors.get(i % authors.size());
            Event note = author.sign(T + i, 1, List.of(List.of("t", "race")), "note " + i);
            Event version = author.sign(T + i, 30000, List.of(List.of("d", "set " + i)), "version " + i);
            targets.add(note);
            targets.add(version);
            deletions.add(author.sign(T + i, 5, List.of(List.of("e", note.id()),
                    List.of("a", "30000:" + author.pubkey + ":set " + i)), "race " + i));
        }
        Collections.shuffle(targets, random);
        Collections.shuffle(deletions, random);

        ExecutorService executor = Executors.newFixedThreadPool(2);
        Map<Event, WriteResult> outcomes = new HashMap<>();
        try {
            CompletableFuture<Map<Event, WriteResult>> writing = CompletableFuture.supplyAsync(
                    () -> writeInChunks(nodes.get(0), targets, new Random(1)), executor);
            CompletableFuture<Map<Event, WriteResult>> deleting = CompletableFuture.supplyAsync(
                    () -> writeInChunks(nodes.get(1), deletions, new Random(2)), executor);
            outcomes.putAll(writing.get(TestDatabase.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            outcomes.putAll(deleting.get(TestDatabase.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } finally {
            executor.shutdownNow();
        }

        for (Event target : targets) {
            assertTrue(Set.of(WriteResult.STORED, WriteResult.DELETED).contains(outcomes.get(target)),
                    target + " " + outcomes.get(target));
        }
        deletions.forEach(d -> assertEquals(WriteResult.STORED, outcomes.get(d), d.toString()));
        for (PgEventStore node : nodes) {
            assertEquals(Set.copyOf(deletions.stream().map(Event::id).toList()), Set.copyOf(ids(node)),
                    "only the deletions are left");
            assertEquals(Collections.nCopies(targets.size(), WriteResult.DELETED), await(node.write(targets)));
        }
        assertEquals(0, rows(admin, "SELECT count(*) FROM " + schema + ".tags t WHERE NOT EXISTS (SELECT 1 FROM "
                + schema + ".events e WHERE e.id = t.event_id)").get(0).getLong(0), "no tag row outlives its event");
    }

    private static Map<Event, WriteResult> writeInChunks(PgEventStore node, List<Event> events, Random random) {
        Map<Event, WriteResult> out = new HashMap<>();
        for (int i = 0; i < events.size(); ) {
            List<Event> chunk = events.subList(i, Math.min(events.size(), i + 1 + random.nextInt(6)));
            List<WriteResult> results = await(node.write(chunk));
            for (int j = 0; j < chunk.size(); j++) {
                out.put(chunk.get(j), results.get(j));
            }
            i += chunk.size();
        }
        return out;
    }
}
