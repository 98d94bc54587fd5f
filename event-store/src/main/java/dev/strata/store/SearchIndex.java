package dev.strata.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopFieldDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.lmdbjava.Cursor;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Txn;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.SearchQuery;

/**
 * NIP-50 search on the embedded engine: a Lucene index of every stored event, kept in step with LMDB by one thread
 * that applies the {@link SearchLog} in order. LMDB stays the truth; the index only ranks.
 *
 * <p><b>Never losing searchability.</b> Each Lucene commit records the log number it reached (and which LMDB store
 * and which document layout it belongs to); the writer drops log entries only up to that number. After a crash,
 * whether before or after either commit, the index reopens at its last commit and reads the log from there: every
 * entry is idempotent (insert = update by id, of the event as LMDB holds it now, skipped when it is gone by then;
 * delete = delete by id). An index that is missing, of another store, of another layout, or older than what the log
 * still holds is rebuilt from the events table, then brought up to date from the log number read before the scan.
 *
 * <p><b>Fresh results.</b> A search first waits (asynchronously, at most {@link #CATCH_UP_WAIT}) until the index has
 * applied the log as far as it stood when the search began, so an event is found as soon as its OK was sent. While
 * the index is being rebuilt, searches fail rather than answer from half an index.
 *
 * <p>Documents hold the content (standard tokenizer, lower-cased, no stop words, no stemming: a word in any language
 * matches itself) and the fields Lucene narrows by cheaply before ranking: id, pubkey, kind and created_at. Tags are
 * left out (a contact list alone would add hundreds of terms): every event a search returns is read from LMDB and
 * checked against the whole filter, and a page that this check shortens is followed by the next one. Events whose
 * content is not text for people to search are not indexed at all ({@link SearchQuery#UNSEARCHED_KINDS}).
 *
 * <p><b>Cost.</b> Making new documents visible to searches writes a segment, and many small segments cost merges:
 * the index is refreshed when a search waits for it, and at each commit, not after every batch the writer stored.
 */
