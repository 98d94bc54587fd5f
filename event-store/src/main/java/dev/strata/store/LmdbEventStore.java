package dev.strata.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.strata.model.Event;
import dev.strata.model.Filter;

/**
 * The embedded engine: two LMDB environments in one directory (the events, synced at every commit, and their
 * indexes, derived and rebuilt when a machine crash may have torn them: see {@link Tables}), one writer thread that
 * batches many events per transaction, a small pool of reader threads for queries and counts, and the NIP-50 search
 * index beside them ({@link SearchIndex}, in {@code search/}).
 *
 * <p>A write whose events do not fit in the write queue fails at once with a {@link RejectedExecutionException}
 * whose message starts with {@code rate-limited:}. After {@link #close()}, writes and queries fail with an
 * {@link IllegalStateException}.
 */
public final class LmdbEventStore implements EventStore {
    private static final System.Logger LOG = System.getLogger(LmdbEventStore.class.getName());

    private final Tables tables;
    private final IndexTrust trust;
    private final Writer writer;
    private final SearchIndex search;
    private final PageReader pages;
    private final Counter counter;
    private final ExecutorService readers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LmdbEventStore(Tables tables, IndexTrust trust, SearchLog searchLog, SearchIndex search,
                           LmdbConfig config) {
        this.tables = tables;
        this.trust = trust;
        this.search = search;
        this.writer = new Writer(tables, 0, searchLog, config.maxBatch(), config.writeQueueCapacity());
        this.pages = new PageReader(tables);
        this.counter = new Counter(tables);
        AtomicInteger threadNumber = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(config.readThreads(), task -> {
            Thread t = new Thread(task, "strata-lmdb-reader-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the store in {@code config.dir()}, creating it when missing. Before it returns, the index holds every
     * stored event: the index work a crash cut off is replayed, and an index a machine crash may have torn is
     * rebuilt from the events (which takes a while for a large store, and is logged).
     */
    public static LmdbEventStore open(LmdbConfig config) throws IOException {
        Tables tables = Tables.open(config.dir(), config.initialMapSize());
        try {
            IndexTrust trust = new IndexTrust(config.dir());
            if (trust.indexIsWhole()) {
                trust.opened();
                Recovery.replayPending(tables);
            } else {
                trust.rebuilding();
                long started = System.nanoTime();
                Recovery.rebuild(tables);
                LOG.log(System.Logger.Level.INFO, "rebuilt the index of " + config.dir() + " in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms (a new store, or the"
                        + " machine stopped while the store was open)");
                trust.opened();
            }
            SearchLog log = SearchLog.open(tables);
            SearchIndex search = SearchIndex.open(tables, log, config.dir().resolve("search"),
                    config.searchCommitInterval());
            // Recovery leaves the pending table empty, so serials start again from 0.
            return new LmdbEventStore(tables, trust, log, search, config);
        } catch (IOException | RuntimeException e) {
            tables.close();
            throw e;
        }
    }

    @Override
    public CompletionStage<List<WriteResult>> write(List<Event> events, List<String> jsons) {
        return writer.submit(events, jsons);
    }

    /**
     * No bound of its own: the single writer already takes every write queued while it committed the last into its
     * next transaction (up to {@code store.max_batch} events), and its queue is bounded by
     * {@code store.write_queue}.
     */
    @Override
    public int writeConcurrency() {
        return Integer.MAX_VALUE;
    }

    @Override
    public CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned,
                                            long maxBytes) {
        if (filter.search() != null) {
            return search(filter, after, maxEvents, maxScanned, maxBytes);
        }
        try {
            return CompletableFuture.supplyAsync(
                    () -> tables.read((indexTxn, primaryTxn) ->
                            pages.read(indexTxn, primaryTxn, filter, after, maxEvents, maxScanned, maxBytes)),
                            readers)
                    .minimalCompletionStage();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
    }

    /** Waits (without a thread) for the index to have what LMDB had when the search began, then searches. */
    private CompletionStage<QueryPage> search(Filter filter, QueryCursor after, int maxEvents, int maxScanned,
                                              long maxBytes) {
        if (maxEvents < 1 || maxScanned < 1 || maxBytes < 1) {
            return CompletableFuture.failedStage(
                    new IllegalArgumentException("maxEvents, maxScanned and maxBytes must be positive"));
        }
        try {
            return CompletableFuture.supplyAsync(() -> tables.readPrimary(txn -> SearchLog.last(tables, txn)),
                            readers)
                    .thenCompose(seq -> search.whenApplied(seq).exceptionally(e -> {
                        throw new IllegalStateException("the search index is behind the store (catching up or "
                                + "rebuilding), try again", e);
                    }))
                    .thenApplyAsync(ready -> tables.readPrimary(txn -> search.search(txn, filter, after, maxEvents,
                            maxScanned, maxBytes)), readers)
                    .minimalCompletionStage();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
    }

    @Override
    public CompletionStage<Map<String, Long>> vanishCutoffs(Set<String> pubkeys) {
        try {
            return CompletableFuture.supplyAsync(() -> tables.readPrimary(txn -> {
                Map<String, Long> cutoffs = new HashMap<>();
                ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
                for (String pubkey : pubkeys) {
                    long cutoff = tables.vanishedUntil(txn, key, Keys.author(pubkey));
                    if (cutoff >= 0) {
                        cutoffs.put(pubkey, cutoff);
                    }
                }
                return cutoffs;
            }), readers).minimalCompletionStage();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
    }

    @Override
    public CompletionStage<Integer> purge(int maxEvents) {
        if (maxEvents < 1) {
            return CompletableFuture.failedStage(new IllegalArgumentException("maxEvents must be positive"));
        }
        return writer.purge(maxEvents);
    }

    @Override
    public CompletionStage<EventCount> count(List<Filter> filters, int hllOffset, long maxScanned,
                                             Visibility visibility) {
        if (filters.stream().anyMatch(f -> f.search() != null)) {
            return CompletableFuture.failedStage(new IllegalArgumentException("a search filter cannot be counted"));
        }
        try {
            return CompletableFuture.supplyAsync(() -> tables.read((indexTxn, primaryTxn) ->
                            counter.count(indexTxn, primaryTxn, filters, hllOffset, maxScanned, visibility)), readers)
                    .minimalCompletionStage();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
    }

    @Override
    public long diskSizeBytes() {
        return tables.diskSizeBytes() + search.diskSizeBytes();
    }

    /**
     * Commits the writes already accepted, lets running queries finish, brings the search index up to date and
     * commits it, then closes the files. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.close();
        readers.shutdown();
        // Closing the environment under a running read would unmap memory it is reading.
        boolean interrupted = false;
        while (!readers.isTerminated()) {
            try {
                readers.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        // After the writer and the reads: the search index applies the last of the log and commits.
        search.close();
        // The index commits unsynced; synced now, and marked so, it needs no rebuild at the next open.
        try {
            tables.syncIndex();
            trust.closedCleanly();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not sync the index of the event store; it will be rebuilt"
                    + " at the next open: " + e);
        } finally {
            tables.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
