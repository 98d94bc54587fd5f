package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

import org.lmdbjava.Env;
import org.lmdbjava.Txn;

import dev.strata.model.Event;

/**
 * The two threads that own write transactions, a pipeline of two stages:
 * <ol>
 *   <li>the <em>writer</em> decides and stores a batch in one synced primary transaction: every commit costs a
 *       disk sync however few events it carries, so it takes as many queued events as one batch allows;</li>
 *   <li>the <em>indexer</em> applies the index work of every batch stored since its last turn in one unsynced index
 *       transaction, then completes their callers: an event is acknowledged once it is durable and findable.</li>
 * </ol>
 * While the writer waits for its disk sync, the indexer works, and the other way round.
 */
final class Writer implements AutoCloseable {
    private static final WriteRequest STOP = new WriteRequest(List.of(), List.of());

    private final Tables tables;
    private final SearchLog searchLog;
    private final EventWriter eventWriter;
    private final int maxBatch;
    /** Events the queue may still take: a full queue refuses at once instead of blocking the caller. */
    private final Semaphore room;
    private final BlockingQueue<WriteRequest> queue = new LinkedBlockingQueue<>();
    /** Accepted requests not yet fully stored, oldest first. Writer thread only. */
    private final ArrayDeque<WriteRequest> pending = new ArrayDeque<>();
    /** Stored batches on their way to the indexer; {@link Stored#END} once the writer is done. */
    private final BlockingQueue<Stored> stored = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Thread indexer;
    /**
     * Pending entries below this serial are in the index, and go with the next primary transaction. Written by
     * the indexer, read by the writer.
     */
    private volatile long indexedBelow;
    /** Pending entries from this serial on are still in the primary. Writer thread only. */
    private long pendingFrom;
    private volatile boolean closed;

    private record Slice(WriteRequest request, int from, int to) {
    }

    /**
     * A batch the primary committed.
     *
     * @param serialsBelow every pending entry of the batch has a lower serial
     * @param completed    the requests whose last events it stored, to complete once it is indexed
     */
    private record Stored(IndexWork work, long serialsBelow, List<WriteRequest> completed) {
        static final Stored END = new Stored(null, 0, null);
    }

    /** @param nextSerial the first serial free in the pending table */
    Writer(Tables tables, long nextSerial, SearchLog searchLog, int maxBatch, int queueCapacity) {
        this.tables = tables;
        this.searchLog = searchLog;
        this.eventWriter = new EventWriter(tables, nextSerial, searchLog);
        this.indexedBelow = nextSerial;
        this.pendingFrom = nextSerial;
        this.maxBatch = maxBatch;
        this.room = new Semaphore(queueCapacity);
        this.writer = new Thread(this::write, "strata-lmdb-writer");
        this.indexer = new Thread(this::index, "strata-lmdb-indexer");
        // Committed transactions are durable, so the JVM may exit under them without damage.
        writer.setDaemon(true);
        indexer.setDaemon(true);
        writer.start();
        indexer.start();
    }

    CompletionStage<List<WriteResult>> submit(List<Event> events, List<String> jsons) {
        if (events.isEmpty()) {
            return CompletableFuture.completedStage(List.of());
        }
        if (closed) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
        WriteRequest request = new WriteRequest(events, jsons);
        if (!room.tryAcquire(request.events.size())) {
            return CompletableFuture.failedStage(new RejectedExecutionException(
                    "rate-limited: the event store's write queue is full"));
        }
        queue.add(request);
        return request.done.minimalCompletionStage();
    }

    // ---- the writer ----------------------------------------------------------------------------------------------

    private void write() {
        boolean stopping = false;
        while (!stopping || !pending.isEmpty()) {
            if (pending.isEmpty()) {
                stopping = accept(take());
            }
            for (WriteRequest r; !stopping && (r = queue.poll()) != null; ) {
                stopping = accept(r);
            }
            if (!pending.isEmpty()) {
                writeBatch();
            }
        }
        stored.add(Stored.END);
    }

