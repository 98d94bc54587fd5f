package dev.strata.store.postgres;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the operations on one pool: as many as it has connections may run and {@code maxWaiting} more may wait
 * for one. Past that, an operation is refused at once rather than queued, so a saturated database sheds load
 * instead of stalling its callers. Also knows when the last operation left, for a close that lets them finish.
 */
final class Admission {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final int limit;
    private volatile boolean closed;

    Admission(int poolSize, int maxWaiting) {
        this.limit = poolSize + maxWaiting;
    }

    /** Takes a place and returns null, or returns the failure to report without taking one. */
    RuntimeException tryEnter() {
        int now = inFlight.incrementAndGet();
        if (closed) {
            exit();
            return new IllegalStateException("the event store is closed");
        }
        if (now > limit) {
            exit();
            return new RejectedExecutionException(
                    "rate-limited: the event store has " + limit + " operations in progress, try again");
        }
        return null;
    }

    void exit() {
        if (inFlight.decrementAndGet() == 0 && closed) {
            drained.complete(null);
        }
    }

    /** Refuses new operations; completes once those in progress have left. */
    CompletableFuture<Void> close() {
        closed = true;
        if (inFlight.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }
}
