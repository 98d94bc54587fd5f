package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import dev.strata.model.Address;
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
 * <p><b>Deletions.</b> A NIP-09 deletion request or NIP-62 request to vanish is stored in a transaction of its
 * own, with its tombstones (and a deletion's targets), while it holds the deletion gate exclusively. Its deletes and
 * the insert of its target must not pass each other unseen (in READ COMMITTED, an insert whose snapshot predates the
 * tombstone would store the target after the delete found nothing), and the tables give no row to lock for an event
 * not stored yet. The gate is the one lock both sides take: every insert statement holds it in a mode that only
 * the deletion's conflicts with, from before its snapshot, so a deletion waits for the inserts in flight and later
 * inserts wait for the deletion and then see its tombstones. Readers never touch it. The price is that writes pause
 * while a deletion runs (a few milliseconds). A request to vanish removes the author's events after that commit, in
 * chunks, each its own transaction; its tombstone already refuses what it covers, so those need no gate.
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
    /** Events a request to vanish removes per statement, so that no statement runs long or holds many locks. */
    static final int VANISH_CHUNK = 1000;
    /** Unfinished requests to vanish a purge takes up, at most. */
    private static final int RESUMED_PER_PURGE = 16;
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

    /**
     * The batches one after the other: a later one may depend on an earlier one (a duplicate, a newer version, a
     * deletion). A deletion request or request to vanish is a batch of its own.
     */
    private Future<List<WriteResult>> writeFrom(List<Event> events, List<String> jsons, int from,
                                                List<WriteResult> done) {
        if (from == events.size()) {
            return Future.succeededFuture(done);
        }
        boolean request = EventRow.isRequest(events.get(from));
        int end = from + 1;
        while (!request && end < events.size() && end - from < MAX_BATCH && !EventRow.isRequest(events.get(end))) {
            end++;
        }
        int to = end;
        Future<List<WriteResult>> batch = request
                ? writeRequest(events.get(from), jsons.get(from))
                : writeBatch(new WriteBatch(events.subList(from, to), jsons.subList(from, to)));
        return batch.compose(results -> {
            done.addAll(results);
            return writeFrom(events, jsons, to, done);
        });
    }

    private Future<List<WriteResult>> writeBatch(WriteBatch batch) {
        if (batch.isEmpty()) {
            return Future.succeededFuture(batch.results(Map.of()));
        }
        if (!batch.hasVersions()) {
            return primary.preparedQuery(sql.insert).execute(sql.insertParams(batch.inserts()))
                    .map(inserted -> batch.results(outcomes(inserted)));
        }
        return inTransaction(conn -> writeVersions(conn, batch));
    }

    /** Runs {@code work}, which begins a transaction, on a connection of its own. */
    private Future<List<WriteResult>> inTransaction(Function<SqlConnection, Future<List<WriteResult>>> work) {
        return primary.getConnection().compose(conn -> {
            Future<List<WriteResult>> written = work.apply(conn);
            // A connection goes back to the pool only without an open transaction; a broken one the pool drops.
            return written.eventually(() -> written.succeeded()
                    ? conn.close()
                    : conn.query("ROLLBACK").execute().<Void>mapEmpty().eventually(conn::close));
        });
    }

    /**
     * One transaction in two round trips: BEGIN, the locks and the reads are sent together; delete, insert and
     * COMMIT too. If any statement fails, PostgreSQL ignores the rest of the transaction and turns the COMMIT into a
     * rollback, and the failed statement fails the write. The gate is taken first, so no deletion can commit between
     * the reads and the insert (and in the same order as by a deletion, so the two never deadlock).
     */
    private Future<List<WriteResult>> writeVersions(SqlConnection conn, WriteBatch batch) {
        Future<RowSet<Row>> begun = conn.query("BEGIN").execute();
        Future<RowSet<Row>> gated = conn.query(sql.openGate).execute();
        Future<RowSet<Row>> locked = conn.preparedQuery(sql.lockKeys).execute(Tuple.of(batch.lockKeys()));
        // Statements of their own after the lock: in READ COMMITTED they then read what the previous holder committed.
        Buffer[] keys = buffers(batch.replaceKeys());
        List<EventRow> versions = batch.versions();
        Buffer[] ids = versions.stream().map(r -> Buffer.buffer(r.id())).toArray(Buffer[]::new);
        Buffer[] pubkeys = versions.stream().map(r -> Buffer.buffer(r.pubkey())).toArray(Buffer[]::new);
        Future<RowSet<Row>> current = conn.preparedQuery(sql.currentVersions).execute(Tuple.of(keys));
        Future<RowSet<Row>> addresses = conn.preparedQuery(sql.addressCutoffs).execute(Tuple.of(keys));
        Future<RowSet<Row>> deleted = conn.preparedQuery(sql.deletedVersions)
                .execute(Tuple.from(new Object[] {ids, pubkeys}));
        Future<RowSet<Row>> vanished = conn.preparedQuery(sql.vanishCutoffs).execute(Tuple.of(pubkeys));
        return Future.all(List.of(begun, gated, locked, current, addresses, deleted, vanished)).compose(read -> {
            batch.decideVersions(versions(current.result()), new WriteBatch.Tombstones(cutoffs(addresses.result()),
                    ids(deleted.result()), cutoffs(vanished.result())), nowSeconds());
            List<Future<?>> steps = new ArrayList<>(3);
            if (!batch.deletes().isEmpty()) {
                steps.add(conn.preparedQuery(sql.delete).execute(Tuple.of(buffers(batch.deletes()))));
            }
            Future<RowSet<Row>> inserted = conn.preparedQuery(sql.insert).execute(sql.insertParams(batch.inserts()));
            steps.add(inserted);
            steps.add(conn.query("COMMIT").execute());
            return Future.all(steps).map(committed -> batch.results(outcomes(inserted.result())));
        });
    }

    /**
     * A NIP-09 deletion request or NIP-62 request to vanish, with its tombstones, in one transaction that holds the
     * gate exclusively: every write in flight has committed before it begins (so its deletes see them), and every
     * write after it sees its tombstones. Writes wait for it, so it is kept short: a deletion's few targets go in it,
     * a request to vanish's removals (any number of events) follow in chunks. A request that is itself refused has
     * no effect, nor has a duplicate, except that a request to vanish sent again finishes its removals.
     */
    private Future<List<WriteResult>> writeRequest(Event request, String json) {
        Future<List<WriteResult>> written = storeRequest(request, json);
        if (request.kind() != EventRow.VANISH) {
            return written;
        }
        return written.compose(results -> results.get(0) == WriteResult.STORED
                || results.get(0) == WriteResult.DUPLICATE
                ? finishVanish(Buffer.buffer(Hex.decode(request.pubkey()))).map(results)
                : Future.succeededFuture(results));
    }

    private Future<List<WriteResult>> storeRequest(Event request, String json) {
        WriteBatch batch = new WriteBatch(List.of(request), List.of(json));
        return inTransaction(conn -> {
            Future<RowSet<Row>> begun = conn.query("BEGIN").execute();
            Future<RowSet<Row>> gated = conn.query(sql.closeGate).execute();
            Future<RowSet<Row>> inserted = conn.preparedQuery(sql.insert).execute(sql.insertParams(batch.inserts()));
            return Future.all(begun, gated, inserted).compose(written -> {
                List<WriteResult> results = batch.results(outcomes(inserted.result()));
                List<Future<?>> steps = new ArrayList<>();
                if (results.get(0) == WriteResult.STORED) {
                    steps.addAll(request.kind() == EventRow.DELETION ? deletion(conn, request) : vanish(conn, request));
                }
                steps.add(conn.query("COMMIT").execute());
                return Future.all(steps).map(committed -> results);
            });
        });
    }

    /** NIP-09: the request's {@code e} targets and the addresses of its {@code a} tags that are its author's. */
    private List<Future<?>> deletion(SqlConnection conn, Event request) {
        Set<ByteBuffer> ids = new LinkedHashSet<>();
        // Distinct: ON CONFLICT DO UPDATE may not touch one row twice in a statement.
        Set<ByteBuffer> addresses = new LinkedHashSet<>();
        for (List<String> tag : request.tags()) {
            if (tag.size() < 2) {
                continue;
            }
            if (tag.get(0).equals("e") && Hex.isLowerHex(tag.get(1), 64)) {
                ids.add(ByteBuffer.wrap(Hex.decode(tag.get(1))));
            } else if (tag.get(0).equals("a")) {
                Address address = Address.parse(tag.get(1));
                if (address != null && address.pubkey().equals(request.pubkey())) {
                    addresses.add(ByteBuffer.wrap(EventRow.replaceKey(address.pubkey(), address.kind(), address.d())));
                }
            }
        }
        Buffer author = Buffer.buffer(Hex.decode(request.pubkey()));
        List<Future<?>> steps = new ArrayList<>(2);
        if (!ids.isEmpty()) {
            steps.add(conn.preparedQuery(sql.deleteIds).execute(Tuple.of(arrays(ids), author)));
        }
        if (!addresses.isEmpty()) {
            steps.add(conn.preparedQuery(sql.deleteAddresses)
                    .execute(Tuple.of(arrays(addresses), request.createdAt())));
        }
        return steps;
    }

    /** NIP-62: the tombstone, and the mark of the removals {@link #finishVanish} does after the commit. */
    private List<Future<?>> vanish(SqlConnection conn, Event request) {
        Buffer author = Buffer.buffer(Hex.decode(request.pubkey()));
        long cutoff = request.createdAt();
        return List.of(
                conn.preparedQuery(sql.rememberVanish).execute(Tuple.of(author, cutoff)),
                conn.preparedQuery(sql.markVanishing).execute(Tuple.of(author, cutoff)));
    }

    /**
     * NIP-62: removes, {@link #VANISH_CHUNK} per statement, what the author's marked request to vanish covers: their
     * events up to the cutoff except requests to vanish, then the gift wraps up to then that p-tag them; then drops
     * the mark. Its tombstone is committed, so nothing it covers can be stored meanwhile, and every statement is a
     * transaction of its own: a node that dies half-way leaves the mark for {@link #purge} (of any node) to finish.
     */
    private Future<Void> finishVanish(Buffer author) {
        return primary.preparedQuery(sql.vanishingCutoff).execute(Tuple.of(author)).compose(rows -> {
            if (rows.size() == 0) {
                return Future.succeededFuture();
            }
            long cutoff = rows.iterator().next().getLong(0);
            Buffer taggedAs = Buffer.buffer(EventRow.tagValue(Hex.encode(author.getBytes())));
            return removeInChunks(sql.vanishAuthor, Tuple.of(author, cutoff, VANISH_CHUNK))
                    .compose(v -> removeInChunks(sql.vanishGiftWraps, Tuple.of(taggedAs, cutoff, VANISH_CHUNK)))
                    .compose(v -> primary.preparedQuery(sql.unmarkVanishing).execute(Tuple.of(author, cutoff)))
                    .mapEmpty();
        });
    }

    private Future<Void> removeInChunks(String statement, Tuple params) {
        return primary.preparedQuery(statement).execute(params).compose(rows -> rows.iterator().next().getInteger(0)
                < VANISH_CHUNK ? Future.succeededFuture() : removeInChunks(statement, params));
    }

    private static Map<ByteBuffer, WriteBatch.Version> versions(RowSet<Row> rows) {
        Map<ByteBuffer, WriteBatch.Version> out = new HashMap<>();
        for (Row row : rows) {
            Long expiresAt = row.getLong(3);
            out.put(ByteBuffer.wrap(row.getBuffer(0).getBytes()), new WriteBatch.Version(row.getBuffer(1).getBytes(),
                    row.getLong(2), expiresAt == null ? Long.MAX_VALUE : expiresAt));
        }
        return out;
    }

    private static Map<ByteBuffer, Long> cutoffs(RowSet<Row> rows) {
        Map<ByteBuffer, Long> out = new HashMap<>();
        for (Row row : rows) {
            out.put(ByteBuffer.wrap(row.getBuffer(0).getBytes()), row.getLong(1));
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

    /** What the insert said of each id it stored or refused; the gate's row-less branch names none. */
    private static Map<ByteBuffer, Character> outcomes(RowSet<Row> rows) {
        Map<ByteBuffer, Character> out = new HashMap<>();
        for (Row row : rows) {
            Buffer id = row.getBuffer(0);
            if (id != null) {
                out.put(ByteBuffer.wrap(id.getBytes()), row.getString(1).charAt(0));
            }
        }
        return out;
    }

    private static Buffer[] arrays(Set<ByteBuffer> values) {
        return values.stream().map(b -> Buffer.buffer(b.array())).toArray(Buffer[]::new);
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    /** Read from the primary: a replica may not have a request to vanish that was just acknowledged. */
    @Override
    public CompletionStage<Map<String, Long>> vanishCutoffs(Set<String> pubkeys) {
        if (pubkeys.isEmpty()) {
            return answerWithoutReading(Map.of());
        }
        RuntimeException refused = writes.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        Buffer[] keys = pubkeys.stream().map(p -> Buffer.buffer(Hex.decode(p))).toArray(Buffer[]::new);
        return primary.preparedQuery(sql.vanishCutoffs).execute(Tuple.of(keys))
                .map(rows -> {
                    Map<String, Long> cutoffs = new HashMap<>();
                    for (Row row : rows) {
                        cutoffs.put(Hex.encode(row.getBuffer(0).getBytes()), row.getLong(1));
                    }
                    return cutoffs;
                })
                .andThen(ar -> writes.exit())
                .toCompletionStage();
    }

    // ---- background removal --------------------------------------------------------------------------------------

    /** Expired events, then the requests to vanish whose removal a node left unfinished ({@link #finishVanish}). */
    @Override
    public CompletionStage<Integer> purge(int maxEvents) {
        if (maxEvents < 1) {
            return CompletableFuture.failedStage(new IllegalArgumentException("maxEvents must be positive"));
        }
        RuntimeException refused = writes.tryEnter();
        if (refused != null) {
            return CompletableFuture.failedStage(refused);
        }
        Future<Integer> purged;
        try {
            purged = primary.preparedQuery(sql.purgeExpired).execute(Tuple.of(nowSeconds(), maxEvents))
                    .map(rows -> rows.iterator().next().getInteger(0))
                    .compose(n -> primary.preparedQuery(sql.unfinishedVanishes).execute(Tuple.of(RESUMED_PER_PURGE))
                            .compose(rows -> {
                                Future<Void> chain = Future.succeededFuture();
                                for (Row row : rows) {
                                    Buffer author = row.getBuffer(0);
                                    chain = chain.compose(v -> finishVanish(author));
                                }
                                return chain;
                            })
                            .map(n));
        } catch (RuntimeException e) {
            purged = Future.failedFuture(e);
        }
        return purged.andThen(ar -> writes.exit()).toCompletionStage();
    }

    private static Buffer[] buffers(List<byte[]> values) {
        return values.stream().map(Buffer::buffer).toArray(Buffer[]::new);
    }

    // ---- reading -------------------------------------------------------------------------------------------------

    /**
     * Half the primary's pool: each write holds a connection while its batches commit, and the other half is left
     * to queries and counts when they share the primary.
     */
    @Override
    public int writeConcurrency() {
        return Math.max(1, config.poolSize() / 2);
    }

    @Override
    public CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned,
                                            long maxBytes) {
        // A page must examine something, or its cursor could not move on.
        if (maxEvents < 1 || maxScanned < 1 || maxBytes < 1) {
            return CompletableFuture.failedStage(
                    new IllegalArgumentException("maxEvents, maxScanned and maxBytes must be positive"));
        }
        if (after != null && (after.createdAt() < 0 || after.id() == null || !Hex.isLowerHex(after.id(), 64))) {
            return CompletableFuture.failedStage(new IllegalArgumentException("not a query cursor: " + after));
        }
        if (filter.search() != null) {
            return search(filter, after, maxEvents, maxScanned, maxBytes);
        }
        int pageSize = Math.min(MAX_PAGE_EVENTS, Math.min(maxEvents, maxScanned));
        PageQuery page = PageQuery.of(config.schema(), filter, after, pageSize + 1, maxBytes);
        if (page == null) {
            return answerWithoutReading(new QueryPage(List.of(), null, 0));
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
     * The first {@code pageSize} rows as a page, the look-ahead row telling whether there are more; the page ends
     * early at the first row without its JSON (past the page's bytes, see {@link PageQuery#of}). A row repeating
     * the previous one's event (a merged tag walk finds an event once per wanted value it has) is skipped but
     * counted as scanned.
     */
    private static QueryPage page(RowSet<Row> rows, int pageSize) {
        List<StoredEvent> events = new ArrayList<>(Math.min(rows.size(), pageSize));
        int scanned = 0;
        String previous = null;
        for (Row row : rows) {
            if (scanned == pageSize || row.getValue(2) == null) {
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
    private CompletionStage<QueryPage> search(Filter filter, QueryCursor after, int maxEvents, int maxScanned,
                                              long maxBytes) {
        if (after != null && after.score() == null) {
            return CompletableFuture.failedStage(new IllegalArgumentException("not a search cursor: " + after));
        }
        int pageSize = Math.min(MAX_PAGE_EVENTS, maxEvents);
        SearchPageQuery page = SearchPageQuery.of(config.schema(), filter, after, pageSize + 1, maxScanned,
                maxBytes);
        if (page == null) {
            return answerWithoutReading(new QueryPage(List.of(), null, 0));
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
                        if (events.size() == pageSize || row.getValue(3) == null) {
                            // the look-ahead row, or the first past the page's bytes
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

    /** The answer to a filter that can match nothing, which needs no database: unless the store is closed. */
    private <T> CompletionStage<T> answerWithoutReading(T nothing) {
        return closed.get()
                ? CompletableFuture.failedStage(new IllegalStateException("the event store is closed"))
                : CompletableFuture.completedStage(nothing);
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
            return answerWithoutReading(new EventCount(0, hllOffset < 0 ? null : new Hll(hllOffset).toHex()));
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
