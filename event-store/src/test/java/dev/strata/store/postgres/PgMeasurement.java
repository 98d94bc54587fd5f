package dev.strata.store.postgres;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.store.QueryCursor;
import dev.strata.store.QueryPage;
import dev.strata.store.WriteResult;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * Timings of the PostgreSQL engine against a real server; not part of the test suite (run it by hand, see
 * {@code event-store/POSTGRES-RESULTS.md}). Works in schemas of its own and drops them at the end.
 *
 * <ol>
 *   <li>Batch insert: pre-signed events (signing is not timed) written in batches of 1024, as the ingest tier
 *       batches, by one writer and by four concurrent writers; regular events only, then a mix with 5%
 *       replaceable and addressable versions (the locked transaction path).</li>
 *   <li>Query latency: a table of {@code --events} synthetic events ({@link SyntheticEvents}), then each filter
 *       shape of the contract suite, its first page of up to 500 events read through {@code query()} one at a time,
 *       with the values rotated, reporting p50 and p99.</li>
 * </ol>
 *
 * <p>Arguments: {@code --events N} (default 1,000,000), {@code --insert N} pre-signed events (default 100,000),
 * {@code --rounds N} queries per shape (default 200). The database is {@code STRATA_TEST_PG_URL}, as for the tests.
 */
public final class PgMeasurement {
    private static final int BATCH = 1024;
    private static final int PAGE = 500;

    private PgMeasurement() {
    }

    public static void main(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        int events = Integer.parseInt(options.getOrDefault("--events", "1000000"));
        int inserts = Integer.parseInt(options.getOrDefault("--insert", "100000"));
        int rounds = Integer.parseInt(options.getOrDefault("--rounds", "200"));
        Vertx vertx = Vertx.vertx();
        Pool admin = TestDatabase.admin(vertx, 2);
        List<String> schemas = new ArrayList<>();
        try {
            System.out.printf(Locale.ROOT, "PostgreSQL: %s%n",
                    TestDatabase.rows(admin, "SELECT version()").get(0).getString(0));
            System.out.printf(Locale.ROOT, "JVM: %s %s, %d cores%n", System.getProperty("java.vm.name"),
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
            measureInserts(vertx, schemas, inserts);
            measureQueries(vertx, admin, schemas, events, rounds);
        } finally {
            schemas.forEach(s -> TestDatabase.dropSchema(admin, s));
            TestDatabase.result(admin.close());
            TestDatabase.result(vertx.close());
        }
    }

    private static PgConfig config(String schema) {
        return new PgConfig(TestDatabase.URL, 8, Duration.ofSeconds(60), 64, schema, null);
    }

    // ---- inserts -------------------------------------------------------------------------------------------------

    private static void measureInserts(Vertx vertx, List<String> schemas, int count) {
        System.out.printf(Locale.ROOT, "%nsigning %,d events (not timed)...%n", 2 * count);
        List<Event> regular = sign(count, 0, new Random(1));
        List<Event> mixed = sign(count, 5, new Random(2));
        for (int writers : new int[] {1, 4}) {
            for (Map.Entry<String, List<Event>> load : Map.of("regular", regular, "5% replaceable", mixed)
                    .entrySet()) {
                String schema = TestDatabase.newSchema();
                schemas.add(schema);
                PgEventStore store = TestDatabase.open(vertx, config(schema));
                try {
                    long start = System.nanoTime();
                    int stored = writeAll(store, load.getValue(), writers);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf(Locale.ROOT, "insert %-15s %d writer(s): %,9.0f events/s (%,d events, %,d "
                            + "stored, %.1f s, batches of %d)%n", load.getKey(), writers,
                            load.getValue().size() / seconds, load.getValue().size(), stored, seconds, BATCH);
                } finally {
                    store.close();
                }
            }
        }
    }

    /** Events of 200 authors with e, p and t tags and ~150 bytes of content; {@code versionsPercent} replaceable. */
    private static List<Event> sign(int count, int versionsPercent, Random random) {
        List<TestAuthor> authors = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            authors.add(TestAuthor.random(random));
        }
        List<Event> out = new ArrayList<>(count);
        String text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
                + "labore et dolore magna aliqua. Ut enim ad minim veniam, ";
        for (int i = 0; i < count; i++) {
            TestAuthor author = authors.get(random.nextInt(authors.size()));
            long createdAt = 1_700_000_000L + i;
            if (random.nextInt(100) < versionsPercent) {
                int kind = List.of(0, 3, 10002, 30023).get(random.nextInt(4));
                List<List<String>> tags = kind == 30023 ? List.of(List.of("d", "post" + random.nextInt(20)))
                        : List.of();
                out.add(author.sign(createdAt - random.nextInt(100), kind, tags, text + i));
            } else {
                out.add(author.sign(createdAt, 1, List.of(
                        List.of("e", SyntheticEvents.id(random.nextInt(10_000))),
                        List.of("p", authors.get(random.nextInt(authors.size())).pubkey),
                        List.of("t", "topic" + random.nextInt(50))), text + i));
            }
        }
        return out;
    }

