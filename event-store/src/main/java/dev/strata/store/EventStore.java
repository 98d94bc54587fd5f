package dev.strata.store;

import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *   <li>An id already stored is a {@link WriteResult.Status#DUPLICATE} (unless a tombstone below refuses it).</li>
 *   <li>Replaceable events keep only the newest per (pubkey, kind), addressable per (pubkey, kind, d tag): newer
 *       {@code created_at} wins, equal {@code created_at} goes to the lowest id. A version that loses is
 *       {@link WriteResult.Status#STALE} and never shown; the one it replaces disappears in the same
 *       transaction.</li>
 *   <li>Ephemeral events are never stored: {@link WriteResult.Status#EPHEMERAL}.</li>
 *   <li>Queries return events newest first ({@code created_at} descending, then id ascending).</li>
 *   <li>NIP-50: a filter with {@code search} returns the events whose content holds every word of the search
 *       text (its {@code key:value} extensions are ignored), best match first, ties newest first then by
 *       ascending id; its cursor carries the score of the last event.</li>
 * </ul>
 *
 * <p>Deletion (NIP-09), expiration (NIP-40) and requests to vanish (NIP-62). Each write is decided as if the events
 * were written one by one in order, a deletion taking effect in the same transaction that stores its request:
 * <ul>
 *   <li>A stored kind 5 deletes each event its {@code e} tags name that has the request's pubkey, and the versions
 *       of each address its {@code a} tags name ({@code kind:pubkey:d}, the request's pubkey, a replaceable or
 *       addressable kind) with a {@code created_at} up to the request's. Events of other authors, kind 5 and kind 62
 *       events are left alone. It leaves a tombstone: the same id by the same author, or an equally old or older
 *       version of the address, is refused from then on as {@link WriteResult.Status#DELETED} (also when the
 *       request came first). The request itself is stored and served like any event.</li>
 *   <li>A kind 62 is a request to vanish from this store: the caller passes only those that name this relay.
 *       Once stored, it removes every event of its pubkey up to its {@code created_at} except kind 62 ones
 *       (kind 5 requests included), and every gift wrap (kind 1059) up to then that {@code p}-tags the pubkey. Such
 *       events are refused from then on as {@link WriteResult.Status#VANISHED}, from the transaction that stores
 *       the request; the removal may take further transactions (an author may have very many events), and the
 *       write completes after the last. One cut off by a crash is finished by {@link #purge}, or when the same
 *       request is written again.</li>
 *   <li>An event whose {@code expiration} tag has passed is never returned by a query or a search, nor counted; it
 *       is still a {@link WriteResult.Status#DUPLICATE} if written again, and no longer counts as the current
 *       version of its key. {@link #purge} removes such events for good.</li>
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
     * How many writes the engine works on at once to best effect: a caller with more events than that keeps them
     * and writes them together when a write completes (group commit), so that batches grow with the load instead
     * of queueing one small transaction behind another.
     */
    int writeConcurrency();

    /**
     * One page of a filter's matches, newest first, starting after {@code after} (null for the first page).
     *
     * @param maxEvents  at most this many events in the page (the caller passes what is left of the limit)
     * @param maxScanned at most this many index entries examined for the page; a page that stops on this bound
     *                   has fewer events but a non-null {@link QueryPage#next()} to continue from
     * @param maxBytes   the page ends with the event that brings its events' JSON to this many UTF-8 bytes or more
     *                   (so it holds less than {@code maxBytes} plus one event), with a non-null
     *                   {@link QueryPage#next()} when more may follow: the bound on what one page of large events
     *                   costs in memory
     */
    CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned, long maxBytes);

    /** {@link #query(Filter, QueryCursor, int, int, long)} without a bound on the page's bytes. */
    default CompletionStage<QueryPage> query(Filter filter, QueryCursor after, int maxEvents, int maxScanned) {
        return query(filter, after, maxEvents, maxScanned, Long.MAX_VALUE);
    }

    /**
     * NIP-62 for the events that are never stored (ephemeral ones), which {@link #write} does not judge: of these
     * pubkeys (lowercase hex), those that asked this relay to forget them, each with the {@code created_at} up to
     * which its request to vanish covers its events.
     */
    CompletionStage<Map<String, Long>> vanishCutoffs(Set<String> pubkeys);

    /**
     * NIP-45: how many distinct stored events match at least one of the filters (limits do not apply), counted from
     * the indexes, never by reading every matching event.
     *
     * <p>A search filter may take part in a {@code query} only: here it fails the stage with an
     * {@link IllegalArgumentException}. When counting would examine more than {@code maxScanned} index entries the
     * stage fails with a {@link java.util.concurrent.RejectedExecutionException} whose message starts with
     * {@code blocked:}; a search that matches more than a page's {@code maxScanned} events fails its page the same
     * way, as ranking needs every match.
     *
     * @param hllOffset  8 to 23: also compute the NIP-45 HyperLogLog registers of the counted events' pubkeys at this
     *                   offset; -1: do not
     * @param visibility what the reader may see: the events it may not are not counted (NIP-45: the same rules as
     *                   REQ)
     */
    CompletionStage<EventCount> count(List<Filter> filters, int hllOffset, long maxScanned, Visibility visibility);

    /**
     * Background removal, in bounded transactions: up to {@code maxEvents} events whose expiration has passed
     * (NIP-40), in one transaction, and what requests to vanish (NIP-62) cut off by a crash or a failure still had
     * to remove. Completes with how many expired events it removed: fewer than {@code maxEvents} means none are
     * left for now.
     */
    CompletionStage<Integer> purge(int maxEvents);

    /** Bytes the store occupies on disk (for the health endpoint and metrics). */
    long diskSizeBytes();

    /** Finishes writes in flight and releases files and threads. */
    @Override
    void close();
}
