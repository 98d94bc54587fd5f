package dev.strata.store.postgres;

import static dev.strata.store.postgres.TestDatabase.await;
import static dev.strata.store.postgres.TestDatabase.failure;
import static dev.strata.store.postgres.TestDatabase.result;
import static dev.strata.store.postgres.TestDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.store.QueryPage;
import dev.strata.store.StoredEvent;
import dev.strata.store.WriteResult;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;

/**
 * What a store does when the database goes wrong under it: connections killed mid-write, and more work than the
 * pool can take. The store's statements are held up by a lock another session takes, so the moments of the test
 * are decided by the database, not by timing.
 */
class PgFailureTest {
    private static final long T = 1_700_000_000L;

    private Vertx vertx;
    private Pool admin;
    private String schema;
    private final List<PgEventStore> stores = new ArrayList<>();
    private final Random random = new Random(17);
    private final TestAuthor alice = TestAuthor.random(random);
    private SqlConnection locker;
    private Transaction lock;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        admin = TestDatabase.admin(vertx, 2);
        schema = TestDatabase.newSchema();
    }

    @AfterEach
    void stop() {
        unlock();
        stores.forEach(PgEventStore::close);
        TestDatabase.dropSchema(admin, schema);
        result(admin.close());
        result(vertx.close());
    }

    private PgEventStore open(int poolSize, int maxWaiting) {
        PgConfig config = new PgConfig(TestDatabase.URL, poolSize, Duration.ofSeconds(30), maxWaiting, schema, null);
        PgEventStore store = TestDatabase.open(vertx, config);
        stores.add(store);
        return store;
    }

    private List<Event> notes(String prefix, int count) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(alice.sign(T + i, 1, List.of(List.of("t", prefix)), prefix + " " + i));
        }
        return out;
    }

    /** Holds {@code mode} on the events table, in a transaction of another session, until {@link #unlock()}. */
    private void lockEvents(String mode) {
        locker = result(admin.getConnection());
        lock = result(locker.begin());
        result(locker.query("LOCK TABLE " + schema + ".events IN " + mode + " MODE").execute());
    }

    private void unlock() {
        if (lock != null) {
            result(lock.rollback().transform(ar -> locker.close()));
            lock = null;
        }
    }

    /** Waits, by polling pg_stat_activity up to the deadline, until this many of the store's sessions wait on a lock. */
    private void awaitBlocked(int sessions) {
        long deadline = System.nanoTime() + Duration.ofSeconds(TestDatabase.TIMEOUT_SECONDS).toNanos();
        while (true) {
            long blocked = rows(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                    + "AND wait_event_type = 'Lock'", "strata:" + schema).get(0).getLong(0);
            if (blocked >= sessions) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "only " + blocked + " of " + sessions + " sessions blocked");
        }
    }

    @Test
    void killedConnectionsFailTheWritesInFlightAndThePoolRecovers() {
        PgEventStore store = open(4, 16);
        // Warm the pool with concurrent writes, so that it holds idle connections: they are killed too, and must
        // not be handed out dead afterwards.
        List<Event> warm = notes("warm", 8);
        List<CompletionStage<List<WriteResult>>> warming = new ArrayList<>();
        for (int i = 0; i < 8; i += 2) {
            warming.add(store.write(warm.subList(i, i + 2)));
        }
        warming.forEach(w -> assertEquals(List.of(WriteResult.STORED, WriteResult.STORED), await(w)));

        List<Event> regular = notes("regular", 20);
        List<Event> versions = List.of(alice.sign(T, 0, "profile"), alice.sign(T, 30000, List.of(List.of("d", "x")),
                "set"));
        lockEvents("SHARE");
        List<CompletionStage<List<WriteResult>>> inFlight = new ArrayList<>();
        inFlight.add(store.write(regular.subList(0, 10)));
        inFlight.add(store.write(regular.subList(10, 20)));
        inFlight.add(store.write(versions));
        awaitBlocked(3);

        long killed = rows(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                + "WHERE application_name = $1", "strata:" + schema).get(0).getLong(0);
        assertTrue(killed >= 3, "killed " + killed);
        for (CompletionStage<List<WriteResult>> write : inFlight) {
            Throwable failed = failure(write);
            assertFalse(failed instanceof RejectedExecutionException, failed.toString());
        }
        unlock();

        // Nothing of the failed writes was committed: never a false success, nor a half-done one.
        assertEquals(8, await(store.query(Filter.ALL, null, 100, 100)).events().size());
        // The same store, without reopening, takes them now.
        List<Event> all = new ArrayList<>(regular);
        all.addAll(versions);
        assertEquals(Collections.nCopies(all.size(), WriteResult.STORED), await(store.write(all)));
        assertEquals(Collections.nCopies(all.size(), WriteResult.DUPLICATE), await(store.write(all)));
        assertEquals(30, await(store.query(Filter.ALL, null, 100, 100)).events().size());
    }

    @Test
    void aQueryOnAKilledConnectionFailsAndTheNextOneWorks() {
        PgEventStore store = open(2, 4);
        await(store.write(notes("q", 3)));
        lockEvents("ACCESS EXCLUSIVE");
        CompletionStage<QueryPage> query = store.query(Filter.ALL, null, 10, 10);
        awaitBlocked(1);
        rows(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                "strata:" + schema);
        failure(query);
        unlock();
        assertEquals(3, await(store.query(Filter.ALL, null, 10, 10)).events().size());
    }

    @Test
    void aBurstPastThePoolAndItsQueueIsRefusedAtOnce() {
        PgEventStore store = open(2, 2);
        await(store.write(notes("before", 2)));
        lockEvents("ACCESS EXCLUSIVE");

        // Two run (blocked by the lock), two wait for a connection: the bound is full.
        List<CompletionStage<?>> admitted = List.of(
                store.write(notes("a", 5)), store.query(Filter.ALL, null, 10, 10),
                store.write(notes("b", 5)), store.query(Filter.ALL, null, 10, 10));
        awaitBlocked(2);
        List<CompletionStage<?>> burst = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            burst.add(i % 2 == 0 ? store.write(notes("c" + i, 1)) : store.query(Filter.ALL, null, 10, 10));
        }
        for (CompletionStage<?> refused : burst) {
            // Refused before the call returned, not after waiting.
            assertTrue(refused.toCompletableFuture().isCompletedExceptionally(), "refused at once");
            Throwable cause = failure(refused);
            assertInstanceOf(RejectedExecutionException.class, cause);
            assertTrue(cause.getMessage().startsWith("rate-limited:"), cause.getMessage());
        }
        admitted.forEach(stage -> assertFalse(stage.toCompletableFuture().isDone(), "still waiting on the lock"));

        unlock();
        admitted.forEach(TestDatabase::await);
        List<String> contents = TestDatabase.await(store.query(Filter.ALL, null, 100, 100)).events().stream()
                .map(StoredEvent::json).toList();
        assertEquals(12, contents.size(), "before, a and b, none of the refused");
        assertEquals(Set.of(WriteResult.STORED), Set.copyOf(await(store.write(notes("after", 3)))));
    }
}
