package dev.strata.loadtest;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.Json;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * Makes a corpus: N validly signed events that depend only on the parameters, so two runs with the same seed and
 * base time write the same bytes. Events are built in blocks; each block is signed in parallel and may refer
 * (replies, reactions, reposts, zaps) to events of earlier blocks, which is what keeps the output independent of
 * the thread count.
 *
 * <p>The mix imitates a public relay's traffic: mostly short notes and reactions, some long-form articles of
 * several KiB, profiles, contact lists with hundreds of {@code p} tags, relay lists, DMs, zap receipts, follow sets,
 * a few ephemeral events; authors and hashtags follow a skewed (Zipf-like) popularity.
 */
final class CorpusGenerator {
    static final int BLOCK = 2048;
    /** Replies and reactions point into this many earlier blocks: recent events, as on a live relay. */
    private static final int REFERENCE_BLOCKS = 16;
    private static final int[] KINDS = {1, 7, 6, 0, 3, 10002, 4, 30023, 30000, 9735, 20001};
    private static final int[] WEIGHTS = {62, 15, 3, 3, 2, 2, 3, 4, 2, 3, 1};
    private static final String[] WORDS = ("the a of to and in is it that for on with as this was at by be are from "
            + "nostr relay bitcoin lightning zap note key sign event client post follow reply thread people world "
            + "today morning coffee code build ship test open protocol freedom speech design music photo art "
            + "book read write think love good great new time day week year just more some very really "
            + "café naïve résumé ☕ ⚡ 🤙 \"quoted\" it's GM").split(" ");
    private static final String[] HASHTAG_WORDS = ("nostr bitcoin zap plebchain grownostr photography art music "
            + "news dev foodstr coffee running travel books memes gm introductions asknostr lightning privacy "
            + "freedom science history design linux java rust opensource health fitness cats dogs garden cooking "
            + "football weather movies podcast").split(" ");
    private static final int HASHTAGS = 200;

    record Params(long seed, int events, int authors, long createdAtBase, long spanSeconds) {
    }

    /** What was made: counts for the result file. */
    record Summary(int events, TreeMap<Integer, Integer> kinds, long jsonBytes, Histogram contentChars,
                   long minCreatedAt, long maxCreatedAt) {
    }

    private final Params p;
    private final Bip340 engine = Bip340.best();
    private final byte[][] secretKeys;
    private final String[] pubkeys;

    CorpusGenerator(Params p) {
        this.p = p;
        secretKeys = new byte[p.authors()][];
        pubkeys = new String[p.authors()];
        IntStream.range(0, p.authors()).parallel().forEach(a -> {
            secretKeys[a] = sha256("strata-loadtest-author:" + p.seed() + ":" + a);
            pubkeys[a] = Hex.encode(engine.publicKey(secretKeys[a]));
        });
    }

    String engineName() {
        return engine.name();
    }

