package dev.strata.store;

import java.util.List;
import java.util.concurrent.CompletionStage;

import dev.strata.model.Event;
import dev.strata.model.Filter;

/**
 * Where accepted events live. One contract for every engine (embedded LMDB, PostgreSQL); the abstract
 * {@code EventStoreContract} test suite pins down its semantics and every engine must pass it.
 *
 * <p>Methods never block the caller: work runs on the engine's own threads and the returned stage completes there.
 * Callers on a Vert.x event loop hop back with {@code Future.fromCompletionStage(stage, context)}.
 *
 * <p>Semantics (NIP-01):
 * <ul>
 *   <li>A stored event is durable (committed) before its {@link WriteResult} completes.</li>
 *   <li>An id already stored is a {@link WriteResult.Status#DUPLICATE}.</li>
 *   <li>Replaceable events keep only the newest per (pubkey, kind), addressable per (pubkey, kind, d tag): newer
 *       {@code created_at} wins, equal {@code created_at} goes to the lowest id. A version that loses is
 *       {@link WriteResult.Status#STALE} and never shown; the one it replaces disappears in the same
 *       transaction.</li>
 *   <li>Ephemeral events are never stored: {@link WriteResult.Status#EPHEMERAL}.</li>
 *   <li>Queries return events newest first ({@code created_at} descending, then id ascending).</li>
 * </ul>
 */
public interface EventStore extends AutoCloseable {

    /**
     * Stores events, batching them into as few transactions as the engine likes. The results are in the order of
     * {@code events}; each completes only after its event's transaction committed.
     */
    default CompletionStage<List<WriteResult>> write(List<Event> events) {
        return write(events, events.stream().map(Event::toJson).toList());
    }

    /**
     * {@link #write(List)}, given each event's {@link Event#toJson()} text, which is what is stored and served: ingest
     * makes it anyway to announce the event, off the store's threads.
     */
    CompletionStage<List<WriteResult>> write(List<Event> events, List<String> jsons);

    /**
     * One page of a filter's matches, newest first, starting after {@code after} (null for the first page).
     *
     * @param maxEvents  at most this many events in the page (the caller passes what is left of the limit)
     * @param maxScanned at most this many index entries examined for the page; a page that stops on this bound
     *                   has fewer events but a non-null {@link QueryPage#next()} to continue from
     */
    CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned);

    /** Bytes the store occupies on disk (for the health endpoint and metrics). */
    long diskSizeBytes();

    /** Finishes writes in flight and releases files and threads. */
    @Override
    void close();
}