    private WriteRequest take() {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            return STOP;
        }
    }

    private boolean accept(WriteRequest request) {
        if (request == STOP) {
            return true;
        }
        pending.add(request);
        return false;
    }

    private void writeBatch() {
        List<Slice> batch = nextBatch();
        IndexWork work = new IndexWork();
        WriteResult[] results;
        try {
            results = commitPrimary(batch, work);
        } catch (RuntimeException e) {
            for (int i = 0; i < batch.size(); i++) {
                finish(pending.poll()).completeExceptionally(e);
            }
            return;
        }
        int i = 0;
        for (Slice slice : batch) {
            int n = slice.to - slice.from;
            System.arraycopy(results, i, slice.request.results, slice.from, n);
            slice.request.decided = slice.to;
            i += n;
        }
        List<WriteRequest> completed = new ArrayList<>();
        while (!pending.isEmpty() && pending.peek().isDecided()) {
            completed.add(pending.poll());
        }
        stored.add(new Stored(work, eventWriter.nextSerial(), completed));
    }

    /** The undecided events at the head of the queue, at most {@code maxBatch}, in arrival order. */
    private List<Slice> nextBatch() {
        List<Slice> batch = new ArrayList<>();
        int size = 0;
        for (WriteRequest request : pending) {
            int take = Math.min(request.events.size() - request.decided, maxBatch - size);
            batch.add(new Slice(request, request.decided, request.decided + take));
            size += take;
            if (size == maxBatch) {
                break;
            }
        }
        return batch;
    }

    /**
     * Decides and stores the batch in one synced primary transaction, which also drops the pending entries the
     * index has taken since; when the map is full, grows it and applies the batch again.
     */
    private WriteResult[] commitPrimary(List<Slice> batch, IndexWork work) {
        while (true) {
            long serial = eventWriter.nextSerial();
            long indexed = indexedBelow;
            List<WriteResult> results = new ArrayList<>();
            try (Txn<ByteBuffer> txn = tables.writePrimary()) {
                Recovery.deletePending(tables, txn, pendingFrom, indexed);
                for (Slice slice : batch) {
                    for (int i = slice.from; i < slice.to; i++) {
                        results.add(eventWriter.apply(txn, slice.request.events.get(i), slice.request.jsons[i],
                                work));
                    }
                }
                searchLog.prune(txn);
                txn.commit();
                pendingFrom = indexed;
                searchLog.committed();
                return results.toArray(WriteResult[]::new);
            } catch (RuntimeException e) {
                eventWriter.rewind(serial);
                work.truncate(0);
                if (!(e instanceof Env.MapFullException)) {
                    throw e;
                }
                tables.growPrimary();
            }
        }
    }

    // ---- the indexer ---------------------------------------------------------------------------------------------

    private void index() {
        IndexApplier applier = new IndexApplier(tables);
        // Work whose index transaction failed: stored, not yet findable; the next transaction takes it again.
        List<IndexWork> unapplied = new ArrayList<>();
        boolean ending = false;
        while (!ending) {
            List<Stored> turn = new ArrayList<>();
            turn.add(takeStored());
            stored.drainTo(turn);
            if (turn.get(turn.size() - 1) == Stored.END) {
                turn.remove(turn.size() - 1);
                ending = true;
            }
            if (turn.isEmpty()) {
                continue;
            }
            for (Stored s : turn) {
                unapplied.add(s.work());
            }
            RuntimeException failure = null;
            try {
                applier.commit(unapplied);
                unapplied.clear();
                indexedBelow = turn.get(turn.size() - 1).serialsBelow();
            } catch (RuntimeException e) {
                failure = e;
            }
            for (Stored s : turn) {
                for (WriteRequest request : s.completed()) {
                    if (failure == null) {
                        finish(request).complete(List.of(request.results));
                    } else {
                        finish(request).completeExceptionally(failure);
                    }
                }
            }
        }
    }

    private Stored takeStored() {
        while (true) {
            try {
                return stored.take();
            } catch (InterruptedException e) {
                // Only the writer ends the indexer (END), so that nothing stored is left unindexed.
            }
        }
    }

    /** Once both threads are done: a cleanly closed store leaves no pending entry the index already holds. */
    private void dropIndexedPending() {
        long indexed = indexedBelow;
        if (pendingFrom == indexed) {
            return;
        }
        try (Txn<ByteBuffer> txn = tables.writePrimary()) {
            Recovery.deletePending(tables, txn, pendingFrom, indexed);
            txn.commit();
            pendingFrom = indexed;
        } catch (RuntimeException e) {
            // Harmless: the next open replays them, which changes nothing.
        }
    }

    /** Frees the request's room in the queue before its caller hears back, so the caller may write again at once. */
    private CompletableFuture<List<WriteResult>> finish(WriteRequest request) {
        room.release(request.events.size());
        return request.done;
    }

    /** Stores and indexes everything accepted so far, then refuses what raced with closing. */
    @Override
    public void close() {
        closed = true;
        queue.add(STOP);
        boolean interrupted = false;
        for (Thread t : List.of(writer, indexer)) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        for (WriteRequest r; (r = queue.poll()) != null; ) {
            if (r != STOP) {
                finish(r).completeExceptionally(new IllegalStateException("the event store is closed"));
            }
        }
        dropIndexedPending();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