final class SearchIndex implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SearchIndex.class.getName());
    /** The document layout below; an index of another layout is rebuilt. */
    private static final String LAYOUT = "2";
    private static final String SEQ_KEY = "strata.search_log_seq";
    private static final String STORE_KEY = "strata.store_id";
    private static final String LAYOUT_KEY = "strata.layout";
    static final Duration CATCH_UP_WAIT = Duration.ofSeconds(5);
    /** Log entries read from LMDB in one read transaction. */
    private static final int ROUND = 1024;
    private static final Set<Integer> UNSEARCHED_KINDS = SearchQuery.UNSEARCHED_KINDS;
    private static final long MIN_PARK_NANOS = 1_000_000;
    private static final Sort RANKING = new Sort(SortField.FIELD_SCORE,
            new SortField("created_at", SortField.Type.LONG, true), new SortField("id", SortField.Type.STRING));

    private final Tables tables;
    private final SearchLog log;
    private final long commitIntervalNanos;
    private final Directory directory;
    private final Analyzer analyzer = new StandardAnalyzer(CharArraySet.EMPTY_SET);
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Thread thread;
    /** The log number the writer holds everything up to; -1 until the index is ready. Indexer thread only. */
    private long applied = -1;
    /** The log number the searchers see everything up to; -1 until the index is ready. */
    private volatile long visible = -1;
    private long committed;
    /** While rebuilding: the id of the last event indexed, the next chunk starts after it. Indexer thread only. */
    private byte[] rebuildFrom;
    private long lastCommitNanos = System.nanoTime();
    private volatile boolean stopping;
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(long seq, CompletableFuture<Void> done) {
    }

    private SearchIndex(Tables tables, SearchLog log, Path dir, Duration commitInterval) throws IOException {
        this.tables = tables;
        this.log = log;
        this.commitIntervalNanos = commitInterval.toNanos();
        this.directory = FSDirectory.open(dir);
        this.writer = new IndexWriter(directory, new IndexWriterConfig(analyzer)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
        this.searchers = new SearcherManager(writer, null);
        this.thread = new Thread(this::run, "strata-search-indexer");
        thread.setDaemon(true);
    }

    /** Opens the index in {@code dir} and starts catching up with the log (or rebuilding) in the background. */
    static SearchIndex open(Tables tables, SearchLog log, Path dir, Duration commitInterval) throws IOException {
        SearchIndex index = new SearchIndex(tables, log, dir, commitInterval);
        log.onCommit(index::wake);
        index.thread.start();
        return index;
    }

    private void wake() {
        LockSupport.unpark(thread);
    }

    // ---- the indexer thread ----------------------------------------------------------------------------------------

    private void run() {
        while (!stopping) {
            try {
                if (applied < 0) {
                    prepare();
                }
                boolean more = applyRound();
                if (hasWaiters()) {
                    publish(applied);
                }
                maybeCommit(false);
                if (!more && !stopping) {
                    // Until woken by a write, or until the next commit is due when there is something to commit.
                    long wait = applied > committed
                            ? commitIntervalNanos - (System.nanoTime() - lastCommitNanos) : commitIntervalNanos;
                    LockSupport.parkNanos(this, Math.max(MIN_PARK_NANOS, wait));
                }
            } catch (IOException | RuntimeException e) {
                // The log keeps every change, so nothing is lost: try again in a moment.
                LOG.log(System.Logger.Level.ERROR, "search index: " + e, e);
                LockSupport.parkNanos(this, Duration.ofSeconds(1).toNanos());
            }
        }
    }

    /** Resumes from the last commit, or rebuilds when the commit cannot be resumed from. */
    private void prepare() throws IOException {
        Map<String, String> data = DirectoryReader.indexExists(directory)
                ? SegmentInfos.readLatestCommit(directory).getUserData() : Map.of();
        long[] pruned = new long[1];
        String storeId = tables.readPrimary(txn -> {
            pruned[0] = SearchLog.pruned(tables, txn);
            return SearchLog.storeId(tables, txn);
        });
        String seq = data.get(SEQ_KEY);
        if (seq != null && storeId.equals(data.get(STORE_KEY)) && LAYOUT.equals(data.get(LAYOUT_KEY))
                && Long.parseLong(seq) >= pruned[0]) {
            committed = Long.parseLong(seq);
            log.indexed(committed);
            publish(committed);
            return;
        }
        System.Logger.Level level = seq == null && data.isEmpty() ? System.Logger.Level.DEBUG
                : System.Logger.Level.INFO;
        LOG.log(level, "search index: rebuilding from the stored events");
        writer.deleteAll();
        // The log number first, then the events in short read transactions (a long one would hold LMDB's map
        // resizing off for the whole rebuild): whatever changes meanwhile is in the log after that number, and
        // replaying it over what the scan saw is idempotent.
        long upTo = tables.readPrimary(txn -> SearchLog.last(tables, txn));
        long count = 0;
        rebuildFrom = null;
        while (true) {
            byte[][] last = {null};
            count += tables.readPrimary(txn -> rebuildChunk(txn, last));
            if (last[0] == null) {
                break;
            }
            rebuildFrom = last[0];
        }
        rebuildFrom = null;
        commit(upTo, storeId);
        LOG.log(count > 0 ? System.Logger.Level.INFO : level, "search index: rebuilt, " + count + " events");
        publish(upTo);
    }

    /** Indexes the next {@link #ROUND} events after {@link #rebuildFrom}; {@code last[0]} is the last id, or null. */
    private int rebuildChunk(Txn<ByteBuffer> txn, byte[][] last) {
        int n = 0;
        try (Cursor<ByteBuffer> c = tables.events.openCursor(txn)) {
            boolean found;
            if (rebuildFrom == null) {
                found = c.seek(SeekOp.MDB_FIRST);
            } else {
                found = c.get(Keys.bytes(ByteBuffer.allocateDirect(Keys.ID_BYTES), rebuildFrom),
                        org.lmdbjava.GetOp.MDB_SET_RANGE);
                if (found && isKey(c.key(), rebuildFrom)) {
                    found = c.next();
                }
            }
            for (; found && n < ROUND; found = c.next()) {
                Event e = Values.event(c.val());
                if (!UNSEARCHED_KINDS.contains(e.kind())) {
                    writer.addDocument(document(e));
                }
                last[0] = new byte[Keys.ID_BYTES];
                c.key().get(0, last[0]);
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    private static boolean isKey(ByteBuffer key, byte[] id) {
        if (key.remaining() != id.length) {
            return false;
        }
        for (int i = 0; i < id.length; i++) {
            if (key.get(i) != id[i]) {
                return false;
            }
        }
        return true;
    }

    /** Applies up to one round of log entries to the writer; true when more may be waiting. */
    private boolean applyRound() throws IOException {
        long from = applied;
        int[] n = new int[1];
        long upTo = tables.readPrimary(txn -> SearchLog.read(tables, txn, from, ROUND, (op, id) -> {
            n[0]++;
            Term term = new Term("id", Hex.encode(id));
            try {
                if (op == SearchLog.INSERT) {
                    ByteBuffer value = tables.events.get(txn, Keys.bytes(ByteBuffer.allocateDirect(Keys.ID_BYTES),
                            id));
                    // Gone already: a later entry of the log deletes it.
                    if (value != null) {
                        Event e = Values.event(value);
                        if (!UNSEARCHED_KINDS.contains(e.kind())) {
                            writer.updateDocument(term, document(e));
                        }
                    }
                } else {
                    writer.deleteDocuments(term);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
        if (n[0] > 0) {
            applied = upTo;
        }
        return n[0] == ROUND;
    }

    private boolean hasWaiters() {
        synchronized (waiters) {
            return !waiters.isEmpty();
        }
    }

    /** Makes everything applied up to {@code seq} visible to searches, and tells who waits for it. */
    private void publish(long seq) throws IOException {
        applied = seq;
        if (seq == visible) {
            return;
        }
        searchers.maybeRefreshBlocking();
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (waiters) {
            visible = seq;
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.seq <= seq) {
                    ready.add(w.done);
                    it.remove();
                }
            }
        }
        ready.forEach(f -> f.complete(null));
    }

    private void maybeCommit(boolean now) throws IOException {
        if (applied > committed && (now || System.nanoTime() - lastCommitNanos >= commitIntervalNanos)) {
            commit(applied, tables.readPrimary(txn -> SearchLog.storeId(tables, txn)));
        }
    }

    private void commit(long seq, String storeId) throws IOException {
        writer.setLiveCommitData(Map.of(SEQ_KEY, Long.toString(seq), STORE_KEY, storeId, LAYOUT_KEY, LAYOUT)
                .entrySet());
        writer.commit();
        publish(seq);
        committed = seq;
        lastCommitNanos = System.nanoTime();
        log.indexed(seq);
    }

    private static Document document(Event e) {
        Document doc = new Document();
        doc.add(new StringField("id", e.id(), Field.Store.NO));
        doc.add(new SortedDocValuesField("id", new BytesRef(Hex.decode(e.id()))));
        doc.add(new StringField("pubkey", e.pubkey(), Field.Store.NO));
        doc.add(new IntPoint("kind", e.kind()));
        doc.add(new LongPoint("created_at", e.createdAt()));
        doc.add(new NumericDocValuesField("created_at", e.createdAt()));
        doc.add(new TextField("content", e.content(), Field.Store.NO));
        return doc;
    }

    // ---- searching ---------------------------------------------------------------------------------------------

    /** Completes once searches see the log up to {@code seq}; fails when that takes longer than the wait allows. */
    CompletableFuture<Void> whenApplied(long seq) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (waiters) {
            if (visible >= seq) {
                return CompletableFuture.completedFuture(null);
            }
            waiters.add(new Waiter(seq, done));
        }
        wake();
        return done.orTimeout(CATCH_UP_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    if (e != null) {
                        synchronized (waiters) {
                            waiters.removeIf(w -> w.done == done);
                        }
                    }
                });
    }

    /**
     * One page of a search filter's matches, best first, read in {@code txn}.
     *
     * @throws RejectedExecutionException ({@code blocked:}) when more than {@code maxScanned} events match: ranking
     *                                    would have to examine them all
     */
    QueryPage search(Txn<ByteBuffer> txn, Filter filter, QueryCursor after, int maxEvents, int maxScanned,
                     long maxBytes) {
        Query query = query(filter);
        IndexSearcher searcher;
        try {
            searcher = searchers.acquire();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            int matches = searcher.count(query);
            if (matches > maxScanned) {
                throw new RejectedExecutionException("blocked: the search matches more than " + maxScanned
                        + " events; add words or narrow it with authors, kinds, tags or a time window");
            }
            int wanted = (int) Math.min(Integer.MAX_VALUE, (long) maxEvents + 1);
            TopFieldDocs top = after == null
                    ? searcher.search(query, wanted, RANKING, true)
                    : searcher.searchAfter(fieldDoc(after, searcher.getIndexReader().maxDoc()), query, wanted,
                            RANKING, true);
            Filter rest = filter.withoutSearch();
            long now = System.currentTimeMillis() / 1000;
            List<StoredEvent> events = new ArrayList<>();
            ByteBuffer key = ByteBuffer.allocateDirect(Keys.ID_BYTES);
            int inPage = Math.min(maxEvents, top.scoreDocs.length);
            int examined = 0;
            long bytes = 0;
            while (examined < inPage && bytes < maxBytes) {
                Object[] fields = ((FieldDoc) top.scoreDocs[examined++]).fields;
                byte[] id = BytesRef.deepCopyOf((BytesRef) fields[2]).bytes;
                ByteBuffer value = tables.events.get(txn, Keys.bytes(key, id));
                if (value == null) {
                    continue; // deleted since the index saw it
                }
                if (Values.isExpired(value, now)) {
                    continue; // NIP-40, as for a query
                }
                byte[] json = Values.jsonBytes(value);
                Event e = Values.parse(new String(json, StandardCharsets.UTF_8));
                if (rest.matches(e)) {
                    events.add(new StoredEvent(e.id(), e.createdAt(), json));
                    bytes += json.length;
                }
            }
            QueryCursor next = null;
            if (top.scoreDocs.length > examined) {
                Object[] last = ((FieldDoc) top.scoreDocs[examined - 1]).fields;
                next = new QueryCursor((Long) last[1], Hex.encode(BytesRef.deepCopyOf((BytesRef) last[2]).bytes),
                        (Float) last[0]);
            }
            return new QueryPage(events, next, matches);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                searchers.release(searcher);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "search index: " + e);
            }
        }
    }

    /**
     * The cursor as Lucene's "after": ids are unique, so only the cursor's own event has all its sort values, and
     * the highest document number leaves that one out.
     */
    private static FieldDoc fieldDoc(QueryCursor after, int maxDoc) {
        if (after.score() == null || after.id() == null || !Hex.isLowerHex(after.id(), 64)) {
            throw new IllegalArgumentException("not a search cursor: " + after);
        }
        return new FieldDoc(Math.max(0, maxDoc - 1), after.score(),
                new Object[] {after.score(), after.createdAt(), new BytesRef(Hex.decode(after.id()))});
    }

    /** The whole filter as one Lucene query: the words must all be there, every other field filters. */
    private Query query(Filter filter) {
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        List<String> words = words(SearchQuery.parse(filter.search()).text());
        if (words.isEmpty()) {
            return new MatchNoDocsQuery("no word to search for");
        }
        for (String word : words) {
            q.add(new TermQuery(new Term("content", word)), Occur.MUST);
        }
        if (filter.ids() != null) {
            q.add(new TermInSetQuery("id", filter.ids().stream().map(BytesRef::new).toList()), Occur.FILTER);
        }
        if (filter.authors() != null) {
            q.add(new TermInSetQuery("pubkey", filter.authors().stream().map(BytesRef::new).toList()), Occur.FILTER);
        }
        if (filter.kinds() != null) {
            q.add(IntPoint.newSetQuery("kind", filter.kinds()), Occur.FILTER);
        }
        if (filter.kinds() != null && UNSEARCHED_KINDS.containsAll(filter.kinds())) {
            return new MatchNoDocsQuery("only kinds that are not indexed");
        }
        if (filter.since() != null || filter.until() != null) {
            q.add(LongPoint.newRangeQuery("created_at", filter.since() == null ? Long.MIN_VALUE : filter.since(),
                    filter.until() == null ? Long.MAX_VALUE : filter.until()), Occur.FILTER);
        }
        return q.build();
    }

    /** The search text cut into words exactly as content is, each once. */
    private List<String> words(String text) {
        Set<String> out = new LinkedHashSet<>();
        try (TokenStream tokens = analyzer.tokenStream("content", text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                out.add(term.toString());
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out);
    }

    /** Bytes of the index's files; a file merged away while they are listed counts for nothing. */
    long diskSizeBytes() {
        long total = 0;
        try {
            for (String file : directory.listAll()) {
                try {
                    total += directory.fileLength(file);
                } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException gone) {
                    // deleted by a merge or a commit since the listing
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }

    /** Applies and commits what the log holds, then closes the files. The store's writer must be closed already. */
    @Override
    public void close() {
        stopping = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            wake();
            try {
                thread.join(100);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            if (applied >= 0) {
                while (applyRound()) {
                    // until the log is drained
                }
                maybeCommit(true);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "search index: not committed at close, it catches up at the next "
                    + "open: " + e);
        }
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "search index: " + e);
        }
        synchronized (waiters) {
            waiters.forEach(w -> w.done.completeExceptionally(new IllegalStateException("the event store is closed")));
            waiters.clear();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
