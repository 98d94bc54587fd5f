package dev.strata.store;

import static dev.strata.store.FilterBuilder.filter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.Hll;
import dev.strata.model.PrivateKinds;

/**
 * The behaviour every {@link EventStore} engine must have. An engine's test class extends this one and says how to
 * make, reopen and clean up a store; every test here then runs against it.
 */
public abstract class EventStoreContract {
    protected static final long TIMEOUT_SECONDS = 60;
    private static final long T = RandomWorkload.BASE_TIME;
    private static final int UNBOUNDED = Integer.MAX_VALUE;

    private final Random keys = new Random(42);
    private final Author alice = Author.random(keys);
    private final Author bob = Author.random(keys);
    private final Author carol = Author.random(keys);

    private final List<EventStore> opened = new ArrayList<>();
    private EventStore store;

    /** A new, empty store for the running test. */
    protected abstract EventStore newStore() throws Exception;

    /** Opens again the data of the store {@link #newStore()} made for the running test, which the test closed. */
    protected abstract EventStore reopen() throws Exception;

    /** Runs after each test, once its stores are closed: the place to drop what {@link #newStore()} created. */
    protected void cleanUp() throws Exception {
    }

    @BeforeEach
    final void openStore() throws Exception {
        store = track(newStore());
    }

    @AfterEach
    final void closeStores() throws Exception {
        opened.forEach(EventStore::close);
        cleanUp();
    }

    /** Closes {@code s} after the test, even when the test fails. */
    protected final <S extends EventStore> S track(S s) {
        opened.add(s);
        return s;
    }

