package dev.strata.loadtest;

import io.vertx.core.Vertx;

/**
 * Wakes a fixed-rate sender when its next message is due: one timer armed for that moment, not a tick every
 * millisecond. A tick per millisecond per connection is thousands of event-loop wake-ups a second, which on a
 * machine shared with the relay cost more CPU than the messages themselves.
 */
final class Wakeup {
    private final Vertx vertx;
    private final Runnable action;
    private long timer = -1;
    private long armedFor;

    Wakeup(Vertx vertx, Runnable action) {
        this.vertx = vertx;
        this.action = action;
    }

    /** Runs the action at {@code dueNanos} (System.nanoTime), or earlier if it is armed for earlier already. */
    void at(long dueNanos) {
        if (timer != -1) {
            if (armedFor <= dueNanos) {
                return;
            }
            vertx.cancelTimer(timer);
        }
        long millis = Math.max(1, (dueNanos - System.nanoTime() + 999_999) / 1_000_000);
        armedFor = dueNanos;
        timer = vertx.setTimer(millis, id -> {
            timer = -1;
            action.run();
        });
    }

    void cancel() {
        if (timer != -1) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
