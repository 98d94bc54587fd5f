package dev.strata.query;

import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/** What a client is told when the store fails a read. */
final class StoreFailures {
    private StoreFailures() {
    }

    /**
     * A refusal the store words itself ({@code blocked:} past a budget, {@code rate-limited:} when saturated) is
     * passed on; anything else is our failure, not the client's, and says only to try again.
     */
    static String reason(Throwable failure, String otherwise) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage();
        if (cause instanceof RejectedExecutionException && message != null
                && (message.startsWith("blocked: ") || message.startsWith("rate-limited: "))) {
            return message;
        }
        return otherwise;
    }
}