    protected static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("the store did not complete the stage normally", e);
        }
    }

    protected static List<WriteResult> write(EventStore s, List<Event> events) {
        List<WriteResult> results = await(s.write(events));
        assertEquals(events.size(), results.size(), "one result per event");
        return results;
    }

    /** Every match of the filter, read in pages of at most these sizes, checking each page keeps to them. */
    protected static List<StoredEvent> query(EventStore s, Filter f, int maxEvents, int maxScanned) {
        List<StoredEvent> all = new ArrayList<>();
        QueryCursor cursor = null;
        for (int pages = 0; ; pages++) {
            assertTrue(pages < 1_000_000, "paging does not end");
            QueryPage page = await(s.query(f, cursor, maxEvents, maxScanned));
            assertTrue(page.events().size() <= maxEvents, "page has more than maxEvents");
            assertTrue(page.scanned() <= maxScanned, "page scanned more than maxScanned");
            all.addAll(page.events());
            if (page.next() == null) {
                return all;
            }
            cursor = page.next();
        }
    }

    /**
     * Every match of the filter, read in pages bounded in bytes only, checking that each page ends with the event
     * that brought it to {@code maxBytes}: the events before its last hold fewer bytes.
     */
    protected static List<StoredEvent> queryInBytes(EventStore s, Filter f, long maxBytes) {
        List<StoredEvent> all = new ArrayList<>();
        QueryCursor cursor = null;
        for (int pages = 0; ; pages++) {
            assertTrue(pages < 1_000_000, "paging does not end");
            QueryPage page = await(s.query(f, cursor, UNBOUNDED, UNBOUNDED, maxBytes));
            long beforeLast = 0;
            for (int i = 0; i < page.events().size() - 1; i++) {
                beforeLast += page.events().get(i).utf8().length;
            }
            assertTrue(beforeLast < maxBytes, "a page of " + page.events().size() + " events went on past "
                    + maxBytes + " bytes");
            all.addAll(page.events());
            if (page.next() == null) {
                return all;
            }
            cursor = page.next();
        }
    }

    protected static List<StoredEvent> queryAll(EventStore s, Filter f) {
        return query(s, f, UNBOUNDED, UNBOUNDED);
    }

    private List<WriteResult> write(Event... events) {
        return write(store, List.of(events));
    }

    private static List<WriteResult> results(WriteResult... results) {
        return List.of(results);
    }

    /** The stored events equal these, in exactly this order; ids are compared first for a readable failure. */
    private static void assertEvents(List<Event> expected, List<StoredEvent> actual, String message) {
        assertEquals(expected.stream().map(Event::id).toList(), actual.stream().map(StoredEvent::id).toList(),
                message);
        assertEquals(expected.stream().map(Event::toJson).toList(), actual.stream().map(StoredEvent::json).toList(),
                message);
        assertEquals(expected.stream().map(Event::createdAt).toList(),
                actual.stream().map(StoredEvent::createdAt).toList(), message);
    }

    /** The filter returns exactly these events, newest first with ties by ascending id. */
    private void assertMatches(Filter f, Event... expected) {
        List<Event> sorted = new ArrayList<>(List.of(expected));
        sorted.sort(ReferenceStore.NEWEST_FIRST);
        assertEvents(sorted, queryAll(store, f), f.toJson());
    }

    // ---- storing -------------------------------------------------------------------------------------------------

    @Test
    void storesAndReturnsAnEvent() throws Exception {
        Event e = alice.sign(T, 1, List.of(List.of("t", "nostr"), List.of("p", bob.pubkey, "wss://r")), "hi \"x\"\n");
        assertEquals(results(WriteResult.STORED), write(e));

        List<StoredEvent> found = queryAll(store, Filter.ALL);
        assertEquals(List.of(new StoredEvent(e.id(), e.createdAt(), e.toJson())), found);
        assertEquals(e, Event.parse(found.get(0).json()));
    }

    @Test
    void emptyWriteCompletesWithNoResults() {
        assertEquals(List.of(), write());
    }

    @Test
    void duplicateIdIsReportedAndStoredOnce() {
        Event a = alice.sign(T, 1);
        Event b = alice.sign(T + 1, 1);
        assertEquals(results(WriteResult.STORED), write(a));
        assertEquals(results(WriteResult.DUPLICATE), write(a));
        assertEquals(results(WriteResult.STORED, WriteResult.DUPLICATE, WriteResult.DUPLICATE), write(b, b, a));
        assertMatches(Filter.ALL, a, b);
    }

    @Test
    void ephemeralEventsAreNeverStored() {
        Event e = alice.sign(T, 20001);
        assertEquals(results(WriteResult.EPHEMERAL), write(e));
        assertEquals(results(WriteResult.EPHEMERAL, WriteResult.EPHEMERAL), write(e, alice.sign(T, 29999)));
        assertMatches(Filter.ALL);
        assertMatches(filter().kinds(20001, 29999).build());
    }

    // ---- replaceable and addressable -----------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 10002, 30000})
    void newerVersionReplacesOlder(int kind) {
        Event old = alice.sign(T, kind);
        Event newer = alice.sign(T + 1, kind);
        Event bobs = bob.sign(T, kind);
        assertEquals(results(WriteResult.STORED, WriteResult.STORED), write(old, bobs));
        assertEquals(results(WriteResult.STORED), write(newer));
        assertMatches(filter().kinds(kind).build(), newer, bobs);

        assertEquals(results(WriteResult.STALE), write(old));
        assertEquals(results(WriteResult.STALE), write(alice.sign(T - 1, kind)));
        assertMatches(filter().kinds(kind).build(), newer, bobs);
        assertMatches(filter().ids(old.id()).build());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 10002, 30000})
    void olderVersionArrivingLaterIsStale(int kind) {
        Event newer = alice.sign(T + 1, kind);
        assertEquals(results(WriteResult.STORED), write(newer));
        assertEquals(results(WriteResult.STALE), write(alice.sign(T, kind)));
        assertMatches(filter().authors(alice.pubkey).build(), newer);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 10002, 30000})
    void equalTimestampsKeepTheLowestId(int kind) {
        Event[] pair = {alice.sign(T, kind, List.of(), "one"), alice.sign(T, kind, List.of(), "two")};
        Arrays.sort(pair, ReferenceStore.NEWEST_FIRST);
        Event low = pair[0];
        Event high = pair[1];

        // Lowest id first: the higher one loses.
        assertEquals(results(WriteResult.STORED), write(low));
        assertEquals(results(WriteResult.STALE), write(high));
        assertMatches(filter().authors(alice.pubkey).build(), low);

        // Highest id first, by another author: the lower one replaces it.
        Event[] bobs = {bob.sign(T, kind, List.of(), "one"), bob.sign(T, kind, List.of(), "two")};
        Arrays.sort(bobs, ReferenceStore.NEWEST_FIRST);
        assertEquals(results(WriteResult.STORED), write(bobs[1]));
        assertEquals(results(WriteResult.STORED), write(bobs[0]));
        assertEquals(results(WriteResult.STALE), write(bobs[1]));
        assertMatches(filter().authors(bob.pubkey).build(), bobs[0]);
    }

    @Test
    void addressableEventsAreKeyedByDTag() {
        Event a1 = alice.sign(T, 30000, List.of(List.of("d", "a")));
        Event a2 = alice.sign(T + 1, 30000, List.of(List.of("d", "a")));
        Event b = alice.sign(T, 30000, List.of(List.of("d", "b"), List.of("d", "a")));
        Event noD = alice.sign(T, 30000, List.of(List.of("t", "x")));
        Event emptyD = alice.sign(T + 2, 30000, List.of(List.of("d", "")));
        Event otherKind = alice.sign(T, 30001, List.of(List.of("d", "a")));
        Event otherAuthor = bob.sign(T, 30000, List.of(List.of("d", "a")));
        assertEquals(Collections.nCopies(7, WriteResult.STORED), write(a1, a2, b, noD, emptyD, otherKind, otherAuthor));

        // A missing d tag and an empty one are the same key; a d tag counts by its first occurrence only.
        assertMatches(filter().authors(alice.pubkey).kinds(30000).build(), a2, b, emptyD);
        assertMatches(filter().kinds(30000, 30001).build(), a2, b, emptyD, otherKind, otherAuthor);
        assertEquals(results(WriteResult.STALE), write(noD));
    }

    @Test
    void versionReplacedEarlierStaysStaleWhenSentAgain() {
        Event v1 = alice.sign(T, 0, List.of(), "v1");
        Event v2 = alice.sign(T + 5, 0, List.of(), "v2");
        assertEquals(results(WriteResult.STORED), write(v1));
        assertEquals(results(WriteResult.STORED), write(v2));
        assertEquals(results(WriteResult.STALE), write(v1));
        assertMatches(Filter.ALL, v2);
    }

    @Test
    void versionsOfOneKeyInOneBatch() {
        Event v1 = alice.sign(T, 10002);
        Event v2 = alice.sign(T + 1, 10002);
        assertEquals(results(WriteResult.STORED, WriteResult.STORED, WriteResult.STALE), write(v1, v2, v1));
        assertMatches(filter().authors(alice.pubkey).build(), v2);

        Event w1 = bob.sign(T, 10002);
        Event w2 = bob.sign(T + 1, 10002);
        assertEquals(results(WriteResult.STORED, WriteResult.STALE), write(w2, w1));
        assertMatches(filter().authors(bob.pubkey).build(), w2);

        Event[] tie = {carol.sign(T, 3, List.of(), "one"), carol.sign(T, 3, List.of(), "two")};
        Arrays.sort(tie, ReferenceStore.NEWEST_FIRST);
        assertEquals(results(WriteResult.STORED, WriteResult.STORED), write(tie[1], tie[0]));
        assertMatches(filter().authors(carol.pubkey).build(), tie[0]);
    }

    // ---- queries -------------------------------------------------------------------------------------------------

    /** Events with three at one timestamp, so every query's order also tests the id tie-break. */
    private final class Corpus {
        final Event a1 = alice.sign(T + 10, 1, List.of(List.of("t", "nostr"), List.of("p", bob.pubkey)));
        final Event a2 = alice.sign(T + 20, 1, List.of(List.of("t", "java"), List.of("e", a1.id())));
        final Event b1 = bob.sign(T + 15, 1, List.of(List.of("t", "nostr"), List.of("t", "java")));
        final Event b2 = bob.sign(T + 20, 7, List.of(List.of("e", a1.id()), List.of("p", alice.pubkey)));
        final Event b3 = bob.sign(T + 25, 1, List.of(List.of("t", "other", "nostr")));
        final Event c1 = carol.sign(T + 5, 30023, List.of(List.of("d", "post"), List.of("T", "Topic")));
        final Event c2 = carol.sign(T + 20, 1, List.of(List.of("t", "nostr"), List.of("L", "x")));
        final Event a3 = alice.sign(T + 5, 7, List.of(List.of("e", b1.id(), "wss://relay"), List.of("t")));
        final List<Event> all = List.of(a1, a2, b1, b2, b3, c1, c2, a3);

        Corpus() {
            assertEquals(Collections.nCopies(all.size(), WriteResult.STORED), write(store, all));
        }
    }

    @Test
    void everyFilterFieldSelectsExactlyItsMatches() {
        Corpus c = new Corpus();
        String unknownId = alice.sign(T, 1, List.of(), "never stored").id();
        assertMatches(Filter.ALL, c.all.toArray(Event[]::new));
        assertMatches(filter().ids(c.a1.id(), c.b2.id(), unknownId).build(), c.a1, c.b2);
        assertMatches(filter().authors(alice.pubkey).build(), c.a1, c.a2, c.a3);
        assertMatches(filter().authors(alice.pubkey, carol.pubkey).build(), c.a1, c.a2, c.a3, c.c1, c.c2);
        assertMatches(filter().kinds(7).build(), c.b2, c.a3);
        assertMatches(filter().kinds(1, 30023).build(), c.a1, c.a2, c.b1, c.b3, c.c1, c.c2);
        assertMatches(filter().tag('e', c.a1.id()).build(), c.a2, c.b2);
        assertMatches(filter().tag('e', c.b1.id()).build(), c.a3);
        assertMatches(filter().tag('p', bob.pubkey).build(), c.a1);
        assertMatches(filter().tag('p', alice.pubkey, bob.pubkey).build(), c.a1, c.b2);
        assertMatches(filter().tag('t', "nostr").build(), c.a1, c.b1, c.c2);
        assertMatches(filter().tag('t', "java").build(), c.a2, c.b1);
        assertMatches(filter().tag('t', "nostr", "java").build(), c.a1, c.a2, c.b1, c.c2);
        assertMatches(filter().tag('T', "Topic").build(), c.c1);
        assertMatches(filter().tag('T', "topic").build());
        assertMatches(filter().tag('t', "Topic").build());
        assertMatches(filter().tag('d', "post").build(), c.c1);
        assertMatches(filter().tag('L', "x").build(), c.c2);
        assertMatches(filter().since(T + 20).build(), c.a2, c.b2, c.b3, c.c2);
        assertMatches(filter().until(T + 10).build(), c.a1, c.c1, c.a3);
        assertMatches(filter().since(T + 10).until(T + 20).build(), c.a1, c.a2, c.b1, c.b2, c.c2);
        assertMatches(filter().since(T + 21).until(T + 20).build());
        assertMatches(filter().since(-5).build(), c.all.toArray(Event[]::new));
        assertMatches(filter().until(-1).build());
    }

    @Test
    void combinedFieldsMustAllMatch() {
        Corpus c = new Corpus();
        assertMatches(filter().authors(alice.pubkey).kinds(1).build(), c.a1, c.a2);
        assertMatches(filter().authors(bob.pubkey).tag('t', "java").build(), c.b1);
        assertMatches(filter().kinds(1).tag('t', "nostr").since(T + 11).build(), c.b1, c.c2);
        assertMatches(filter().authors(alice.pubkey, bob.pubkey).kinds(1, 7).tag('e', c.a1.id()).build(),
                c.a2, c.b2);
        assertMatches(filter().ids(c.a1.id(), c.a2.id()).tag('t', "java").build(), c.a2);
        assertMatches(filter().tag('t', "nostr").tag('p', bob.pubkey).build(), c.a1);
        assertMatches(filter().ids(c.a1.id()).until(T + 9).build());
        assertMatches(filter().authors(carol.pubkey).kinds(1, 30023).until(T + 19).build(), c.c1);
    }

    @Test
    void emptyValueSetsMatchNothing() {
        new Corpus();
        List<Filter> filters = List.of(filter().ids().build(), filter().authors().build(), filter().kinds().build(),
                filter().tag('t').build(), filter().authors(alice.pubkey).tag('t').build(),
                filter().kinds(1).authors().build());
        for (Filter f : filters) {
            QueryPage page = await(store.query(f, null, 100, 100));
            assertEquals(List.of(), page.events(), f.toJson());
            assertNull(page.next(), f.toJson());
        }
    }

    @Test
    void maxEventsLimitsAPageToTheNewest() {
        Corpus c = new Corpus();
        List<Event> newest = c.all.stream().sorted(ReferenceStore.NEWEST_FIRST).limit(3).toList();
        QueryPage page = await(store.query(Filter.ALL, null, 3, UNBOUNDED));
        assertEvents(newest, page.events(), "first page");
        assertNotNull(page.next());
    }

    @Test
    void pagesTogetherEqualOneUnboundedQuery() {
        Corpus c = new Corpus();
        Random random = new Random(7);
        List<Event> more = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Author author = List.of(alice, bob, carol).get(i % 3);
            more.add(author.sign(T + random.nextInt(6), i % 2 == 0 ? 1 : 7,
                    List.of(List.of("t", i % 4 == 0 ? "java" : "nostr")), "more " + i));
        }
        write(store, more);
        List<Filter> filters = List.of(Filter.ALL, filter().tag('t', "nostr", "java").build(),
                filter().authors(alice.pubkey, bob.pubkey).kinds(1, 7).build(), filter().kinds(7).build(),
                filter().ids(c.a1.id(), c.b1.id(), c.c1.id(), more.get(3).id()).build(),
                filter().since(T + 2).until(T + 15).build(), filter().authors(carol.pubkey).tag('t', "java").build());
        int[][] pageSizes = {{1, UNBOUNDED}, {2, UNBOUNDED}, {7, UNBOUNDED}, {UNBOUNDED, 1}, {UNBOUNDED, 2},
                {UNBOUNDED, 5}, {2, 3}, {1, 1}};
        ReferenceStore reference = new ReferenceStore();
        c.all.forEach(reference::write);
        more.forEach(reference::write);
        for (Filter f : filters) {
            List<StoredEvent> whole = queryAll(store, f);
            assertEvents(reference.query(f), whole, f.toJson());
            for (int[] size : pageSizes) {
                assertEquals(whole, query(store, f, size[0], size[1]),
                        f.toJson() + " in pages of " + size[0] + " events, " + size[1] + " scanned");
            }
        }
    }

    @Test
    void pagesBoundedInBytesTogetherEqualOneUnboundedQuery() {
        Corpus c = new Corpus();
        List<Event> more = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // Sizes from a few bytes to a few KiB, so that a byte bound cuts pages at varying counts.
            more.add(List.of(alice, bob, carol).get(i % 3).sign(T + i % 5, 1,
                    List.of(List.of("t", i % 2 == 0 ? "java" : "nostr")), "x".repeat((i * 997) % 4000)));
        }
        write(store, more);
        List<Filter> filters = List.of(Filter.ALL, filter().tag('t', "nostr", "java").build(),
                filter().authors(alice.pubkey, bob.pubkey).kinds(1).build(), filter().since(T + 2).build(),
                filter().ids(c.a1.id(), more.get(3).id(), more.get(17).id()).build());
        for (Filter f : filters) {
            List<StoredEvent> whole = queryAll(store, f);
            assertFalse(whole.isEmpty(), f.toJson());
            for (long maxBytes : new long[] {1, 500, 3000, 20_000}) {
                assertEquals(whole, queryInBytes(store, f, maxBytes), f.toJson() + " in pages of " + maxBytes
                        + " bytes");
            }
            assertEquals(1, await(store.query(f, null, UNBOUNDED, UNBOUNDED, 1)).events().size(),
                    "a page always holds the event that reaches the bound");
        }
    }

    @Test
    void cursorResumesStrictlyAfterItsPosition() {
        Corpus c = new Corpus();
        List<Event> sorted = c.all.stream().sorted(ReferenceStore.NEWEST_FIRST).toList();
        for (int i = 0; i < sorted.size(); i++) {
            Event at = sorted.get(i);
            QueryPage page = await(store.query(Filter.ALL, new QueryCursor(at.createdAt(), at.id()), 100, 100));
            assertEvents(sorted.subList(i + 1, sorted.size()), page.events(), "after " + at);
        }
    }

    // ---- NIP-45 counts -------------------------------------------------------------------------------------------

    protected static EventCount count(EventStore s, List<Filter> filters, int hllOffset, long maxScanned) {
        return await(s.count(filters, hllOffset, maxScanned, Visibility.ALL));
    }

    /** The registers of these events' pubkeys, as {@link dev.strata.model.HllTest} pins the algorithm down. */
    private static String registers(List<Event> events, int offset) {
        Hll hll = new Hll(offset);
        events.forEach(e -> hll.add(Hex.decode(e.pubkey())));
        return hll.toHex();
    }

    protected static Throwable failureOf(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause() : e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the stage completed normally");
    }

    @Test
    void countsEveryFilterShapeExactly() {
        Corpus c = new Corpus();
        ReferenceStore reference = new ReferenceStore();
        c.all.forEach(reference::write);
        List<Filter> filters = List.of(Filter.ALL, filter().ids(c.a1.id(), c.b2.id()).build(),
                filter().authors(alice.pubkey).build(), filter().kinds(7).build(), filter().kinds(1, 30023).build(),
                filter().tag('e', c.a1.id()).build(), filter().tag('t', "nostr", "java").build(),
                filter().tag('t', "nostr").tag('p', bob.pubkey).build(), filter().authors(bob.pubkey).kinds(1).build(),
                filter().kinds(7).tag('e', c.a1.id()).build(), filter().since(T + 10).until(T + 20).build(),
                filter().kinds(1).tag('t', "nostr").since(T + 11).build(), filter().ids(c.a1.id()).until(T + 9).build(),
                filter().kinds().build(), filter().tag('t').build(), filter().tag('T', "topic").build());
        for (Filter f : filters) {
            assertEquals(new EventCount(reference.countable(List.of(f)).size(), null),
                    count(store, List.of(f), -1, Long.MAX_VALUE), f.toJson());
        }
        // Limits do not apply to a count.
        Filter limited = new Filter(null, null, null, null, null, null, 1);
        assertEquals(c.all.size(), count(store, List.of(limited), -1, Long.MAX_VALUE).count());
    }

    @Test
    void filtersAreOredIntoOneNumberOfDistinctEvents() {
        Corpus c = new Corpus();
        List<Filter> overlapping = List.of(filter().tag('t', "nostr").build(), filter().authors(alice.pubkey).build(),
                filter().kinds(1).build());
        // a1, b1, c2 (nostr) + a2, a3 (alice) + b3 (kind 1): each once.
        assertEquals(6, count(store, overlapping, -1, Long.MAX_VALUE).count());
        assertEquals(2, count(store, List.of(filter().ids(c.a1.id()).build(), filter().ids(c.a1.id()).build(),
                filter().ids(c.b1.id()).build()), -1, Long.MAX_VALUE).count());
    }

    @Test
    void replacedVersionsAreNotCounted() {
        write(alice.sign(T, 3, List.of(List.of("p", bob.pubkey))), bob.sign(T, 3, List.of(List.of("p", bob.pubkey))));
        write(alice.sign(T + 1, 3, List.of(List.of("p", carol.pubkey))));
        Filter followersOfBob = filter().kinds(3).tag('p', bob.pubkey).build();
        assertEquals(1, count(store, List.of(followersOfBob), -1, Long.MAX_VALUE).count());
        assertEquals(2, count(store, List.of(filter().kinds(3).build()), -1, Long.MAX_VALUE).count());
    }

    @Test
    void theHyperLogLogHasTheRegistersOfTheCountedPubkeys() {
        Random random = new Random(45);
        String target = alice.sign(T, 1).id();
        List<Event> reactions = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Author reactor = Author.random(random);
            reactions.add(reactor.sign(T + i, 7, List.of(List.of("e", target)), "+"));
            write(reactor.sign(T + i, 1, List.of(List.of("e", target)), "a reply, not counted"));
        }
        write(store, reactions);
        int offset = Hll.offsetOf(Map.of("#e", List.of(target)));
        Filter f = filter().kinds(7).tag('e', target).build();
        assertEquals(new EventCount(60, registers(reactions, offset)), count(store, List.of(f), offset,
                Long.MAX_VALUE));
        // Two filters with the same offset: the union's registers.
        Filter replies = filter().kinds(1).tag('e', target).build();
        EventCount both = count(store, List.of(f, replies), offset, Long.MAX_VALUE);
        assertEquals(120, both.count());
        List<Event> all = new ArrayList<>(reactions);
        all.addAll(queryAll(store, replies).stream().map(e -> Values.parse(e.json())).toList());
        assertEquals(registers(all, offset), both.hll());
        assertEquals(new EventCount(0, "00".repeat(256)),
                count(store, List.of(filter().kinds(7).tag('e', "nothing").build()), 9, Long.MAX_VALUE));
    }

    @Test
    void aCountPastItsBudgetIsRefusedAsBlocked() {
        new Corpus();
        Throwable refused = failureOf(store.count(List.of(Filter.ALL), -1, 3, Visibility.ALL));
        assertInstanceOf(RejectedExecutionException.class, refused);
        assertTrue(refused.getMessage().startsWith("blocked: "), refused.getMessage());
        assertEquals(8, count(store, List.of(Filter.ALL), -1, 100).count());
        assertInstanceOf(IllegalArgumentException.class,
                failureOf(store.count(List.of(filter().search("nostr").build()), -1, 100,
                        Visibility.ALL)));
    }

    @Test
    void privateKindsAreCountedOnlyForTheirParties() {
        Event dm = alice.sign(T, 4, List.of(List.of("p", bob.pubkey)), "alice to bob");
        Event wrap = carol.sign(T + 1, 1059, List.of(List.of("p", bob.pubkey)), "sealed for bob");
        Event note = alice.sign(T + 2, 1, List.of(List.of("p", bob.pubkey)), "alice in public");
        write(dm, wrap, note);
        PrivateKinds dmsAndWraps = PrivateKinds.parse("4,1059");
        Filter taggingBob = filter().tag('p', bob.pubkey).build();
        Filter privateKinds = filter().kinds(4, 1059).build();
        Map<Set<String>, List<Long>> expected = Map.of(Set.of(), List.of(1L, 0L), Set.of(carol.pubkey), List.of(2L, 1L),
                Set.of(alice.pubkey), List.of(2L, 1L), Set.of(bob.pubkey), List.of(3L, 2L),
                Set.of(alice.pubkey, carol.pubkey), List.of(3L, 2L));
        for (Map.Entry<Set<String>, List<Long>> reader : expected.entrySet()) {
            Visibility v = new Visibility(dmsAndWraps, reader.getKey());
            assertEquals(reader.getValue(), List.of(await(store.count(List.of(taggingBob), -1, 100, v)).count(),
                    await(store.count(List.of(privateKinds), -1, 100, v)).count()), "readers " + reader.getKey());
        }
        Visibility bobs = new Visibility(dmsAndWraps, Set.of(bob.pubkey));
        assertEquals(2, await(store.count(List.of(filter().kinds(1, 4).build(), privateKinds), -1, 100,
                Visibility.of(dmsAndWraps, List.of(alice.pubkey)))).count());
        assertEquals(3, await(store.count(List.of(filter().kinds(1, 4).build(), privateKinds), -1, 100, bobs))
                .count());
    }

    // ---- NIP-50 search -------------------------------------------------------------------------------------------

    /** Contents where any engine's ranking agrees on who is best. */
    private final class Texts {
        final Event s1 = alice.sign(T + 1, 1, List.of(), "nostr nostr nostr relay");
        final Event s2 = bob.sign(T + 2, 1, List.of(), "a long note about many things and, once, nostr, among lots "
                + "of other words that say nothing in particular at all");
        final Event s3 = carol.sign(T + 3, 1, List.of(), "NOSTR Relays are fun");
        final Event s4 = carol.sign(T + 4, 1, List.of(), "nothing relevant");
        final Event s5 = carol.sign(T + 5, 30023, List.of(List.of("d", "post")), "nostr relay");
        final Event s6 = alice.sign(T + 6, 1, List.of(List.of("t", "java")), "relay, nostr!");
        final Event s7 = bob.sign(T + 7, 1, List.of(), "ünïcødé wörds");
        final List<Event> all = List.of(s1, s2, s3, s4, s5, s6, s7);

        Texts() {
            assertEquals(Collections.nCopies(all.size(), WriteResult.STORED), write(store, all));
        }
    }

    private List<String> searchIds(Filter f) {
        return queryAll(store, f).stream().map(StoredEvent::id).toList();
    }

    private static Set<String> ids(Event... events) {
        Set<String> out = new HashSet<>();
        for (Event e : events) {
            out.add(e.id());
        }
        return out;
    }

    @Test
    void searchFindsEveryWordInContentBestFirst() {
        Texts t = new Texts();
        List<String> nostr = searchIds(filter().search("nostr").build());
        assertEquals(ids(t.s1, t.s2, t.s3, t.s5, t.s6), new HashSet<>(nostr));
        assertEquals(t.s1.id(), nostr.get(0), "three times the word beats once");
        assertEquals(nostr.size(), new HashSet<>(nostr).size(), "each event once");
        assertEquals(ids(t.s1, t.s5, t.s6), new HashSet<>(searchIds(filter().search("Relay NOSTR").build())));
        assertEquals(nostr, searchIds(filter().search("nostr include:spam language:en").build()),
                "extensions are ignored");
        assertEquals(List.of(t.s7.id()), searchIds(filter().search("WÖRDS").build()));
        assertEquals(List.of(), searchIds(filter().search("zebra").build()));
        assertEquals(List.of(), searchIds(filter().search("nostr zebra").build()));
        assertEquals(List.of(), searchIds(filter().search("!!!").build()));
    }

    @Test
    void searchIsCombinedWithEveryOtherField() {
        Texts t = new Texts();
        assertEquals(List.of(t.s5.id()), searchIds(filter().search("nostr").kinds(30023).build()));
        assertEquals(ids(t.s1, t.s6), new HashSet<>(searchIds(filter().search("nostr").authors(alice.pubkey).build())));
        assertEquals(List.of(t.s6.id()), searchIds(filter().search("nostr").tag('t', "java").build()));
        assertEquals(List.of(t.s5.id()), searchIds(filter().search("relay").tag('d', "post").build()));
        assertEquals(ids(t.s2, t.s3), new HashSet<>(searchIds(filter().search("nostr").since(T + 2).until(T + 3)
                .build())));
        assertEquals(List.of(t.s2.id()), searchIds(filter().search("nostr").ids(t.s2.id(), t.s4.id()).build()));
        assertEquals(List.of(), searchIds(filter().search("nostr").kinds().build()));
    }

    @Test
    void encryptedMessagesAndRepostsAreNotSearched() {
        Event note = alice.sign(T + 1, 1, List.of(), "secret meeting at noon");
        Event dm = alice.sign(T + 2, 4, List.of(List.of("p", bob.pubkey)), "secret meeting at noon");
        Event repost = bob.sign(T + 3, 6, List.of(List.of("e", note.id())), note.toJson());
        Event wrap = carol.sign(T + 4, 1059, List.of(List.of("p", bob.pubkey)), "secret meeting");
        write(note, dm, repost, wrap);
        assertEquals(List.of(note.id()), searchIds(filter().search("secret meeting").build()));
        assertEquals(List.of(), searchIds(filter().search("secret").kinds(4, 6, 1059).build()));
        assertEquals(List.of(dm.id()), searchIds(filter().kinds(4).build()), "stored and served, only not searched");
    }

    @Test
    void searchPagesTogetherEqualOnePageAndTiesGoNewestFirst() {
        Texts t = new Texts();
        Event tieOld = carol.sign(T - 5, 1, List.of(), "tie break words");
        Event[] tieSame = {alice.sign(T - 1, 1, List.of(), "tie break words"),
                bob.sign(T - 1, 1, List.of(), "tie break words")};
        Arrays.sort(tieSame, ReferenceStore.NEWEST_FIRST);
        write(tieOld, tieSame[1], tieSame[0]);
        assertEquals(List.of(tieSame[0].id(), tieSame[1].id(), tieOld.id()),
                searchIds(filter().search("tie break").build()));
        for (String words : List.of("nostr", "tie words", "relay")) {
            Filter f = filter().search(words).build();
            List<StoredEvent> whole = queryAll(store, f);
            for (int size : new int[] {1, 2, 3}) {
                assertEquals(whole, query(store, f, size, UNBOUNDED), words + " in pages of " + size);
            }
        }
        for (long maxBytes : new long[] {1, 1000}) {
            Filter f = filter().search("nostr").build();
            assertEquals(queryAll(store, f), queryInBytes(store, f, maxBytes), "nostr in pages of " + maxBytes
                    + " bytes");
        }
        QueryPage best = await(store.query(filter().search("nostr").build(), null, 1, UNBOUNDED));
        assertEquals(List.of(t.s1.id()), best.events().stream().map(StoredEvent::id).toList(),
                "the limit applies after ranking");
        assertNotNull(best.next());
    }

    @Test
    void replacedVersionsLeaveTheSearch() {
        write(alice.sign(T, 0, List.of(), "{\"about\":\"nostr developer\"}"));
        Event v2 = alice.sign(T + 1, 0, List.of(), "{\"about\":\"java developer\"}");
        write(v2);
        assertEquals(List.of(), searchIds(filter().search("nostr").build()));
        assertEquals(List.of(v2.id()), searchIds(filter().search("developer").build()));
    }

    @Test
    void aSearchMatchingMoreThanItsBudgetIsRefusedAsBlocked() {
        new Texts();
        Throwable refused = failureOf(store.query(filter().search("nostr").build(), null, 10, 4));
        assertInstanceOf(RejectedExecutionException.class, refused);
        assertTrue(refused.getMessage().startsWith("blocked: "), refused.getMessage());
        assertEquals(5, await(store.query(filter().search("nostr").build(), null, 10, 5)).events().size());
    }

    // ---- NIP-09 deletion -----------------------------------------------------------------------------------------

    private static List<String> e(Event target) {
        return List.of("e", target.id());
    }

    private static List<String> a(Event version) {
        return List.of("a", version.kind() + ":" + version.pubkey() + ":" + version.dTag());
    }

    /** A kind 5 naming these tags as its targets. */
    private static Event deletion(Author author, long createdAt, List<List<String>> targets) {
        return author.sign(createdAt, 5, targets, "deleted");
    }

    @Test
    void aDeletionRemovesItsAuthorsTargetsOnlyAndIsServedItself() {
        Event a1 = alice.sign(T, 1, List.of(), "a1");
        Event a2 = alice.sign(T + 1, 1, List.of(), "a2");
        Event b1 = bob.sign(T, 1, List.of(), "b1");
        write(a1, a2, b1);
        Event d = deletion(alice, T + 5, List.of(e(a1), e(b1), List.of("e", "not an id"), List.of("e"),
                List.of("k", "1")));
        assertEquals(results(WriteResult.STORED), write(d));

        assertMatches(Filter.ALL, a2, b1, d);
        assertMatches(filter().ids(a1.id()).build());
        assertMatches(filter().authors(alice.pubkey).kinds(1).build(), a2);
        assertEquals(results(WriteResult.DELETED, WriteResult.DUPLICATE, WriteResult.DUPLICATE), write(a1, b1, d));
        assertMatches(Filter.ALL, a2, b1, d);
    }

    @Test
    void aDeletionThatArrivesFirstRefusesItsTargetWhenItComes() {
        Event early = alice.sign(T, 1, List.of(), "published after its deletion");
        Event bobsNote = bob.sign(T, 1, List.of(), "named by alice's deletion");
        write(deletion(alice, T + 5, List.of(e(early), e(bobsNote))));
        // The id belongs to bob's event: alice's tombstone for it can never match.
        assertEquals(results(WriteResult.DELETED, WriteResult.STORED), write(early, bobsNote));
        assertMatches(filter().kinds(1).build(), bobsNote);
    }

    @Test
    void deletionsInOneBatchApplyInOrder() {
        Event first = alice.sign(T, 1, List.of(), "stored, then deleted");
        Event later = alice.sign(T + 1, 1, List.of(), "refused");
        Event d = deletion(alice, T + 2, List.of(e(first), e(later)));
        assertEquals(results(WriteResult.STORED, WriteResult.STORED, WriteResult.DELETED, WriteResult.DELETED),
                write(first, d, later, later));
        assertMatches(Filter.ALL, d);
    }

    @Test
    void deletingADeletionOrARequestToVanishHasNoEffect() {
        Event note = alice.sign(T, 1, List.of(), "note");
        Event d1 = deletion(alice, T + 1, List.of(e(note)));
        Event vanish = alice.sign(T - 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        write(note, d1, vanish);
        Event d2 = alice.sign(T + 2, 5, List.of(), "future request");
        Event d3 = deletion(alice, T + 3, List.of(e(d1), e(vanish), e(d2)));
        assertEquals(results(WriteResult.STORED, WriteResult.STORED), write(d3, d2));
        assertMatches(Filter.ALL, d3, d2, d1, vanish);
        assertEquals(results(WriteResult.DELETED), write(note));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 10002, 30023})
    void anAddressDeletionRemovesVersionsUpToItsCreatedAtNowAndLater(int kind) {
        List<List<String>> d = kind >= 30000 ? List.of(List.of("d", "post")) : List.of();
        Event version = alice.sign(T + 10, kind, d, "v");
        Event otherD = alice.sign(T + 10, 30023, List.of(List.of("d", "other")), "other address");
        Event bobs = bob.sign(T + 10, kind, d, "bob's version");
        write(version, otherD, bobs);
        Event request = deletion(alice, T + 20, List.of(a(version), a(bobs)));
        assertEquals(results(WriteResult.STORED), write(request));
        assertMatches(Filter.ALL, otherD, bobs, request);

        Event older = alice.sign(T + 15, kind, d, "older");
        Event asOld = alice.sign(T + 20, kind, d, "as old");
        Event newer = alice.sign(T + 21, kind, d, "newer");
        assertEquals(results(WriteResult.DELETED, WriteResult.DELETED, WriteResult.DELETED, WriteResult.STORED),
                write(version, older, asOld, newer));
        Filter versions = filter().ids(version.id(), older.id(), asOld.id(), newer.id()).build();
        assertMatches(versions, newer);

        // A second deletion older than the stored version leaves it, and never lowers the cutoff.
        assertEquals(results(WriteResult.STORED), write(deletion(alice, T + 18, List.of(a(version)))));
        assertMatches(versions, newer);
        assertEquals(results(WriteResult.DELETED), write(alice.sign(T + 19, kind, d, "still refused")));
    }

    // ---- NIP-62 request to vanish --------------------------------------------------------------------------------

    private static Event giftWrap(Author wrapper, long createdAt, Author recipient) {
        return wrapper.sign(createdAt, 1059, List.of(List.of("p", recipient.pubkey)), "sealed");
    }

    @Test
    void aRequestToVanishRemovesItsAuthorsEventsAndGiftWrapsToThemUpToItsCreatedAt() {
        Event note = alice.sign(T, 1, List.of(), "note");
        Event profile = alice.sign(T + 1, 0, List.of(), "{}");
        Event article = alice.sign(T + 2, 30023, List.of(List.of("d", "a")), "article");
        Event request = deletion(alice, T + 3, List.of(List.of("e", carol.sign(T, 1).id())));
        Event wrapToAlice = giftWrap(carol, T + 5, alice);
        Event wrapToBob = giftWrap(carol, T + 5, bob);
        Event mention = carol.sign(T + 5, 1, List.of(List.of("p", alice.pubkey)), "mentions alice");
        Event later = alice.sign(T + 20, 1, List.of(), "after the request");
        Event laterWrap = giftWrap(bob, T + 20, alice);
        Event bobs = bob.sign(T, 1, List.of(), "bob");
        List<Event> before = List.of(note, profile, article, request, wrapToAlice, wrapToBob, mention, later,
                laterWrap, bobs);
        write(store, before);

        Event vanish = alice.sign(T + 10, 62, List.of(List.of("relay", "ALL_RELAYS")), "forget me");
        assertEquals(results(WriteResult.STORED), write(vanish));
        assertMatches(Filter.ALL, vanish, wrapToBob, mention, later, laterWrap, bobs);

        assertEquals(Collections.nCopies(5, WriteResult.VANISHED),
                write(store, List.of(note, profile, article, request, wrapToAlice)));
        assertEquals(results(WriteResult.VANISHED, WriteResult.STORED, WriteResult.VANISHED, WriteResult.STORED),
                write(alice.sign(T + 10, 1, List.of(), "as old"), alice.sign(T + 11, 0, List.of(), "{}"),
                        giftWrap(bob, T + 9, alice), giftWrap(bob, T + 11, alice)));
        // Requests to vanish are kept, whatever their time; an older one changes nothing.
        Event olderVanish = alice.sign(T + 6, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        assertEquals(results(WriteResult.STORED), write(olderVanish));
        assertEquals(results(WriteResult.VANISHED), write(alice.sign(T + 8, 1, List.of(), "still refused")));
    }

    @Test
    void theCutoffOfARequestToVanishIsThereForEventsThatAreNeverStored() {
        assertEquals(Map.of(), await(store.vanishCutoffs(Set.of(alice.pubkey, bob.pubkey))));
        write(alice.sign(T + 10, 62, List.of(List.of("relay", "ALL_RELAYS")), "forget me"));
        assertEquals(Map.of(alice.pubkey, T + 10), await(store.vanishCutoffs(Set.of(alice.pubkey, bob.pubkey))));
        // A later request moves the cutoff; an older one does not bring it back.
        write(alice.sign(T + 20, 62, List.of(List.of("relay", "ALL_RELAYS")), "again"));
        write(alice.sign(T + 15, 62, List.of(List.of("relay", "ALL_RELAYS")), "older"));
        assertEquals(Map.of(alice.pubkey, T + 20), await(store.vanishCutoffs(Set.of(alice.pubkey))));
        assertEquals(Map.of(), await(store.vanishCutoffs(Set.of())));
    }

    @Test
    void aRequestToVanishRemovesFarMoreEventsThanOneTransactionHolds() {
        List<Event> notes = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            notes.add(alice.sign(T + i % 100, 1, List.of(List.of("t", "many")), "note " + i));
        }
        List<Event> wraps = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            wraps.add((i % 2 == 0 ? bob : carol).sign(T + i % 100, 1059, List.of(List.of("p", alice.pubkey)),
                    "sealed " + i));
        }
        Event kept = alice.sign(T + 200, 1, List.of(), "after the request");
        assertEquals(Collections.nCopies(notes.size(), WriteResult.STORED), write(store, notes));
        assertEquals(Collections.nCopies(wraps.size(), WriteResult.STORED), write(store, wraps));
        write(kept);
        Event vanish = alice.sign(T + 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        assertEquals(results(WriteResult.STORED), write(vanish));
        assertMatches(Filter.ALL, kept, vanish);
        assertEquals(0, await(store.purge(10)), "nothing left to finish");
        assertMatches(Filter.ALL, kept, vanish);
    }

    // ---- NIP-40 expiration ---------------------------------------------------------------------------------------

    private static List<String> expiration(long at) {
        return List.of("expiration", Long.toString(at));
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Test
    void expiredEventsAreNeverServedAndThePurgeRemovesThem() {
        long past = now() - 60;
        Event expired = alice.sign(T, 1, List.of(expiration(past)), "expired");
        Event expiredToo = bob.sign(T + 1, 7, List.of(List.of("t", "x"), expiration(1)), "long expired");
        Event notYet = alice.sign(T + 2, 1, List.of(expiration(now() + 3600)), "not yet");
        Event plain = bob.sign(T + 3, 1, List.of(), "plain");
        assertEquals(Collections.nCopies(4, WriteResult.STORED), write(expired, expiredToo, notYet, plain));

        assertMatches(Filter.ALL, notYet, plain);
        assertMatches(filter().ids(expired.id(), expiredToo.id()).build());
        assertMatches(filter().tag('t', "x").build());
        assertEquals(results(WriteResult.DUPLICATE), write(expired));

        assertEquals(1, await(store.purge(1)));
        assertEquals(1, await(store.purge(10)));
        assertEquals(0, await(store.purge(10)));
        assertMatches(Filter.ALL, notYet, plain);
        // Gone for good: written again, it is new (the relay refuses it before the store).
        assertEquals(results(WriteResult.STORED), write(expired));
        assertMatches(Filter.ALL, notYet, plain);
    }

    @Test
    void anExpiredVersionNoLongerHoldsItsKey() {
        Event expiredVersion = alice.sign(T + 10, 30000, List.of(List.of("d", "k"), expiration(1)), "expired");
        Event older = alice.sign(T, 30000, List.of(List.of("d", "k")), "older");
        assertEquals(results(WriteResult.STORED, WriteResult.STORED), write(expiredVersion, older));
        assertMatches(filter().kinds(30000).build(), older);
        assertEquals(0, await(store.purge(10)), "the replaced version left with its expiration");

        Event expiredProfile = bob.sign(T + 10, 0, List.of(expiration(1)), "{}");
        write(expiredProfile);
        assertEquals(1, await(store.purge(10)));
        Event olderProfile = bob.sign(T, 0, List.of(), "{}");
        assertEquals(results(WriteResult.STORED), write(olderProfile));
        assertMatches(filter().kinds(0).build(), olderProfile);
    }

    @Test
    void expiredEventsAreNeitherCountedNorFoundBySearch() {
        Event expired = alice.sign(T, 1, List.of(List.of("t", "gone"), expiration(1)), "expired seagull words");
        Event kept = alice.sign(T + 1, 1, List.of(List.of("t", "gone")), "kept seagull words");
        write(expired, kept);
        // A lone tag is counted from the tag index alone on PostgreSQL; the other shapes read events.
        for (Filter f : List.of(filter().tag('t', "gone").build(), filter().authors(alice.pubkey).build(),
                filter().authors(alice.pubkey).tag('t', "gone").build(), Filter.ALL)) {
            assertEquals(1, count(store, List.of(f), -1, Long.MAX_VALUE).count(), f.toJson());
        }
        assertEquals(List.of(kept.id()), await(store.query(filter().search("seagull").build(), null, 10, 100))
                .events().stream().map(StoredEvent::id).toList());
    }

    @Test
    void anEventIsHiddenOnceItsExpirationPasses() throws InterruptedException {
        long expiresAt = now() + 2;
        Event soon = alice.sign(T, 1, List.of(expiration(expiresAt)), "soon gone");
        write(soon);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (now() < expiresAt) {
            List<String> found = queryAll(store, Filter.ALL).stream().map(StoredEvent::id).toList();
            // The store read the clock between the two calls of now().
            if (now() < expiresAt) {
                assertEquals(List.of(soon.id()), found);
            }
            assertTrue(System.nanoTime() < deadline, "the clock did not reach the expiration");
            Thread.sleep(50); // polling the clock, not waiting for the store
        }
        assertMatches(Filter.ALL);
        assertMatches(filter().ids(soon.id()).build());
    }

    // ---- durability ----------------------------------------------------------------------------------------------

    @Test
    void eventsSurviveCloseAndReopen() throws Exception {
        Corpus c = new Corpus();
        Event v1 = alice.sign(T, 0, List.of(), "v1");
        Event v2 = alice.sign(T + 1, 0, List.of(), "v2");
        write(v1, v2);
        List<StoredEvent> before = queryAll(store, Filter.ALL);
        store.close();

        EventStore again = track(reopen());
        assertEquals(before, queryAll(again, Filter.ALL));
        assertEquals(List.of(v2.id()), queryAll(again, filter().search("v2").build()).stream().map(StoredEvent::id)
                .toList());
        assertEquals(1, count(again, List.of(filter().kinds(7).tag('p', alice.pubkey).build()), -1, 100).count());
        assertEquals(before.stream().filter(e -> e.id().equals(c.b2.id())).toList(),
                queryAll(again, filter().kinds(7).tag('p', alice.pubkey).build()));
        assertEquals(results(WriteResult.DUPLICATE, WriteResult.STALE, WriteResult.DUPLICATE),
                write(again, List.of(c.a1, v1, v2)));
    }

    @Test
    void tombstonesAndExpirationsSurviveCloseAndReopen() throws Exception {
        Event note = alice.sign(T, 1, List.of(), "deleted by id");
        Event article = alice.sign(T, 30023, List.of(List.of("d", "x")), "deleted by address");
        Event bobs = bob.sign(T, 1, List.of(), "vanished");
        Event expired = carol.sign(T, 1, List.of(expiration(1)), "expired");
        write(note, article, bobs, expired);
        write(deletion(alice, T + 5, List.of(e(note), a(article))),
                bob.sign(T + 5, 62, List.of(List.of("relay", "ALL_RELAYS")), ""));
        List<StoredEvent> before = queryAll(store, Filter.ALL);
        store.close();

        EventStore again = track(reopen());
        assertEquals(before, queryAll(again, Filter.ALL));
        assertEquals(results(WriteResult.DELETED, WriteResult.DELETED, WriteResult.VANISHED, WriteResult.DUPLICATE),
                write(again, List.of(note, alice.sign(T + 5, 30023, List.of(List.of("d", "x")), "as old"), bobs,
                        expired)));
        assertEquals(1, await(again.purge(10)));
    }

    // ---- concurrency ---------------------------------------------------------------------------------------------

    @Test
    void concurrentWritersLeaveOneVersionPerKey() throws Exception {
        Random random = new Random(11);
        List<Author> authors = List.of(alice, bob, carol);
        List<Event> regular = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            regular.add(authors.get(i % 3).sign(T + random.nextInt(20), 1, List.of(List.of("t", "c")), "r" + i));
        }
        List<Event> versions = new ArrayList<>();
        for (Author author : authors) {
            for (int v = 0; v < 6; v++) {
                versions.add(author.sign(T + random.nextInt(3), 0, List.of(), "profile " + v));
                versions.add(author.sign(T + random.nextInt(3), 10002, List.of(), "relays " + v));
                versions.add(author.sign(T + random.nextInt(3), 30000, List.of(List.of("d", v % 2 == 0 ? "a" : "b")),
                        "set " + v));
            }
        }
        List<Event> pool = new ArrayList<>(regular);
        pool.addAll(versions);

        int threads = 4;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        List<Future<Map<Event, List<WriteResult>>>> outcomes = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                List<Event> mine = new ArrayList<>(pool);
                Collections.shuffle(mine, new Random(t));
                outcomes.add(executor.submit(() -> writeInChunks(mine, new Random(mine.size()))));
            }
            Map<Event, List<WriteResult>> all = new HashMap<>();
            for (Future<Map<Event, List<WriteResult>>> outcome : outcomes) {
                outcome.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .forEach((e, r) -> all.computeIfAbsent(e, k -> new ArrayList<>()).addAll(r));
            }

            ReferenceStore reference = new ReferenceStore();
            pool.forEach(reference::write);
            List<Event> expected = reference.query(Filter.ALL);
            assertEvents(expected, queryAll(store, Filter.ALL), "the final state");
            for (Event e : expected) {
                List<WriteResult> r = all.get(e);
                assertEquals(1, Collections.frequency(r, WriteResult.STORED), "stored once: " + e + " " + r);
                assertEquals(threads - 1, Collections.frequency(r, WriteResult.DUPLICATE), e + " " + r);
            }
            assertEquals(regular.size() + 3 * 4, expected.size(), "each author keeps kind 0, 10002, 30000:a, 30000:b");
        } finally {
            executor.shutdownNow();
        }
    }

    private Map<Event, List<WriteResult>> writeInChunks(List<Event> events, Random random) {
        Map<Event, List<WriteResult>> out = new HashMap<>();
        for (int i = 0; i < events.size(); ) {
            List<Event> chunk = events.subList(i, Math.min(events.size(), i + 1 + random.nextInt(8)));
            List<WriteResult> results = write(store, chunk);
            for (int j = 0; j < chunk.size(); j++) {
                out.computeIfAbsent(chunk.get(j), k -> new ArrayList<>()).add(results.get(j));
            }
            i += chunk.size();
        }
        return out;
    }

    // ---- differential --------------------------------------------------------------------------------------------

    /**
     * Thousands of random events (deletion requests, requests to vanish and expirations among them) and hundreds of
     * random filters: the store must agree with {@link ReferenceStore} on every write result and on every query,
     * read in random page sizes.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void agreesWithTheReferenceModel(long seed) {
        Random random = new Random(seed);
        RandomWorkload workload = new RandomWorkload(random, 4);
        ReferenceStore reference = new ReferenceStore();
        int[] pageSizes = {1, 3, 10, 1000, UNBOUNDED};
        int[] scanSizes = {1, 7, 50, UNBOUNDED};
        Set<WriteResult> outcomes = new HashSet<>();
        for (int round = 0; round < 4; round++) {
            for (int written = 0; written < 500; ) {
                List<Event> batch = new ArrayList<>();
                for (int n = 1 + random.nextInt(25); n > 0; n--) {
                    batch.add(workload.nextEvent());
                }
                List<WriteResult> expected = batch.stream().map(reference::write).toList();
                assertEquals(expected, write(store, batch), "seed " + seed + ": results of " + batch);
                outcomes.addAll(expected);
                written += batch.size();
            }
            for (int q = 0; q < 60; q++) {
                Filter f = workload.nextFilter();
                int maxEvents = pageSizes[random.nextInt(pageSizes.length)];
                int maxScanned = scanSizes[random.nextInt(scanSizes.length)];
                assertEvents(reference.query(f), query(store, f, maxEvents, maxScanned),
                        "seed " + seed + ", round " + round + ", filter " + f.toJson() + " in pages of " + maxEvents
                                + " events, " + maxScanned + " scanned");
            }
            for (int q = 0; q < 30; q++) {
                List<Filter> filters = new ArrayList<>();
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    filters.add(workload.nextFilter());
                }
                int offset = random.nextBoolean() ? 8 + random.nextInt(16) : -1;
                List<Event> expected = reference.countable(filters);
                assertEquals(new EventCount(expected.size(), offset < 0 ? null : registers(expected, offset)),
                        count(store, filters, offset, Long.MAX_VALUE),
                        "seed " + seed + ", round " + round + ", COUNT of " + filters.stream().map(Filter::toJson)
                                .toList());
            }
        }
        assertEquals(Set.of(WriteResult.Status.values()), outcomes.stream().map(WriteResult::status).collect(
                Collectors.toSet()), "seed " + seed + ": the workload produces every outcome");
    }
}
