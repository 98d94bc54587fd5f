package dev.strata.store;

import java.io.IOException;
import java.util.List;
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
 * The embedded engine: an LMDB environment in one directory, one writer thread that batches many events per
 * transaction, and a small pool of reader threads for queries.
 *
 * <p>A write whose events do not fit in the write queue fails at once with a {@link RejectedExecutionException}
 * whose message starts with {@code rate-limited:}. After {@link #close()}, writes and queries fail with an
 * {@link IllegalStateException}.
 */
public final class LmdbEventStore implements EventStore {
    private final Tables tables;
    private final Writer writer;
    private final PageReader pages;
    private final ExecutorService readers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LmdbEventStore(Tables tables, LmdbConfig config) {
        this.tables = tables;
        this.writer = new Writer(tables, config.maxBatch(), config.writeQueueCapacity());
        this.pages = new PageReader(tables);
        AtomicInteger threadNumber = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(config.readThreads(), task -> {
            Thread t = new Thread(task, "strata-lmdb-reader-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the store in {@code config.dir()}, creating it when missing. */
    public static LmdbEventStore open(LmdbConfig config) throws IOException {
        return new LmdbEventStore(Tables.open(config.dir(), config.initialMapSize()), config);
    }

    @Override
    public CompletionStage<List<WriteResult>> write(List<Event> events) {
        return writer.submit(events);
    }

    @Override
    public CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned) {
        try {
            return CompletableFuture.supplyAsync(
                    () -> tables.read(txn -> pages.read(txn, filter, after, maxEvents, maxScanned)), readers)
                    .minimalCompletionStage();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
    }

    @Override
    public long diskSizeBytes() {
        return tables.diskSizeBytes();
    }

    /** Commits the writes already accepted, lets running queries finish, then closes the files. Idempotent. */
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
        tables.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
