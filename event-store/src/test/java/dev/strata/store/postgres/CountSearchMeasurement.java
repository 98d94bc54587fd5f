package dev.strata.store.postgres;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.Hll;
import dev.strata.model.Sha256;
import dev.strata.store.EventStore;
import dev.strata.store.LmdbConfig;
import dev.strata.store.LmdbEventStore;
import dev.strata.store.Visibility;
import dev.strata.store.WriteResult;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * NIP-45 COUNT and NIP-50 search latencies on a large store, both engines; not part of the test suite (run it by
 * hand, see {@code event-store/COUNT-SEARCH-RESULTS.md}). Writes {@code --events} synthetic events through each
 * engine's {@code write} (the stores do not check signatures, so the events carry none), then times each shape
 * {@code --rounds} times through {@code count} and {@code query}, reporting p50, p90 and max.
 *
 * <p>The events: kind 1 (70%), 7 (20%) or 6 (10%), 2,000 authors, a {@code p} tag of one popular pubkey on every
 * ninth event and of a random author on the others, and 12 to 40 words of content drawn from a 5,000-word
 * vocabulary with a Zipf-like skew, so some words are in most events and others in a handful.
 *
 * <p>Arguments: {@code --events N} (default 1,000,000), {@code --rounds N} (default 20), {@code --engines
 * lmdb,postgresql}. The database is {@code STRATA_TEST_PG_URL}, as for the tests; LMDB goes to a temporary
 * directory. Schemas and directories are removed at the end.
 */
public final class CountSearchMeasurement {
    private static final int BATCH = 1024;
    private static final int AUTHORS = 2000;
    private static final int VOCABULARY = 5000;
    private static final long BASE_TIME = 1_700_000_000L;
    private static final String POPULAR = pubkey(-1);

