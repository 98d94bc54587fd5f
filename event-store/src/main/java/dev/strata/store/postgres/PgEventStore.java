package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.Hll;
import dev.strata.store.EventCount;
import dev.strata.store.EventStore;
import dev.strata.store.QueryCursor;
import dev.strata.store.QueryPage;
import dev.strata.store.StoredEvent;
import dev.strata.store.Visibility;
import dev.strata.store.WriteResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The PostgreSQL engine: events in one schema of a database that several relay nodes may share, reached through
 * Vert.x's reactive client, so no thread ever waits on the database.
 *
 * <p><b>Writes.</b> A write call is cut into transactions of at most {@link #MAX_BATCH} events. Each inserts all its
 * rows, with their tag rows, in one statement of arrays ({@code unnest}); a batch of regular events is that one
 * statement, committed on its own. A batch with replaceable or addressable events runs a short transaction whose
 * statements are pipelined on one connection: lock its keys, read their current versions, then (after deciding in
 * Java, see {@link WriteBatch}) delete the replaced versions, insert, commit. Results complete only once the commit
 * did; a statement that fails, a dropped connection or a restarted server fails the whole call instead, never
 * reporting an event stored that is not.
 *
 * <p><b>Why an advisory lock per key.</b> Replacing a version is read-decide-delete-insert; two nodes writing
 * versions of one key at once must not both see the same "current" version. A transaction advisory lock on the key
 * serializes exactly the writers of that key, including the very first version, when no row exists yet that
 * {@code SELECT ... FOR UPDATE} could lock, and it is released by commit or rollback, also when a node dies. The
 * alternative, {@code INSERT ... ON CONFLICT (replace_key) DO UPDATE ... WHERE newer}, would update the winning row
 * in place, which cannot report a repeated id apart from a stale version nor move the tag rows in the same
 * statement. The unique index on {@code replace_key} stays as the invariant underneath: should the locking ever be
 * wrong, the insert fails rather than leave two versions.
 *
 * <p><b>Queries.</b> One statement per page ({@link PageQuery}), on the replica when there is one. The page asks
 * for one row more than it returns to learn whether another page follows. PostgreSQL applies every field of the
 * filter itself, so the rows a page examined are, as far as this engine can count them, the rows it returned:
 * {@link QueryPage#scanned()} is that number. The work inside one statement is bounded by the statement timeout.
 *
 * <p><b>Saturation.</b> Each pool admits {@code poolSize + maxWaiting} operations; one more fails at once with a
 * {@link java.util.concurrent.RejectedExecutionException} whose message starts with {@code rate-limited:}. A broken
 * connection leaves the pool, which opens a new one on demand: the store recovers without being reopened.
 */
public final class PgEventStore implements EventStore {
    /** Most events in one transaction, as many as the ingest tier batches. */
    public static final int MAX_BATCH = 1024;
    /** Most events in one page, whatever the caller allows: a page is held in memory whole. */
    public static final int MAX_PAGE_EVENTS = 1000;
    /** {@link #diskSizeBytes()} answers from memory and measures again in the background when older than this. */
    private static final long DISK_SIZE_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PgConfig config;
    private final Statements sql;
    private final Pool primary;
    private final Pool replica;
    private final Admission writes;
    private final Admission reads;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> closedPools = new CompletableFuture<>();
    private final AtomicBoolean measuring = new AtomicBoolean();
    private volatile long diskSize;
    private volatile long diskSizeMeasuredAt;

    private PgEventStore(Vertx vertx, PgConfig config) {
        this.config = config;
        this.sql = new Statements(config.schema());
        this.primary = pool(vertx, config.url(), config);
        this.writes = new Admission(config.poolSize(), config.maxWaiting());
        if (config.replicaUrl() == null) {
            this.replica = primary;
            this.reads = writes;
        } else {
            this.replica = pool(vertx, config.replicaUrl(), config);
            this.reads = new Admission(config.poolSize(), config.maxWaiting());
        }
    }

    /**
     * Connects, creates or upgrades the schema (see {@link Migrations}) and measures the disk size once. Fails when
     * the database is unreachable or refuses the migration.
     */
    public static Future<PgEventStore> open(Vertx vertx, PgConfig config) {
        PgEventStore store = new PgEventStore(vertx, config);
        return Migrations.run(store.primary, config.schema())
                .compose(version -> store.measureDiskSize())
                .map(size -> store)
                .recover(failure -> store.closePools().transform(ar -> Future.failedFuture(failure)));
    }

    /** The connection settings of every connection of the store: also used by tests that inspect its plans. */
    static PgConnectOptions connectOptions(String url, PgConfig config) {
        PgConnectOptions options = PgConnectOptions.fromUri(url);
        Map<String, String> properties = new HashMap<>(options.getProperties());
        // Lets an operator find the relay's sessions in pg_stat_activity.
        properties.put("application_name", "strata:" + config.schema());
        properties.put("statement_timeout", Long.toString(config.statementTimeout().toMillis()));
        // A node that stalls inside a transaction must not hold key locks for long.
        properties.put("idle_in_transaction_session_timeout", Long.toString(config.statementTimeout().toMillis()));
        // Prepared statements are cached, and a generic plan of "kind = ANY($1)" cannot know whether the kinds
        // are rare (walk their index) or common (walk the time index): plan each execution with its values.
        properties.put("plan_cache_mode", "force_custom_plan");
        // Relay queries are many, small and stop at a LIMIT: parallel workers and JIT compilation cost more than
        // they save there, and take cores from the queries running beside them.
        properties.put("max_parallel_workers_per_gather", "0");
        properties.put("jit", "off");
        return options.setProperties(properties)
                .setCachePreparedStatements(true)
                .setPreparedStatementCacheMaxSize(1024)
                .setPreparedStatementCacheSqlLimit(16 * 1024);
    }

    private static Pool pool(Vertx vertx, String url, PgConfig config) {
        PoolOptions options = new PoolOptions()
                .setMaxSize(config.poolSize())
                // Admission bounds the waiting exactly; the pool counts connections being opened as waiters too,
                // so its own bound only backs that one up.
                .setMaxWaitQueueSize(config.poolSize() + config.maxWaiting())
                .setConnectionTimeout((int) config.statementTimeout().toMillis())
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
        return PgBuilder.pool().with(options).connectingTo(connectOptions(url, config)).using(vertx).build();
    }

    // ---- writing -------------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<List<WriteResult>> write(List<Event> events, List<String> jsons) {
        if (events.size() != jsons.size()) {
            throw new IllegalArgumentException("events and jsons differ in length");
        }
        if (events.isEmpty()) {
            return CompletableFuture.completedStage(List.of());
        }
        RuntimeException refused = writes.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        Future<List<WriteResult>> written;
        try {
            written = writeFrom(List.copyOf(events), List.copyOf(jsons), 0, new ArrayList<>(events.size()));
        } catch (RuntimeException e) {
            written = Future.failedFuture(e);
        }
        // Registered first, so the place is free again before the caller hears back.
        return written.andThen(ar -> writes.exit()).toCompletionStage();
    }

    /** The batches one after the other: a later one may depend on an earlier one (a duplicate, a newer version). */
    private Future<List<WriteResult>> writeFrom(List<Event> events, List<String> jsons, int from,
                                                List<WriteResult> done) {
        int to = Math.min(events.size(), from + MAX_BATCH);
        return writeBatch(new WriteBatch(events.subList(from, to), jsons.subList(from, to))).compose(results -> {
            done.addAll(results);
            return to == events.size() ? Future.succeededFuture(done) : writeFrom(events, jsons, to, done);
        });
    }

    private Future<List<WriteResult>> writeBatch(WriteBatch batch) {
        if (batch.isEmpty()) {
            return Future.succeededFuture(batch.results(Set.of()));
        }
        if (!batch.hasVersions()) {
            return primary.preparedQuery(sql.insert).execute(sql.insertParams(batch.inserts()))
                    .map(inserted -> batch.results(ids(inserted)));
        }
        return primary.getConnection().compose(conn -> {
            Future<List<WriteResult>> written = writeVersions(conn, batch);
            // A connection goes back to the pool only without an open transaction; a broken one the pool drops.
            return written.eventually(() -> written.succeeded()
                    ? conn.close()
                    : conn.query("ROLLBACK").execute().<Void>mapEmpty().eventually(conn::close));
        });
    }

    /**
     * One transaction in two round trips: BEGIN, lock and read are sent together; delete, insert and COMMIT too.
     * If any statement fails, PostgreSQL ignores the rest of the transaction and turns the COMMIT into a rollback,
     * and the failed statement fails the write.
     */
    private Future<List<WriteResult>> writeVersions(SqlConnection conn, WriteBatch batch) {
        Future<RowSet<Row>> begun = conn.query("BEGIN").execute();
        Future<RowSet<Row>> locked = conn.preparedQuery(sql.lockKeys).execute(Tuple.of(batch.lockKeys()));
        // A statement of its own after the lock: in READ COMMITTED it then reads what the previous holder committed.
        Future<RowSet<Row>> current = conn.preparedQuery(sql.currentVersions)
                .execute(Tuple.of(buffers(batch.replaceKeys())));
        return Future.all(begun, locked, current).compose(read -> {
            batch.decideVersions(versions(current.result()));
            List<Future<?>> steps = new ArrayList<>(3);
            if (!batch.deletes().isEmpty()) {
                steps.add(conn.preparedQuery(sql.delete).execute(Tuple.of(buffers(batch.deletes()))));
            }
            Future<RowSet<Row>> inserted = conn.preparedQuery(sql.insert).execute(sql.insertParams(batch.inserts()));
            steps.add(inserted);
            steps.add(conn.query("COMMIT").execute());
            return Future.all(steps).map(committed -> batch.results(ids(inserted.result())));
        });
    }

    private static Map<ByteBuffer, WriteBatch.Version> versions(RowSet<Row> rows) {
        Map<ByteBuffer, WriteBatch.Version> out = new HashMap<>();
        for (Row row : rows) {
            out.put(ByteBuffer.wrap(row.getBuffer(0).getBytes()),
                    new WriteBatch.Version(row.getBuffer(1).getBytes(), row.getLong(2)));
        }
        return out;
    }

    private static Set<ByteBuffer> ids(RowSet<Row> rows) {
        Set<ByteBuffer> out = new HashSet<>();
        for (Row row : rows) {
            out.add(ByteBuffer.wrap(row.getBuffer(0).getBytes()));
        }
        return out;
    }

    private static Buffer[] buffers(List<byte[]> values) {
        return values.stream().map(Buffer::buffer).toArray(Buffer[]::new);
    }

    // ---- reading -------------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned) {
        // A page must examine something, or its cursor could not move on.
        if (maxEvents < 1 || maxScanned < 1) {
            return CompletableFuture.failedStage(
                    new IllegalArgumentException("maxEvents and maxScanned must be positive"));
        }
        if (after != null && (after.createdAt() < 0 || after.id() == null || !Hex.isLowerHex(after.id(), 64))) {
            return CompletableFuture.failedStage(new IllegalArgumentException("not a query cursor: " + after));
        }
        if (filter.search() != null) {
            return search(filter, after, maxEvents, maxScanned);
        }
        int pageSize = Math.min(MAX_PAGE_EVENTS, Math.min(maxEvents, maxScanned));
        PageQuery page = PageQuery.of(config.schema(), filter, after, pageSize + 1);
        if (page == null) {
            return closed.get()
                    ? CompletableFuture.failedStage(new IllegalStateException("the event store is closed"))
                    : CompletableFuture.completedStage(new QueryPage(List.of(), null, 0));
        }
        RuntimeException refused = reads.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        return replica.preparedQuery(page.sql()).execute(page.params())
                .map(rows -> page(rows, pageSize))
                .andThen(ar -> reads.exit())
                .toCompletionStage();
    }

    /**
     * The first {@code pageSize} rows as a page, the look-ahead row telling whether there are more. A row repeating
     * the previous one's event (a merged tag walk finds an event once per wanted value it has) is skipped but
     * counted as scanned.
     */
    private static QueryPage page(RowSet<Row> rows, int pageSize) {
        List<StoredEvent> events = new ArrayList<>(Math.min(rows.size(), pageSize));
        int scanned = 0;
        String previous = null;
        for (Row row : rows) {
            if (scanned == pageSize) {
                StoredEvent last = events.get(events.size() - 1);
                return new QueryPage(events, new QueryCursor(last.createdAt(), last.id()), scanned);
            }
            scanned++;
            String id = Hex.encode(row.getBuffer(0).getBytes());
            if (!id.equals(previous)) {
                events.add(new StoredEvent(id, row.getLong(1), row.getString(2)));
                previous = id;
            }
        }
        return new QueryPage(events, null, scanned);
    }

    /**
     * NIP-50: one statement ranks the matches (at most {@code maxScanned} of them, or the search is refused) and
     * returns the page after the cursor, plus a look-ahead row. Each page ranks again, so its scanned count is the
     * number of matches.
     */
    private CompletionStage<QueryPage> search(Filter filter, QueryCursor after, int maxEvents, int maxScanned) {
        if (after != null && after.score() == null) {
            return CompletableFuture.failedStage(new IllegalArgumentException("not a search cursor: " + after));
        }
        int pageSize = Math.min(MAX_PAGE_EVENTS, maxEvents);
        SearchPageQuery page = SearchPageQuery.of(config.schema(), filter, after, pageSize + 1, maxScanned);
        if (page == null) {
            return closed.get()
                    ? CompletableFuture.failedStage(new IllegalStateException("the event store is closed"))
                    : CompletableFuture.completedStage(new QueryPage(List.of(), null, 0));
        }
        RuntimeException refused = reads.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        return replica.preparedQuery(page.sql()).execute(page.params())
                .compose(rows -> {
                    List<StoredEvent> events = new ArrayList<>();
                    long matches = 0;
                    Float lastScore = null;
                    QueryCursor next = null;
                    for (Row row : rows) {
                        matches = row.getLong(0);
                        if (row.getValue(1) == null) {
                            continue; // no event after the cursor: only the number of matches
                        }
                        if (events.size() == pageSize) {
                            StoredEvent last = events.get(events.size() - 1);
                            next = new QueryCursor(last.createdAt(), last.id(), lastScore);
                            break;
                        }
                        events.add(new StoredEvent(Hex.encode(row.getBuffer(1).getBytes()), row.getLong(2),
                                row.getString(3)));
                        lastScore = row.getFloat(4);
                    }
                    if (matches > maxScanned) {
                        return Future.failedFuture(new java.util.concurrent.RejectedExecutionException(
                                "blocked: the search matches more than " + maxScanned + " events; add words or "
                                        + "narrow it with authors, kinds, tags or a time window"));
                    }
                    return Future.succeededFuture(new QueryPage(events, next, matches));
                })
                .andThen(ar -> reads.exit())
                .toCompletionStage();
    }

    // ---- counting ------------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<EventCount> count(List<Filter> filters, int hllOffset, long maxScanned,
                                             Visibility visibility) {
        if (filters.stream().anyMatch(f -> f.search() != null)) {
            return CompletableFuture.failedStage(new IllegalArgumentException("a search filter cannot be counted"));
        }
        CountQuery count = CountQuery.of(config.schema(), filters, hllOffset, maxScanned, visibility);
        if (count == null) {
            return closed.get()
                    ? CompletableFuture.failedStage(new IllegalStateException("the event store is closed"))
                    : CompletableFuture.completedStage(new EventCount(0, hllOffset < 0 ? null
                            : new Hll(hllOffset).toHex()));
        }
        RuntimeException refused = reads.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        return replica.preparedQuery(count.sql()).execute(count.params())
                .compose(rows -> {
                    long events = 0;
                    Hll hll = hllOffset < 0 ? null : new Hll(hllOffset);
                    for (Row row : rows) {
                        int key = row.getInteger(0);
                        long value = row.getLong(1);
                        if (key == CountQuery.ROWS && value > maxScanned) {
                            return Future.failedFuture(new java.util.concurrent.RejectedExecutionException(
                                    "blocked: counting would examine more than " + maxScanned + " index entries; "
                                            + "narrow the filters with authors, kinds, tags or a time window"));
                        } else if (key == CountQuery.EVENTS) {
                            events = value;
                        } else if (key >= 0) {
                            hll.merge(key, (int) value);
                        }
                    }
                    return Future.succeededFuture(new EventCount(events, hll == null ? null : hll.toHex()));
                })
                .andThen(ar -> reads.exit())
                .toCompletionStage();
    }

    // ---- size and closing ----------------------------------------------------------------------------------------

    /**
     * The last measured {@code pg_total_relation_size} of the schema's tables (with their indexes and TOAST). The
     * caller may be an event loop, so this never waits for the database: a value older than ten seconds starts a
     * new measurement and is returned meanwhile.
     */
    @Override
    public long diskSizeBytes() {
        if (System.nanoTime() - diskSizeMeasuredAt > DISK_SIZE_MAX_AGE_NANOS && !closed.get()) {
            measureDiskSize();
        }
        return diskSize;
    }

    /** Measures the size now; one measurement at a time (a concurrent call gets the value it will replace). */
    Future<Long> measureDiskSize() {
        if (!measuring.compareAndSet(false, true)) {
            return Future.succeededFuture(diskSize);
        }
        return primary.preparedQuery(sql.diskSize).execute(Tuple.of(config.schema()))
                .map(rows -> {
                    diskSize = rows.iterator().next().getLong(0);
                    diskSizeMeasuredAt = System.nanoTime();
                    return diskSize;
                })
                .andThen(ar -> measuring.set(false));
    }

    /**
     * Refuses new work, lets the writes and queries in progress finish, then closes the connections. Waits for all
     * that when called off Vert.x threads; on a Vert.x thread, which must not block, it only starts it (see
     * {@link #closeAsync()}). Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync().toCompletionStage().toCompletableFuture();
        if (Context.isOnVertxThread()) {
            return;
        }
        long waitMillis = 3 * config.statementTimeout().toMillis() + 5_000;
        try {
            done.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // The pools are closed or closing either way; nothing more the caller could do.
        }
    }

    /** The asynchronous {@link #close()}: completes once the connections are closed. */
    public Future<Void> closeAsync() {
        if (closed.compareAndSet(false, true)) {
            CompletableFuture<Void> idle = CompletableFuture.allOf(writes.close(), reads.close());
            Future.fromCompletionStage(idle).compose(v -> closePools()).onComplete(ar -> closedPools.complete(null));
        }
        return Future.fromCompletionStage(closedPools);
    }

    private Future<Void> closePools() {
        return replica == primary ? primary.close() : Future.join(primary.close(), replica.close()).mapEmpty();
    }
}
