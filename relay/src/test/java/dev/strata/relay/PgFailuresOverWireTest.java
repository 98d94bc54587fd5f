package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when PostgreSQL fails under the relay: connections killed mid-write answer {@code error:},
 * never a false OK, and the relay carries on without a restart; a pool that cannot keep up refuses at once with
 * {@code rate-limited:} instead of stalling. The store's own side of both is {@code PgFailureTest}.
 */
class PgFailuresOverWireTest extends OverTheWire {
    private static final int AUTHOR = 71;
    private static final int POOL = 2;
    private static final int MAX_WAITING = 2;

    private Pool admin;
    private SqlConnection locker;
    private Transaction lock;

    @BeforeAll
    static void startRelay() throws Exception {
        // No background purge: it would take a connection at a moment of its own choosing.
        start(TestRelay.Engine.POSTGRESQL, Map.of("store.pg_pool_size", String.valueOf(POOL),
                "store.pg_max_waiting", String.valueOf(MAX_WAITING), "store.expiry_purge_interval_seconds", "86400"));
    }

    @AfterEach
    void unlock() throws Exception {
        if (lock != null) {
            await(lock.rollback().eventually(() -> locker.close()));
            lock = null;
        }
        if (admin != null) {
            await(admin.close());
            admin = null;
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(RelayClient.WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private String schema() {
        return relay.config.getString("store.pg_schema");
    }

    /** Holds {@code mode} on the relay's events table from another session until the test ends. */
    private void lockEvents(String mode) throws Exception {
        admin = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
                .connectingTo(PgConnectOptions.fromUri(TestRelay.pgUrl())).using(clients).build();
        locker = await(admin.getConnection());
        lock = await(locker.begin());
        await(locker.query("LOCK TABLE " + schema() + ".events IN " + mode + " MODE").execute());
    }

    /** Waits, polling pg_stat_activity until the deadline, for this many of the relay's sessions to wait on a lock. */
    private void awaitRelaySessionsBlocked(int sessions) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
        while (true) {
            long blocked = await(admin.preparedQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    + "$1 AND wait_event_type = 'Lock'").execute(Tuple.of("strata:" + schema())))
                    .iterator().next().getLong(0);
            if (blocked >= sessions) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "only " + blocked + " of the relay's sessions wait on the lock");
        }
    }

    @Test
    void killedConnectionsAnswerErrorNeverAFalseOkAndTheRelayCarriesOn() throws Exception {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(event(AUTHOR, now() - i, 1, List.of(List.of("t", "killed")), "killed mid-write " + i));
        }
        try (RelayClient c = connect()) {
            lockEvents("SHARE"); // inserts wait, reads do not
            for (Event e : events) {
                c.send("[\"EVENT\"," + e.toJson() + "]");
            }
            awaitRelaySessionsBlocked(1);
            // Only the sessions inside a write: an idle one killed too is found dead only when next used, and the
            // reads below could draw it (they would get "error: ... try again", which is right but not this test).
            long killed = await(admin.preparedQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE application_name = $1 AND wait_event_type = 'Lock'").execute(Tuple.of("strata:"
                    + schema()))).iterator().next().getLong(0);
            assertTrue(killed >= 1, "killed " + killed);
            unlock(); // what was not in the killed write may now be stored

            Map<String, RelayMessage.Ok> answers = new HashMap<>();
            while (answers.size() < events.size()) {
                RelayMessage.Ok ok = c.next(RelayMessage.Ok.class);
                answers.put(ok.eventId(), ok);
            }
            Set<String> acknowledged = new HashSet<>();
            List<Event> refused = new ArrayList<>();
            for (Event e : events) {
                RelayMessage.Ok ok = answers.get(e.id());
                if (ok.accepted()) {
                    acknowledged.add(e.id());
                } else {
                    assertTrue(ok.message().startsWith("error: "), ok.toString());
                    refused.add(e);
                }
            }
            assertFalse(refused.isEmpty(), "the killed write answered nothing but OK true");
            assertTrue(new HashSet<>(stored("{\"#t\":[\"killed\"]}")).containsAll(acknowledged),
                    "every event answered OK true is stored");
            // The pool replaced its dead connections: the refused events are taken on resend.
            for (Event e : refused) {
                c.publishAccepted(e);
            }
            assertEquals(events.size(), stored("{\"#t\":[\"killed\"]}").size());
        }
    }

    @Test
    void aPoolThatCannotKeepUpRefusesAtOnceAsRateLimited() throws Exception {
        Event e = event(AUTHOR, now(), 1, List.of(List.of("t", "saturated")), "to be read");
        try (RelayClient c = connect()) {
            c.publishAccepted(e);
            lockEvents("ACCESS EXCLUSIVE"); // reads wait too: each REQ holds a connection, or waits for one
            int reqs = POOL + MAX_WAITING + 2;
            for (int i = 0; i < reqs; i++) {
                c.send("[\"REQ\",\"r" + i + "\",{\"#t\":[\"saturated\"]}]");
            }
            // Past the pool and its waiting line, the REQs are refused now, while the others still wait.
            for (int i = 0; i < reqs - POOL - MAX_WAITING; i++) {
                RelayMessage.Closed closed = c.next(RelayMessage.Closed.class);
                assertTrue(closed.message().startsWith("rate-limited: "), closed.toString());
            }
            unlock();
            int answered = 0;
            while (answered < POOL + MAX_WAITING) {
                RelayMessage m = c.next();
                if (m instanceof RelayMessage.Eose) {
                    answered++;
                } else {
                    RelayMessage.EventMatch match = (RelayMessage.EventMatch) m;
                    assertEquals(e.toJson(), match.eventJson());
                }
            }
        }
    }
}