    private CountSearchMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        int events = Integer.parseInt(options.getOrDefault("--events", "1000000"));
        int rounds = Integer.parseInt(options.getOrDefault("--rounds", "20"));
        List<String> engines = Arrays.asList(options.getOrDefault("--engines", "lmdb,postgresql").split(","));
        System.out.printf(Locale.ROOT, "JVM: %s %s, %d cores; %,d events, %d rounds%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), events, rounds);
        if (engines.contains("lmdb")) {
            Path dir = Files.createTempDirectory("strata-measure");
            try (LmdbEventStore store = LmdbEventStore.open(new LmdbConfig(dir, 1L << 30,
                    LmdbConfig.DEFAULT_MAX_BATCH, 2, LmdbConfig.DEFAULT_WRITE_QUEUE_CAPACITY, Duration.ofSeconds(1)))) {
                measure("lmdb", store, events, rounds);
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        if (engines.contains("postgresql")) {
            Vertx vertx = Vertx.vertx();
            Pool admin = TestDatabase.admin(vertx, 2);
            String schema = TestDatabase.newSchema();
            try {
                System.out.printf(Locale.ROOT, "PostgreSQL: %s%n",
                        TestDatabase.rows(admin, "SELECT version()").get(0).getString(0));
                PgEventStore store = TestDatabase.open(vertx, new PgConfig(TestDatabase.URL, 8,
                        Duration.ofSeconds(120), 64, schema, null));
                try {
                    measure("postgresql", store, events, rounds, () -> TestDatabase.rows(admin,
                            "VACUUM ANALYZE " + schema + ".events, " + schema + ".tags"));
                } finally {
                    store.close();
                }
            } finally {
                TestDatabase.dropSchema(admin, schema);
                TestDatabase.result(admin.close());
                TestDatabase.result(vertx.close());
            }
        }
    }

    private static void measure(String engine, EventStore store, int count, int rounds) throws Exception {
        measure(engine, store, count, rounds, () -> null);
    }

    private static void measure(String engine, EventStore store, int count, int rounds,
                                java.util.concurrent.Callable<?> afterLoad) throws Exception {
        long start = System.nanoTime();
        Random random = new Random(50);
        String[] words = vocabulary();
        for (int from = 0; from < count; from += BATCH) {
            List<Event> batch = new ArrayList<>(BATCH);
            for (int i = from; i < Math.min(count, from + BATCH); i++) {
                batch.add(event(i, random, words));
            }
            List<WriteResult> results = await(store.write(batch));
            if (results.stream().anyMatch(r -> r != WriteResult.STORED)) {
                throw new IllegalStateException("not stored: " + results);
            }
        }
        afterLoad.call();
        System.out.printf(Locale.ROOT, "%n%s: %,d events written in %.0f s%n", engine, count,
                (System.nanoTime() - start) / 1e9);

        Filter popular = new Filter(null, null, null, Map.of('p', Set.of(POPULAR)), null, null, null);
        Filter popularReactions = new Filter(null, null, Set.of(7), Map.of('p', Set.of(POPULAR)), null, null, null);
        int offset = Hll.offsetOf(Map.of("#p", List.of(POPULAR)));
        time(engine, "COUNT {#p:[popular]}", rounds, () -> await(store.count(List.of(popular), -1, Long.MAX_VALUE, Visibility.ALL))
                .count());
        time(engine, "COUNT {#p:[popular],kinds:[7]} + hll", rounds,
                () -> await(store.count(List.of(popularReactions), offset, Long.MAX_VALUE,
                        Visibility.ALL)).count());
        // The first search waits for the embedded index to catch up with the load.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (true) {
            try {
                await(store.query(search(words[VOCABULARY - 2], null), null, 20, Integer.MAX_VALUE));
                break;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s: searchable after %.0f s%n", engine, (System.nanoTime() - start) / 1e9);
        for (String[] q : new String[][] {{words[VOCABULARY - 1], null}, {words[400], null}, {words[60], null},
                {words[20] + " " + words[60], null}, {words[5], "7"}}) {
            Filter f = search(q[0], q[1]);
            time(engine, "search " + f.toJson().replace(",\"limit\":20", "") + " limit 20", rounds,
                    () -> await(store.query(f, null, 20, Integer.MAX_VALUE)).scanned());
        }
    }

    private static Filter search(String words, String kind) {
        return new Filter(null, null, kind == null ? null : Set.of(Integer.parseInt(kind)), null, null, null, 20,
                words);
    }

    private interface Timed {
        long run() throws Exception;
    }

    private static void time(String engine, String what, int rounds, Timed timed) throws Exception {
        long[] micros = new long[rounds];
        long result = 0;
        for (int i = 0; i < rounds; i++) {
            long t = System.nanoTime();
            result = timed.run();
            micros[i] = (System.nanoTime() - t) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "%s: %-62s p50 %8.1f ms  p90 %8.1f ms  max %8.1f ms  (result %,d)%n", engine,
                what, micros[rounds / 2] / 1000.0, micros[(int) (rounds * 0.9)] / 1000.0,
                micros[rounds - 1] / 1000.0, result);
    }

    /** Words whose rank decides how often they occur: the word of rank r is in about 3/(r+1) of the events. */
    private static String[] vocabulary() {
        String[] words = new String[VOCABULARY];
        for (int r = 0; r < VOCABULARY; r++) {
            words[r] = "w" + Integer.toString(r, 36) + "x";
        }
        return words;
    }

    private static Event event(int i, Random random, String[] words) {
        int kind = i % 10 < 7 ? 1 : i % 10 < 9 ? 7 : 6;
        String p = i % 9 == 0 ? POPULAR : pubkey(random.nextInt(AUTHORS));
        StringBuilder content = new StringBuilder();
        for (int n = 12 + random.nextInt(29); n > 0; n--) {
            // Zipf-like: rank = VOCABULARY^u, u uniform.
            int rank = (int) Math.min(VOCABULARY - 1, Math.pow(VOCABULARY, random.nextDouble()) - 1);
            content.append(words[rank]).append(' ');
        }
        String id = Hex.encode(Sha256.hash(ByteBuffer.allocate(8).putLong(i).array()));
        return new Event(id, pubkey(i % AUTHORS), BASE_TIME + i, kind,
                List.of(List.of("p", p), List.of("e", pubkey(1_000_000 + random.nextInt(10_000)))),
                content.toString().strip(), "00".repeat(64));
    }

    private static String pubkey(int n) {
        return Hex.encode(Sha256.hash(("measure" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            throw new RuntimeException(cause);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
