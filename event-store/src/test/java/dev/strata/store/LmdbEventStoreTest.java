package dev.strata.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.strata.model.Event;
import dev.strata.model.Filter;

/** The contract on LMDB, plus what only this engine has: map growth, the write queue bound, the files. */
class LmdbEventStoreTest extends EventStoreContract {
    /** Tiny, so that the contract's own tests grow the map too. */
    private static final long TINY_MAP = 1 << 20;

    @TempDir
    Path tmp;

    private static LmdbConfig config(Path dir, long initialMapSize, int writeQueueCapacity) {
        return new LmdbConfig(dir, initialMapSize, LmdbConfig.DEFAULT_MAX_BATCH, 2,
                writeQueueCapacity);
    }

    @Override
    protected EventStore newStore() throws IOException {
        return LmdbEventStore.open(
                config(tmp.resolve("contract"), TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY));
    }

    @Override
    protected EventStore reopen() throws IOException {
        return newStore();
    }

    /** A store of the LMDB-specific tests, in its own directory: LMDB must not open one environment twice. */
    private LmdbEventStore open(long initialMapSize, int writeQueueCapacity) throws IOException {
        return track(LmdbEventStore.open(config(tmp.resolve("own"), initialMapSize, writeQueueCapacity)));
    }

    private static List<Event> events(int count, int contentBytes) {
        Random random = new Random(count);
        Author author = Author.random(random);
        String padding = "p".repeat(contentBytes);
        List<Event> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(author.sign(RandomWorkload.BASE_TIME + i % 1000, 1,
                    List.of(List.of("t", "topic" + i % 7), List.of("e", Author.random(random).pubkey)), i + padding));
        }
        return out;
    }

    private static Throwable failure(CompletionStage<?> stage) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void mapGrowsPastATinyInitialSizeWhileQueriesRun() throws IOException {
        LmdbEventStore store = open(64 << 10, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> events = events(400, 8 << 10);
        for (int i = 0; i < events.size(); i += 40) {
            CompletionStage<List<WriteResult>> written = store.write(events.subList(i, i + 40));
            CompletionStage<QueryPage> read = store.query(Filter.ALL, null, 50, 1000);
            assertEquals(Collections.nCopies(40, WriteResult.STORED), await(written));
            await(read);
        }
        assertTrue(store.diskSizeBytes() > 3 << 20, "the files hold the 3+ MiB written");
        List<Event> expected = new ArrayList<>(events);
        expected.sort(ReferenceStore.NEWEST_FIRST);
        assertEquals(expected.stream().map(Event::toJson).toList(),
                queryAll(store, Filter.ALL).stream().map(StoredEvent::json).toList());
    }

    @Test
    void aWriteLargerThanTheQueueIsRateLimited() throws IOException {
        LmdbEventStore store = open(TINY_MAP, 4);
        List<Event> events = events(5, 0);
        Throwable refused = failure(store.write(events));
        assertTrue(refused.getMessage().startsWith("rate-limited:"), refused.getMessage());
        assertEquals(Collections.nCopies(4, WriteResult.STORED), await(store.write(events.subList(0, 4))));
        assertEquals(List.of(WriteResult.DUPLICATE, WriteResult.DUPLICATE, WriteResult.DUPLICATE, WriteResult.STORED),
                await(store.write(events.subList(1, 5))));
    }

    @Test
    void aLargeWriteIsFoundAfterReopening() throws Exception {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> events = events(5000, 0);
        assertEquals(Collections.nCopies(events.size(), WriteResult.STORED), await(store.write(events)));
        store.close();

        LmdbEventStore again = open(64 << 10, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> expected = new ArrayList<>(events);
        expected.sort(ReferenceStore.NEWEST_FIRST);
        assertEquals(expected.stream().map(Event::id).toList(),
                queryAll(again, Filter.ALL).stream().map(StoredEvent::id).toList());
        List<Event> more = events(2000, 100);
        assertEquals(Collections.nCopies(more.size(), WriteResult.STORED), await(again.write(more)));
        assertEquals(Collections.nCopies(3, WriteResult.DUPLICATE), await(again.write(events.subList(0, 3))));
    }

    @Test
    void writesAcceptedBeforeCloseAreCommitted() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> events = events(300, 0);
        CompletionStage<List<WriteResult>> written = store.write(events);
        store.close();
        assertEquals(Collections.nCopies(events.size(), WriteResult.STORED), await(written));
        assertEquals(events.size(), queryAll(open(TINY_MAP, 1), Filter.ALL).size());
    }

    private static List<String> search(EventStore store, String words) {
        return queryAll(store, new Filter(null, null, null, null, null, null, null, words)).stream()
                .map(StoredEvent::id).sorted().toList();
    }

    private static List<String> ids(List<Event> events) {
        return events.stream().map(Event::id).sorted().toList();
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Test
    void aMissingSearchIndexIsRebuiltFromTheStoredEvents() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        Author author = Author.random(new Random(5));
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            events.add(author.sign(RandomWorkload.BASE_TIME + i, 1, List.of(), "rebuilt word " + i));
        }
        write(store, events);
        store.close();
        delete(tmp.resolve("own").resolve("search"));
        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(ids(events), search(again, "rebuilt"));
    }

    /**
     * The index as it was at an earlier commit (as after a crash that lost everything it applied since), while
     * LMDB went on: reopened, it catches up with the inserts and deletes it missed.
     */
    @Test
    void aSearchIndexBehindTheStoreCatchesUpWithWhatItMissed() throws IOException {
        Path dir = tmp.resolve("behind");
        LmdbConfig config = new LmdbConfig(dir, TINY_MAP, LmdbConfig.DEFAULT_MAX_BATCH, 2,
                LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY, java.time.Duration.ofHours(1));
        Author author = Author.random(new Random(3));
        Event v1 = author.sign(RandomWorkload.BASE_TIME, 0, List.of(), "profile lemon");
        List<Event> early = List.of(v1, author.sign(RandomWorkload.BASE_TIME, 1, List.of(), "early lemon"));
        LmdbEventStore store = track(LmdbEventStore.open(config));
        write(store, early);
        store.close();
        copy(dir.resolve("search"), tmp.resolve("old-index"));

        store = track(LmdbEventStore.open(config));
        Event v2 = author.sign(RandomWorkload.BASE_TIME + 1, 0, List.of(), "profile lime");
        List<Event> late = List.of(v2, author.sign(RandomWorkload.BASE_TIME + 2, 1, List.of(), "late lemon"));
        write(store, late);
        store.close();
        delete(dir.resolve("search"));
        copy(tmp.resolve("old-index"), dir.resolve("search"));

        LmdbEventStore again = track(LmdbEventStore.open(config));
        assertEquals(ids(List.of(early.get(1), late.get(1))), search(again, "lemon"), "v1 was replaced by v2");
        assertEquals(ids(List.of(v2)), search(again, "lime"));
    }

    @Test
    void aClosedStoreRefusesWorkAndClosesOnce() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        store.close();
        store.close();
        assertInstanceOf(IllegalStateException.class, failure(store.write(events(1, 0))));
        assertInstanceOf(IllegalStateException.class, failure(store.query(Filter.ALL, null, 10, 10)));
    }

    @Test
    void aPageMustAllowAtLeastOneEventAndOneScan() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertInstanceOf(IllegalArgumentException.class, failure(store.query(Filter.ALL, null, 0, 10)));
        assertInstanceOf(IllegalArgumentException.class, failure(store.query(Filter.ALL, null, 10, 0)));
        assertInstanceOf(IllegalArgumentException.class,
                failure(store.query(Filter.ALL, new QueryCursor(1, "not hex"), 10, 10)));
    }

    @Test
    void anIndexTheMachineMayHaveTornIsRebuiltFromTheEvents() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> events = events(300, 10);
        await(store.write(events));
        store.close();
        // What an open store leaves when the machine goes down: the state of another boot, and an index that may
        // hold anything (here: nothing at all).
        Path dir = tmp.resolve("own");
        Files.writeString(dir.resolve("index.state"), "open 00000000-0000-0000-0000-000000000000\n");
        deleteIndexFiles(dir);

        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> expected = new ArrayList<>(events);
        expected.sort(ReferenceStore.NEWEST_FIRST);
        assertEquals(expected.stream().map(Event::id).toList(),
                queryAll(again, Filter.ALL).stream().map(StoredEvent::id).toList());
        assertEquals(expected.stream().filter(e -> e.tags().get(0).get(1).equals("topic3")).map(Event::id).toList(),
                queryAll(again, FilterBuilder.filter().tag('t', "topic3").build()).stream().map(StoredEvent::id)
                        .toList());
        assertEquals(Collections.nCopies(3, WriteResult.DUPLICATE), await(again.write(events.subList(0, 3))));
    }

    @Test
    void aCleanlyClosedIndexIsTrustedAndNotRebuilt() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        await(store.write(events(50, 0)));
        store.close();
        Path dir = tmp.resolve("own");
        assertEquals("clean", Files.readString(dir.resolve("index.state")).trim());
        // An emptied index that is trusted stays empty: the proof that a clean close spares the rebuild.
        deleteIndexFiles(dir);
        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(List.of(), queryAll(again, Filter.ALL));
        assertTrue(Files.readString(dir.resolve("index.state")).startsWith("open "), "marked open again");
    }

    @Test
    void indexWorkACrashCutOffIsReplayedAtTheNextOpen() throws IOException {
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> events = events(20, 0);
        await(store.write(events));
        store.close();
        // A process killed between a batch's primary commit and its index commit: the events and their pending
        // entries are stored, their index entries are not.
        Path dir = tmp.resolve("own");
        List<Event> cutOff = events.subList(5, 12);
        try (Tables tables = Tables.open(dir, TINY_MAP)) {
            IndexWork unindex = new IndexWork();
            IndexWork pending = new IndexWork();
            for (Event e : cutOff) {
                unindex.remove(e, Keys.id(e.id()));
            }
            new IndexApplier(tables).commit(List.of(unindex));
            try (var txn = tables.writePrimary()) {
                var serial = java.nio.ByteBuffer.allocateDirect(Long.BYTES);
                long n = 0;
                for (Event e : cutOff) {
                    serial.clear();
                    Values.writePendingAdd(tables.pending.reserve(txn, serial.putLong(n++).flip(),
                            Values.PENDING_ADD_BYTES), Keys.id(e.id()));
                }
                txn.commit();
            }
            assertEquals(events.size() - cutOff.size(), countAll(tables));
        }
        new IndexTrust(dir).opened(); // the same boot: the index is whole, only behind

        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        List<Event> expected = new ArrayList<>(events);
        expected.sort(ReferenceStore.NEWEST_FIRST);
        assertEquals(expected.stream().map(Event::id).toList(),
                queryAll(again, Filter.ALL).stream().map(StoredEvent::id).toList());
    }

    /**
     * What a request to vanish leaves when the relay dies after the transaction that stored it, before its removals
     * are done: the request, its tombstone and its mark, with the author's events still stored.
     */
    private Path cutOffVanish(Author author, List<Event> events, Event request) throws IOException {
        Path dir = tmp.resolve("own");
        LmdbEventStore store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(List.of(WriteResult.STORED), await(store.write(List.of(request))));
        store.close();
        byte[] pubkey = Keys.author(author.pubkey);
        java.nio.ByteBuffer key = java.nio.ByteBuffer.allocateDirect(Keys.ID_BYTES);
        try (Tables tables = Tables.open(dir, TINY_MAP); var txn = tables.writePrimary()) {
            tables.vanished.delete(txn, Keys.bytes(key, pubkey)); // so that the events below can be written
            txn.commit();
        }
        store = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(Collections.nCopies(events.size(), WriteResult.STORED), await(store.write(events)));
        store.close();
        java.nio.ByteBuffer cutoff = java.nio.ByteBuffer.allocateDirect(Long.BYTES);
        cutoff.putLong(request.createdAt()).flip();
        try (Tables tables = Tables.open(dir, TINY_MAP); var txn = tables.writePrimary()) {
            tables.vanished.put(txn, Keys.bytes(key, pubkey), cutoff);
            tables.vanishing.put(txn, Keys.bytes(key, pubkey), cutoff);
            txn.commit();
        }
        return dir;
    }

    @Test
    void theRemovalsOfARequestToVanishCutOffByACrashAreFinishedByThePurge() throws IOException {
        Author author = Author.random(new Random(61));
        Event request = author.sign(RandomWorkload.BASE_TIME + 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            events.add(author.sign(RandomWorkload.BASE_TIME + i % 100, 1, List.of(), "left behind " + i));
        }
        cutOffVanish(author, events, request);

        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(1 + events.size(), queryAll(again, Filter.ALL).size(), "left behind until the purge");
        assertEquals(0, await(again.purge(10)));
        assertEquals(List.of(request.id()), queryAll(again, Filter.ALL).stream().map(StoredEvent::id).toList());
        assertEquals(List.of(WriteResult.VANISHED), await(again.write(events.subList(0, 1))));
    }

    @Test
    void aRequestToVanishSentAgainFinishesItsRemovalsBeforeItIsAnswered() throws IOException {
        Author author = Author.random(new Random(62));
        Event request = author.sign(RandomWorkload.BASE_TIME + 100, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            events.add(author.sign(RandomWorkload.BASE_TIME + i, 1, List.of(), "left behind " + i));
        }
        cutOffVanish(author, events, request);

        LmdbEventStore again = open(TINY_MAP, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY);
        assertEquals(List.of(WriteResult.DUPLICATE), await(again.write(List.of(request))));
        assertEquals(List.of(request.id()), queryAll(again, Filter.ALL).stream().map(StoredEvent::id).toList());
    }

    private static long countAll(Tables tables) {
        return tables.read((indexTxn, primaryTxn) -> tables.index(Index.CREATED).stat(indexTxn).entries);
    }

    private static void deleteIndexFiles(Path dir) throws IOException {
        try (var files = Files.list(Tables.indexDir(dir))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
    }
}