    /** Builds every event in order and hands each to {@code sink}; signing uses {@code threads} threads. */
    Summary generate(int threads, Consumer<Event> sink) {
        ForkJoinPool pool = new ForkJoinPool(threads);
        ArrayDeque<Event[]> recent = new ArrayDeque<>();
        TreeMap<Integer, Integer> kinds = new TreeMap<>();
        Histogram contentChars = Latency.histogram();
        long bytes = 0;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        try {
            for (int start = 0; start < p.events(); start += BLOCK) {
                int from = start;
                Event[] block = new Event[Math.min(BLOCK, p.events() - start)];
                List<Event> references = new ArrayList<>();
                recent.forEach(b -> references.addAll(Arrays.asList(b)));
                pool.submit(() -> IntStream.range(0, block.length).parallel()
                        .forEach(k -> block[k] = build(from + k, references))).get();
                for (Event e : block) {
                    sink.accept(e);
                    kinds.merge(e.kind(), 1, Integer::sum);
                    contentChars.recordValue(e.content().length());
                    bytes += e.toJson().getBytes(StandardCharsets.UTF_8).length + 1;
                    min = Math.min(min, e.createdAt());
                    max = Math.max(max, e.createdAt());
                }
                recent.addLast(block);
                if (recent.size() > REFERENCE_BLOCKS) {
                    recent.removeFirst();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("corpus generation interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("corpus generation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdown();
        }
        return new Summary(p.events(), kinds, bytes, contentChars, min, max);
    }

    List<Event> generate(int threads) {
        List<Event> out = new ArrayList<>(p.events());
        generate(threads, out::add);
        return out;
    }

    /** Writes the corpus as JSONL, one event per line. */
    Summary write(Path file, int threads) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path partial = parent.resolve(file.getFileName() + ".partial");
        Summary summary;
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            IOException[] failure = new IOException[1];
            summary = generate(threads, e -> {
                if (failure[0] != null) {
                    return;
                }
                try {
                    out.write(e.toJson());
                    out.write('\n');
                } catch (IOException x) {
                    failure[0] = x;
                }
            });
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
        return summary;
    }

    // --- one event ----------------------------------------------------------------------------------------------

    private Event build(int i, List<Event> references) {
        SplittableRandom rng = new SplittableRandom(mix(p.seed() * 0x9E3779B97F4A7C15L + i));
        int author = (int) (p.authors() * Math.pow(rng.nextDouble(), 2.2));
        long createdAt = p.createdAtBase() - p.spanSeconds() + (long) ((double) i * p.spanSeconds() / p.events())
                - rng.nextInt(600);
        createdAt = Math.max(0, Math.min(p.createdAtBase(), createdAt));
        Event ref = references.isEmpty() ? null
                : references.get(references.size() - 1 - (int) (references.size() * Math.pow(rng.nextDouble(), 3)));
        int kind = pickKind(rng);
        List<List<String>> tags = new ArrayList<>();
        String content;
        switch (kind) {
            case 1 -> content = note(rng, tags, ref);
            case 7 -> {
                content = rng.nextInt(10) < 7 ? "+" : rng.nextBoolean() ? "🤙" : "❤️";
                refer(rng, tags, ref);
                tags.add(List.of("k", String.valueOf(ref == null ? 1 : ref.kind())));
            }
            case 6 -> {
                content = ref != null && ref.kind() == 1 ? ref.toJson() : "";
                refer(rng, tags, ref);
            }
            case 0 -> content = profile(rng, author);
            case 3 -> {
                int n = 10 + rng.nextInt(Math.max(1, Math.min(400, p.authors())));
                for (int k = 0; k < n; k++) {
                    tags.add(List.of("p", pubkeys[rng.nextInt(p.authors())]));
                }
                content = "";
            }
            case 10002 -> {
                int n = 2 + rng.nextInt(5);
                for (int k = 0; k < n; k++) {
                    int r = rng.nextInt(3);
                    String url = "wss://relay" + rng.nextInt(50) + ".example.com";
                    tags.add(r == 0 ? List.of("r", url) : List.of("r", url, r == 1 ? "read" : "write"));
                }
                content = "";
            }
            case 4 -> {
                tags.add(List.of("p", pubkeys[rng.nextInt(p.authors())]));
                content = base64ish(rng, 40 + rng.nextInt(560)) + "?iv=" + base64ish(rng, 24);
            }
            case 30023 -> content = article(rng, tags, createdAt);
            case 30000 -> {
                tags.add(List.of("d", "list-" + rng.nextInt(3)));
                int n = 5 + rng.nextInt(46);
                for (int k = 0; k < n; k++) {
                    tags.add(List.of("p", pubkeys[rng.nextInt(p.authors())]));
                }
                content = "";
            }
            case 9735 -> content = zapReceipt(rng, tags, ref);
            default -> {
                tags.add(List.of("t", hashtag(rng)));
                content = text(rng, 10 + rng.nextInt(80));
            }
        }
        return Event.sign(secretKeys[author], createdAt, kind, tags, content, engine);
    }

    private static int pickKind(SplittableRandom rng) {
        int total = 0;
        for (int w : WEIGHTS) {
            total += w;
        }
        int r = rng.nextInt(total);
        for (int k = 0; k < KINDS.length; k++) {
            r -= WEIGHTS[k];
            if (r < 0) {
                return KINDS[k];
            }
        }
        return 1;
    }

    private String note(SplittableRandom rng, List<List<String>> tags, Event ref) {
        // Few bytes to several KiB: log-normal, median about 120 characters.
        int length = (int) Math.min(6000, Math.max(1, Math.exp(4.8 + rng.nextGaussian())));
        StringBuilder content = new StringBuilder(text(rng, length));
        if (ref != null && rng.nextInt(10) < 4) {
            tags.add(List.of("e", ref.id(), "", "root"));
            tags.add(List.of("p", ref.pubkey()));
        }
        if (rng.nextInt(100) < 15) {
            int n = 1 + rng.nextInt(3);
            for (int k = 0; k < n; k++) {
                tags.add(List.of("p", pubkeys[rng.nextInt(p.authors())]));
            }
        }
        if (rng.nextInt(100) < 25) {
            int n = 1 + rng.nextInt(3);
            for (int k = 0; k < n; k++) {
                String t = hashtag(rng);
                tags.add(List.of("t", t));
                content.append(" #").append(t);
            }
        }
        return content.toString();
    }

    private void refer(SplittableRandom rng, List<List<String>> tags, Event ref) {
        if (ref != null) {
            tags.add(List.of("e", ref.id()));
            tags.add(List.of("p", ref.pubkey()));
        } else {
            tags.add(List.of("e", Hex.encode(sha256("missing:" + rng.nextLong()))));
            tags.add(List.of("p", pubkeys[rng.nextInt(p.authors())]));
        }
    }

    private String profile(SplittableRandom rng, int author) {
        StringBuilder sb = new StringBuilder("{\"name\":");
        Json.writeString(sb, "user" + author);
        sb.append(",\"about\":");
        Json.writeString(sb, text(rng, 20 + rng.nextInt(280)));
        sb.append(",\"picture\":\"https://example.com/avatar/").append(author).append(".png\"")
                .append(",\"nip05\":\"user").append(author).append("@example.com\"}");
        return sb.toString();
    }

    private String article(SplittableRandom rng, List<List<String>> tags, long createdAt) {
        tags.add(List.of("d", "article-" + rng.nextInt(5)));
        tags.add(List.of("title", text(rng, 20 + rng.nextInt(40))));
        tags.add(List.of("published_at", String.valueOf(createdAt)));
        int n = 1 + rng.nextInt(4);
        for (int k = 0; k < n; k++) {
            tags.add(List.of("t", hashtag(rng)));
        }
        int length = 2048 + rng.nextInt(6144);
        StringBuilder sb = new StringBuilder(length + 200);
        while (sb.length() < length) {
            sb.append("## ").append(text(rng, 20 + rng.nextInt(30))).append("\n\n")
                    .append(text(rng, 300 + rng.nextInt(900))).append("\n\n");
        }
        return sb.toString();
    }

    private String zapReceipt(SplittableRandom rng, List<List<String>> tags, Event ref) {
        String recipient = ref != null ? ref.pubkey() : pubkeys[rng.nextInt(p.authors())];
        tags.add(List.of("p", recipient));
        if (ref != null) {
            tags.add(List.of("e", ref.id()));
        }
        tags.add(List.of("bolt11", "lnbc" + (1 + rng.nextInt(5000)) + "n1" + base64ish(rng, 200 + rng.nextInt(200))
                .toLowerCase(Locale.ROOT).replace('+', 'q').replace('/', 'p')));
        StringBuilder request = new StringBuilder("{\"kind\":9734,\"content\":");
        Json.writeString(request, text(rng, rng.nextInt(60)));
        request.append(",\"tags\":[[\"p\",\"").append(recipient).append("\"],[\"amount\",\"")
                .append(1000 * (1 + rng.nextInt(5000))).append("\"]],\"pubkey\":\"")
                .append(pubkeys[rng.nextInt(p.authors())]).append("\"}");
        tags.add(List.of("description", request.toString()));
        return "";
    }

    private static String hashtag(SplittableRandom rng) {
        int k = (int) (HASHTAGS * Math.pow(rng.nextDouble(), 3));
        return k < HASHTAG_WORDS.length ? HASHTAG_WORDS[k] : "topic" + k;
    }

    /** Words, a few with accents, emoji, quotes and line breaks, so JSON escaping and UTF-8 get exercised. */
    private static String text(SplittableRandom rng, int length) {
        StringBuilder sb = new StringBuilder(length + 16);
        while (sb.length() < length) {
            if (sb.length() > 0) {
                sb.append(rng.nextInt(40) == 0 ? "\n" : " ");
            }
            if (rng.nextInt(60) == 0) {
                sb.append("https://example.com/p/").append(rng.nextInt(100_000)).append(".jpg");
            } else {
                sb.append(WORDS[rng.nextInt(WORDS.length)]);
            }
        }
        return sb.toString();
    }

    private static String base64ish(SplittableRandom rng, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char[] c = new char[length];
        for (int k = 0; k < length; k++) {
            c[k] = alphabet.charAt(rng.nextInt(64));
        }
        return new String(c);
    }

    /** A 64-bit finalizer (MurmurHash3's): neighbouring event numbers get unrelated random streams. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Summary as JSON for the result file. */
    static JsonObject toJson(Summary s) {
        JsonObject kinds = new JsonObject();
        s.kinds().forEach((k, n) -> kinds.put(String.valueOf(k), n));
        return new JsonObject()
                .put("events", s.events())
                .put("bytes", s.jsonBytes())
                .put("kinds", kinds)
                .put("created_at_min", s.minCreatedAt())
                .put("created_at_max", s.maxCreatedAt())
                .put("content_chars", new JsonObject()
                        .put("p50", s.contentChars().getValueAtPercentile(50))
                        .put("p90", s.contentChars().getValueAtPercentile(90))
                        .put("p99", s.contentChars().getValueAtPercentile(99))
                        .put("max", s.contentChars().getMaxValue()));
    }
}
