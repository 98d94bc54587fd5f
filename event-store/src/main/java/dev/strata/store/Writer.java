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
 * The one thread that owns write transactions. Every commit costs a disk sync however few events it carries, so
 * the thread commits as many queued events as one batch allows in each transaction, then completes their callers.
 */
final class Writer implements AutoCloseable {
    private static final WriteRequest STOP = new WriteRequest(List.of());

    private final Tables tables;
    private final EventWriter eventWriter;
    private final int maxBatch;
    /** Events the queue may still take: a full queue refuses at once instead of blocking the caller. */
    private final Semaphore room;
    private final BlockingQueue<WriteRequest> queue = new LinkedBlockingQueue<>();
    /** Accepted requests not yet fully decided, oldest first. Writer thread only. */
    private final ArrayDeque<WriteRequest> pending = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean closed;

    private record Slice(WriteRequest request, int from, int to) {
    }

    Writer(Tables tables, int maxBatch, int queueCapacity) {
        this.tables = tables;
        this.eventWriter = new EventWriter(tables);
        this.maxBatch = maxBatch;
        this.room = new Semaphore(queueCapacity);
        this.thread = new Thread(this::run, "strata-lmdb-writer");
        // Committed transactions are durable, so the JVM may exit under the writer without damage.
        thread.setDaemon(true);
        thread.start();
    }

    CompletionStage<List<WriteResult>> submit(List<Event> events) {
        if (events.isEmpty()) {
            return CompletableFuture.completedStage(List.of());
        }
        if (closed) {
            return CompletableFuture.failedStage(new IllegalStateException("the event store is closed"));
        }
        WriteRequest request = new WriteRequest(events);
        if (!room.tryAcquire(request.events.size())) {
            return CompletableFuture.failedStage(new RejectedExecutionException(
                    "rate-limited: the event store's write queue is full"));
        }
        queue.add(request);
        return request.done.minimalCompletionStage();
    }

    private void run() {
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
        WriteResult[] results;
        try {
            results = commit(batch);
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
        while (!pending.isEmpty() && pending.peek().isDecided()) {
            WriteRequest done = pending.poll();
            finish(done).complete(List.of(done.results));
        }
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

    /** Applies the batch in one transaction; when the map is full, grows it and applies the batch again. */
    private WriteResult[] commit(List<Slice> batch) {
        while (true) {
            List<WriteResult> results = new ArrayList<>();
            try (Txn<ByteBuffer> txn = tables.write()) {
                for (Slice slice : batch) {
                    for (int i = slice.from; i < slice.to; i++) {
                        results.add(eventWriter.apply(txn, slice.request.events.get(i)));
                    }
                }
                txn.commit();
                return results.toArray(WriteResult[]::new);
            } catch (Env.MapFullException e) {
                tables.growMap();
            }
        }
    }

    /** Frees the request's room in the queue before its caller hears back, so the caller may write again at once. */
    private CompletableFuture<List<WriteResult>> finish(WriteRequest request) {
        room.release(request.events.size());
        return request.done;
    }

    /** Commits everything accepted so far, then refuses what raced with closing. */
    @Override
    public void close() {
        closed = true;
        queue.add(STOP);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (WriteRequest r; (r = queue.poll()) != null; ) {
            if (r != STOP) {
                finish(r).completeExceptionally(new IllegalStateException("the event store is closed"));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
