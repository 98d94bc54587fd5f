package dev.strata.store;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
 *
 * <p>Two kinds of work need more than that. A NIP-62 request to vanish finds the author's events in the index, so
 * it goes in a batch of its own, once the indexer has caught up with every earlier batch; the batch stores it with
 * its tombstone, then primary transactions of {@link #VANISH_CHUNK} removals each follow, taking turns with the
 * batches, and its caller hears back after the last. A NIP-40 purge of expired events is a primary transaction of
 * its own between two batches, whose index work goes to the indexer like a batch's; it also finishes the removals
 * of requests to vanish that a crash or a failure cut off (each request leaves a mark until its last removal).
 */
final class Writer implements AutoCloseable {
    private static final WriteRequest STOP = new WriteRequest(List.of(), List.of());
    /** Only wakes the writer up, for a purge queued while it waits for writes. */
    private static final WriteRequest WAKE = new WriteRequest(List.of(), List.of());
    /** How long a request to vanish waits for the indexer to catch up before it fails (and may be sent again). */
    private static final long CATCH_UP_MILLIS = 30_000;
    /** Events a request to vanish removes per primary transaction, so that its memory and each commit stay small. */
    static final int VANISH_CHUNK = 1000;
    /** Unfinished requests to vanish a purge takes up, at most. */
    private static final int RESUMED_PER_PURGE = 16;

    private final Tables tables;
    private final SearchLog searchLog;
    private final EventWriter eventWriter;
    private final int maxBatch;
    /** Events the queue may still take: a full queue refuses at once instead of blocking the caller. */
    private final Semaphore room;
    private final BlockingQueue<WriteRequest> queue = new LinkedBlockingQueue<>();
    /** NIP-40 purges waiting for the writer; the caller runs one at a time. */
    private final Queue<Purge> purges = new ConcurrentLinkedQueue<>();
    /** Accepted requests not yet fully stored, oldest first. Writer thread only. */
    private final ArrayDeque<WriteRequest> pending = new ArrayDeque<>();
    /** Requests to vanish with removals to do, a chunk each in turn with the batches. Writer thread only. */
    private final ArrayDeque<Vanish> vanishing = new ArrayDeque<>();
    /** Stored batches on their way to the indexer; {@link Stored#END} once the writer is done. */
    private final BlockingQueue<Stored> stored = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Thread indexer;
    /**
     * Pending entries below this serial are in the index, and go with the next primary transaction. Written by
     * the indexer, read by the writer.
     */
    private volatile long indexedBelow;
    /** Notified whenever {@link #indexedBelow} moves. */
    private final Object indexerProgress = new Object();
    /** Pending entries from this serial on are still in the primary. Writer thread only. */
    private long pendingFrom;
    private volatile boolean closed;

    private record Slice(WriteRequest request, int from, int to) {
    }

    private record Purge(int maxEvents, CompletableFuture<Integer> done) {
    }

    /**
     * The removals of a request to vanish still to do, the callers who hear back once the last is indexed, and what
     * completes once it is committed (a purge that took the removal up).
     */
    private record Vanish(EventWriter.VanishWalk walk, List<WriteRequest> completed, CompletableFuture<Void> done) {
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

    /**
     * Removes expired events in a primary transaction of its own, between two batches of writes, then finishes the
     * removals of requests to vanish that were cut off.
     */
    CompletionStage<Integer> purge(int maxEvents) {
        if (closed) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
        Purge purge = new Purge(maxEvents, new CompletableFuture<>());
        purges.add(purge);
        queue.add(WAKE);
        return purge.done.minimalCompletionStage();
    }

    // ---- the writer ----------------------------------------------------------------------------------------------

    private void write() {
        boolean stopping = false;
        while (!stopping || !pending.isEmpty()) {
            if (pending.isEmpty() && purges.isEmpty() && vanishing.isEmpty()) {
                stopping = accept(take());
            }
            for (WriteRequest r; !stopping && (r = queue.poll()) != null; ) {
                stopping = accept(r);
            }
            for (Purge p; (p = purges.poll()) != null; ) {
                purge(p);
            }
            if (!vanishing.isEmpty()) {
                vanishChunk();
            }
            if (!pending.isEmpty()) {
                writeBatch();
            }
        }
        // Closing does not wait for long removals: their marks stay, and the next run's purge finishes them.
        for (Vanish v; (v = vanishing.poll()) != null; ) {
            fail(v, new IllegalStateException("the event store is closed"));
        }
        stored.add(Stored.END);
    }

    /** The expired events go once the primary commits (a reader skips index entries without a body). */
    private void purge(Purge purge) {
        IndexWork work = new IndexWork();
        int removed;
        try {
            removed = commitPrimary(txn -> eventWriter.purgeExpired(txn, now(), purge.maxEvents(), work), work);
        } catch (RuntimeException e) {
            purge.done().completeExceptionally(e);
            return;
        }
        stored.add(new Stored(work, eventWriter.nextSerial(), List.of()));
        // Removals in progress are not taken up twice; their own walks finish them.
        if (!vanishing.isEmpty()) {
            purge.done().complete(removed);
            return;
        }
        List<CompletableFuture<Void>> resumed = new ArrayList<>();
        try {
            List<EventWriter.VanishWalk> unfinished = tables.read(
                    (indexTxn, primaryTxn) -> eventWriter.unfinishedVanishes(primaryTxn, RESUMED_PER_PURGE));
            if (!unfinished.isEmpty()) {
                awaitIndexer();
            }
            for (EventWriter.VanishWalk walk : unfinished) {
                Vanish v = new Vanish(walk, List.of(), new CompletableFuture<>());
                vanishing.add(v);
                resumed.add(v.done());
            }
        } catch (RuntimeException e) {
            purge.done().completeExceptionally(e);
            return;
        }
        CompletableFuture.allOf(resumed.toArray(CompletableFuture[]::new)).whenComplete((v, failure) -> {
            if (failure != null) {
                purge.done().completeExceptionally(failure);
            } else {
                purge.done().complete(removed);
            }
        });
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
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
        if (request != WAKE) {
            pending.add(request);
        }
        return false;
    }

    private void writeBatch() {
        List<Slice> batch = nextBatch();
        IndexWork work = new IndexWork();
        WriteResult[] results;
        try {
            if (isVanish(batch.get(0).request.events.get(batch.get(0).from))) {
                awaitIndexer();
            }
            long now = now();
            results = commitPrimary(txn -> {
                List<WriteResult> out = new ArrayList<>();
                for (Slice slice : batch) {
                    for (int i = slice.from; i < slice.to; i++) {
                        out.add(eventWriter.apply(txn, slice.request.events.get(i), slice.request.jsons[i], work,
                                now));
                    }
                }
                return out.toArray(WriteResult[]::new);
            }, work);
        } catch (RuntimeException e) {
            eventWriter.takeVanishWalk();
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
        EventWriter.VanishWalk walk = eventWriter.takeVanishWalk();
        if (walk == null) {
            stored.add(new Stored(work, eventWriter.nextSerial(), completed));
            return;
        }
        stored.add(new Stored(work, eventWriter.nextSerial(), List.of()));
        vanishing.add(new Vanish(walk, completed, null));
    }

    /**
     * One primary transaction of the removals of the first request to vanish in line, which then goes to the back:
     * batches and other requests take their turns between chunks. Its callers hear back once the last chunk is
     * indexed. A failed chunk drops the walk and fails its callers; the request is stored and its tombstone
     * refuses what it covers, and its mark has the next purge finish the removal.
     */
    private void vanishChunk() {
        Vanish v = vanishing.poll();
        EventWriter.VanishWalk walk = v.walk();
        IndexWork work = new IndexWork();
        Runnable rewind = walk.snapshot();
        boolean done;
        try {
            done = commitPrimary(txn -> {
                rewind.run(); // a transaction retried after the map grew walks the same stretch again
                return eventWriter.continueVanish(txn, walk, VANISH_CHUNK, work);
            }, work);
        } catch (RuntimeException e) {
            fail(v, e);
            return;
        }
        stored.add(new Stored(work, eventWriter.nextSerial(), done ? v.completed() : List.of()));
        if (!done) {
            vanishing.add(v);
        } else if (v.done() != null) {
            v.done().complete(null);
        }
    }

    private void fail(Vanish v, RuntimeException e) {
        for (WriteRequest request : v.completed()) {
            finish(request).completeExceptionally(e);
        }
        if (v.done() != null) {
            v.done().completeExceptionally(e);
        }
    }

    /**
     * The undecided events at the head of the queue, at most {@code maxBatch}, in arrival order; a request to vanish
     * ends the batch before it, or is the whole batch when it comes first.
     */
    private List<Slice> nextBatch() {
        List<Slice> batch = new ArrayList<>();
        int size = 0;
        for (WriteRequest request : pending) {
            int from = request.decided;
            int to = from;
            boolean end = false;
            while (to < request.events.size() && size < maxBatch) {
                if (isVanish(request.events.get(to))) {
                    if (size == 0) {
                        to++;
                        size++;
                    }
                    end = true;
                    break;
                }
                to++;
                size++;
            }
            if (to > from) {
                batch.add(new Slice(request, from, to));
            }
            if (end || size == maxBatch) {
                break;
            }
        }
        return batch;
    }

    private static boolean isVanish(Event e) {
        return e.kind() == EventWriter.VANISH;
    }

    /**
     * Waits until the indexer holds every batch stored so far, so that the index shows the whole primary. Fails
     * when it does not within {@link #CATCH_UP_MILLIS} (an index transaction that keeps failing).
     */
    private void awaitIndexer() {
        long target = eventWriter.nextSerial();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_MILLIS);
        synchronized (indexerProgress) {
            while (indexedBelow < target) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new IllegalStateException("the index did not catch up within " + CATCH_UP_MILLIS + " ms");
                }
                try {
                    indexerProgress.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the index", e);
                }
            }
        }
    }

    /**
     * Runs {@code work} (deciding and storing a batch, or a purge) in one synced primary transaction, which also
     * drops the pending entries the index has taken since; when the map is full, grows it and runs it again.
     */
    private <R> R commitPrimary(Function<Txn<ByteBuffer>, R> apply, IndexWork work) {
        while (true) {
            long serial = eventWriter.nextSerial();
            long indexed = indexedBelow;
            try (Txn<ByteBuffer> txn = tables.writePrimary()) {
                Recovery.deletePending(tables, txn, pendingFrom, indexed);
                R result = apply.apply(txn);
                searchLog.prune(txn);
                txn.commit();
                pendingFrom = indexed;
                searchLog.committed();
                return result;
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
                synchronized (indexerProgress) {
                    indexedBelow = turn.get(turn.size() - 1).serialsBelow();
                    indexerProgress.notifyAll();
                }
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
            if (r != STOP && r != WAKE) {
                finish(r).completeExceptionally(new IllegalStateException("the event store is closed"));
            }
        }
        for (Purge p; (p = purges.poll()) != null; ) {
            p.done().completeExceptionally(new IllegalStateException("the event store is closed"));
        }
        dropIndexedPending();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