    private static int writeAll(PgEventStore store, List<Event> events, int writers) {
        List<Thread> threads = new ArrayList<>();
        int[] stored = new int[writers];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                for (int from = writer * BATCH; from < events.size(); from += writers * BATCH) {
                    List<WriteResult> results = TestDatabase.await(
                            store.write(events.subList(from, Math.min(events.size(), from + BATCH))));
                    stored[writer] += (int) results.stream().filter(WriteResult.STORED::equals).count();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return Arrays.stream(stored).sum();
    }

    // ---- queries -------------------------------------------------------------------------------------------------

    private static void measureQueries(Vertx vertx, Pool admin, List<String> schemas, int count, int rounds) {
        String schema = TestDatabase.newSchema();
        schemas.add(schema);
        PgEventStore store = TestDatabase.open(vertx, config(schema));
        try {
            System.out.printf(Locale.ROOT, "%ngenerating %,d events with SQL...%n", count);
            long start = System.nanoTime();
            int step = 100_000;
            for (long from = 1; from <= count; from += step) {
                TestDatabase.result(SyntheticEvents.generate(admin, schema, from, Math.min(count, from + step - 1),
                        SyntheticEvents.authors(count)));
            }
            long size = TestDatabase.result(store.measureDiskSize());
            System.out.printf(Locale.ROOT, "generated in %.0f s; tables and indexes: %,d MB%n",
                    (System.nanoTime() - start) / 1e9, size >> 20);
            System.out.printf(Locale.ROOT, "%nfirst page of up to %d events, %d queries per shape, one at a time:%n",
                    PAGE, rounds);
            System.out.printf(Locale.ROOT, "%-34s %9s %9s %9s %8s%n", "shape", "p50 ms", "p99 ms", "max ms", "events");
            for (Map.Entry<String, IntFunction<Shape>> shape : shapes(count).entrySet()) {
                for (int i = 0; i < 20; i++) {
                    run(store, shape.getValue().apply(i));
                }
                long[] nanos = new long[rounds];
                long events = 0;
                for (int i = 0; i < rounds; i++) {
                    Shape s = shape.getValue().apply(i);
                    long t0 = System.nanoTime();
                    events += run(store, s).events().size();
                    nanos[i] = System.nanoTime() - t0;
                }
                Arrays.sort(nanos);
                System.out.printf(Locale.ROOT, "%-34s %9.2f %9.2f %9.2f %8d%n", shape.getKey(),
                        nanos[rounds / 2] / 1e6, nanos[(int) Math.ceil(rounds * 0.99) - 1] / 1e6,
                        nanos[rounds - 1] / 1e6, events / rounds);
            }
        } finally {
            store.close();
        }
    }

    private static QueryPage run(PgEventStore store, Shape shape) {
        CompletionStage<QueryPage> page = store.query(shape.filter, shape.cursor, PAGE, PAGE);
        return TestDatabase.await(page);
    }

    private record Shape(Filter filter, QueryCursor cursor) {
        Shape(Filter filter) {
            this(filter, null);
        }
    }

    private static Filter filter(Set<String> ids, Set<String> authors, Set<Integer> kinds,
                                 Map<Character, Set<String>> tags, Long since, Long until) {
        return new Filter(ids, authors, kinds, tags, since, until, null);
    }

    /** Each shape as a function of the round, so that successive queries ask for different values. */
    private static Map<String, IntFunction<Shape>> shapes(int count) {
        int authors = SyntheticEvents.authors(count);
        long newest = SyntheticEvents.createdAt(count);
        Map<String, IntFunction<Shape>> out = new LinkedHashMap<>();
        out.put("ids (1)", i -> new Shape(filter(Set.of(SyntheticEvents.id(1 + i * 4999L % count)), null, null,
                null, null, null)));
        out.put("ids (10)", i -> {
            Set<String> ids = new java.util.HashSet<>();
            for (int k = 0; k < 10; k++) {
                ids.add(SyntheticEvents.id(1 + (i * 10L + k) * 7919 % count));
            }
            return new Shape(filter(ids, null, null, null, null, null));
        });
        out.put("authors (1, ~60 events)", i -> new Shape(filter(null, Set.of(SyntheticEvents.pubkey(1 + i)), null,
                null, null, null)));
        out.put("authors (1, 1% of all events)", i -> new Shape(filter(null,
                Set.of(SyntheticEvents.pubkey(SyntheticEvents.PROLIFIC_AUTHOR)), null, null, null, null)));
        out.put("authors (10)", i -> new Shape(filter(null, authorSet(i, 10, authors), null, null, null, null)));
        out.put("authors (10) + kinds (1, 6, 7)", i -> new Shape(filter(null, authorSet(i, 10, authors),
                Set.of(1, 6, 7), null, null, null)));
        out.put("authors (1) + kinds (1)", i -> new Shape(filter(null, Set.of(SyntheticEvents.pubkey(1 + i)),
                Set.of(1), null, null, null)));
        out.put("kinds (rare, 1%)", i -> new Shape(filter(null, null, Set.of(SyntheticEvents.RARE_KIND), null,
                null, null)));
        out.put("kinds (common, 60%)", i -> new Shape(filter(null, null, Set.of(1), null, null, null)));
        // Even events refer to odd ids only: 1, 3, ..., 499, each by 1 in 1000 events.
        out.put("#e (1 value, 0.1% of events)", i -> new Shape(filter(null, null, null,
                Map.of('e', Set.of(SyntheticEvents.id(1 + (2 * i) % 500))), null, null)));
        out.put("#p (1 value, ~60 events)", i -> new Shape(filter(null, null, null,
                Map.of('p', Set.of(SyntheticEvents.pubkey(1 + i))), null, null)));
        out.put("#t (1 value, 0.8% of events)", i -> new Shape(filter(null, null, null,
                Map.of('t', Set.of("topic" + i % 40)), null, null)));
        out.put("#t (3 values)", i -> new Shape(filter(null, null, null,
                Map.of('t', Set.of("topic" + i % 40, "topic" + (i + 1) % 40, "topic" + (i + 2) % 40)), null,
                null)));
        out.put("#T (rare letter)", i -> new Shape(filter(null, null, null, Map.of('T', Set.of("Topic" + i % 10)),
                null, null)));
        out.put("since+until (~1000 s window)", i -> {
            long until = newest - 1000L * i;
            return new Shape(filter(null, null, null, null, until - 1000, until));
        });
        out.put("everything", i -> new Shape(Filter.ALL));
        out.put("everything, deep cursor", i -> {
            long at = SyntheticEvents.createdAt(count / 2 + i);
            return new Shape(Filter.ALL, new QueryCursor(at, SyntheticEvents.id(count / 2 + i)));
        });
        out.put("authors (1) + #t", i -> new Shape(filter(null,
                Set.of(SyntheticEvents.pubkey(SyntheticEvents.PROLIFIC_AUTHOR)), null,
                Map.of('t', Set.of("topic" + i % 40)), null, null)));
        out.put("kinds (1, 7) + #p", i -> new Shape(filter(null, null, Set.of(1, 7),
                Map.of('p', Set.of(SyntheticEvents.pubkey(1 + i))), null, null)));
        out.put("kinds (7) + since+until (~10k s)", i -> {
            long until = newest - 10_000L * i;
            return new Shape(filter(null, null, Set.of(7), null, until - 10_000, until));
        });
        return out;
    }

    private static Set<String> authorSet(int round, int size, int authors) {
        Set<String> out = new java.util.HashSet<>();
        for (int k = 0; k < size; k++) {
            out.add(SyntheticEvents.pubkey(1 + (round * size + k) % (authors - 1)));
        }
        return out;
    }
}
