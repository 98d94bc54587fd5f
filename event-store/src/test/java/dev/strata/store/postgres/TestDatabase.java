package dev.strata.store.postgres;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The PostgreSQL the tests run against ({@link TestPostgres}). Every store a test opens lives in a schema of its own
 * with a random name, dropped when the test ends. A database that cannot be reached fails the test (it never
 * skips), saying how to provide one.
 */
final class TestDatabase {
    static final String URL = TestPostgres.url();
    static final long TIMEOUT_SECONDS = 60;

    private static final Random NAMES = new Random();

    private TestDatabase() {
    }

    static String newSchema() {
        synchronized (NAMES) {
            return "strata_test_" + Long.toHexString(NAMES.nextLong() & Long.MAX_VALUE).toLowerCase(Locale.ROOT);
        }
    }

    /** Small pools (other tests and engineers share the server), generous waiting, a timeout no test reaches. */
    static PgConfig config(String schema) {
        return new PgConfig(URL, 4, Duration.ofSeconds(30), 64, schema, null);
    }

    static PgEventStore open(Vertx vertx, PgConfig config) {
        try {
            return PgEventStore.open(vertx, config).toCompletionStage().toCompletableFuture()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw unreachable(e instanceof ExecutionException ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A pool of plain connections for what the tests do to the database behind the store's back. */
    static Pool admin(Vertx vertx, int size) {
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(size))
                .connectingTo(PgConnectOptions.fromUri(URL)).using(vertx).build();
    }

    static void dropSchema(Pool admin, String schema) {
        result(admin.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
    }

    static List<Row> rows(Pool pool, String sql, Object... params) {
        return rows(pool, sql, Tuple.from(params));
    }

    static List<Row> rows(Pool pool, String sql, Tuple params) {
        RowSet<Row> rows = result(pool.preparedQuery(sql).execute(params));
        List<Row> out = new java.util.ArrayList<>();
        rows.forEach(out::add);
        return out;
    }

    static <T> T result(Future<T> future) {
        return await(future.toCompletionStage());
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("did not complete normally", e);
        }
    }

    /** The cause of a stage that must fail within the timeout. */
    static Throwable failure(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("did not fail in time", e);
        }
        throw new AssertionError("completed normally, but should have failed");
    }

    private static AssertionError unreachable(Throwable cause) {
        return new AssertionError("cannot open a PostgreSQL event store at " + PgConfig.redact(URL) + ": " + cause
                + "\n" + TestPostgres.howToProvide(), cause);
    }
}
