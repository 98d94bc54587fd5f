package dev.strata.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.KindClass;

/**
 * Random events and filters drawn from small pools, so duplicates, replacements, timestamp ties and tag hits are
 * frequent, with deletion requests (kind 5) naming events and addresses of any author, a few requests to vanish
 * (kind 62), gift wraps (kind 1059) and expirations long past or far ahead. Everything comes from one seeded
 * {@link Random}: a seed reproduces a run exactly.
 */
final class RandomWorkload {
    static final long BASE_TIME = 1_700_000_000L;
    /** Few distinct seconds for thousands of events: many created_at ties. */
    private static final int TIME_SPAN = 200;
    /**
     * Every kind class: regular (1, 7, 40000, gift wraps 1059), replaceable (0, 3, 10002), ephemeral (20001),
     * addressable.
     */
    private static final int[] KINDS = {1, 1, 1, 7, 40000, 1059, 0, 3, 10002, 20001, 30000, 30023};
    /** Expired whenever the test runs, or not before the year 2286. */
    private static final String[] EXPIRATIONS = {"1700000000", "9999999999"};
    private static final String LONG_VALUE = "x".repeat(300);
    private static final String[] TOPICS = {"nostr", "java", "lmdb", "", "ünïcødé", LONG_VALUE, LONG_VALUE + "y"};
    private static final String[] D_VALUES = {"", "a", "b", LONG_VALUE};
    private static final char[] TAG_NAMES = {'e', 'p', 't', 'd', 'T'};

    private final Random random;
    private final List<Author> authors = new ArrayList<>();
    private final List<Event> sent = new ArrayList<>();
    /** Ids that e tags refer to: a small pool, so tag queries hit. */
    private final List<String> referencedIds = new ArrayList<>();
    private final String[] upperTagValues;

    RandomWorkload(Random random, int authorCount) {
        this.random = random;
        for (int i = 0; i < authorCount; i++) {
            authors.add(Author.random(random));
        }
        // Uppercase hex must stay distinct from the lowercase spelling of the same bytes.
        upperTagValues = new String[] {"Big", "small", authors.get(0).pubkey.toUpperCase(Locale.ROOT)};
        for (int i = 0; i < 8; i++) {
            referencedIds.add(authors.get(i % authorCount).sign(BASE_TIME, 1, List.of(), "ref " + i).id());
        }
    }

    Event nextEvent() {
        if (!sent.isEmpty() && random.nextInt(10) == 0) {
            return sent.get(random.nextInt(sent.size()));
        }
        Author author = authors.get(random.nextInt(authors.size()));
        if (!sent.isEmpty() && random.nextInt(12) == 0) {
            return remember(deletion(author));
        }
        if (random.nextInt(400) == 0) {
            // Early cutoffs, so that a vanished author still has later events to write.
            return remember(author.sign(BASE_TIME + random.nextInt(TIME_SPAN / 4), 62,
                    List.of(List.of("relay", "ALL_RELAYS")), "vanish"));
        }
        int kind = KINDS[random.nextInt(KINDS.length)];
        long createdAt = BASE_TIME + random.nextInt(TIME_SPAN);
        List<List<String>> tags = new ArrayList<>();
        for (int n = random.nextInt(5); n > 0; n--) {
            char name = TAG_NAMES[random.nextInt(TAG_NAMES.length)];
            List<String> tag = new ArrayList<>(List.of(String.valueOf(name), tagValue(name)));
            if (random.nextInt(5) == 0) {
                tag.add(tagValue(name));
            }
            tags.add(tag);
        }
        if (random.nextInt(8) == 0) {
            tags.add(List.of("expiration", EXPIRATIONS[random.nextInt(EXPIRATIONS.length)]));
        }
        return remember(author.sign(createdAt, kind, tags, "c" + random.nextInt(1000)));
    }

    private Event remember(Event e) {
        sent.add(e);
        return e;
    }

    /** A kind 5 naming events and addresses already sent, by any author (only its own count). */
    private Event deletion(Author author) {
        List<List<String>> tags = new ArrayList<>();
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            Event target = sent.get(random.nextInt(sent.size()));
            boolean version = target.kindClass() == KindClass.REPLACEABLE
                    || target.kindClass() == KindClass.ADDRESSABLE;
            if (version && random.nextBoolean()) {
                tags.add(List.of("a", target.kind() + ":" + target.pubkey() + ":" + target.dTag()));
            } else {
                tags.add(List.of("e", target.id()));
            }
        }
        return author.sign(BASE_TIME + random.nextInt(TIME_SPAN), 5, tags, "deletion");
    }

    Filter nextFilter() {
        Set<String> ids = null;
        Set<String> authorSet = null;
        Set<Integer> kinds = null;
        Map<Character, Set<String>> tags = new HashMap<>();
        Long since = null;
        Long until = null;
        if (random.nextInt(10) == 0) {
            ids = new HashSet<>();
            for (int n = 1 + random.nextInt(4); n > 0; n--) {
                ids.add(random.nextInt(5) == 0 ? referencedIds.get(0) : sent.get(random.nextInt(sent.size())).id());
            }
        }
        if (random.nextInt(5) < 2) {
            authorSet = new HashSet<>();
            for (int n = 1 + random.nextInt(2); n > 0; n--) {
                authorSet.add(authors.get(random.nextInt(authors.size())).pubkey);
            }
        }
        if (random.nextInt(5) < 2) {
            kinds = new HashSet<>();
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                kinds.add(KINDS[random.nextInt(KINDS.length)]);
            }
        }
        for (int n = random.nextInt(5) < 2 ? 1 + random.nextInt(2) : 0; n > 0; n--) {
            char name = TAG_NAMES[random.nextInt(TAG_NAMES.length)];
            Set<String> values = new HashSet<>();
            for (int m = 1 + random.nextInt(3); m > 0; m--) {
                values.add(tagValue(name));
            }
            tags.put(name, values);
        }
        if (random.nextInt(4) == 0) {
            since = BASE_TIME + random.nextInt(TIME_SPAN);
        }
        if (random.nextInt(4) == 0) {
            until = BASE_TIME + random.nextInt(TIME_SPAN);
        }
        if (random.nextInt(20) == 0) {
            kinds = Set.of();
        }
        return new Filter(ids, authorSet, kinds, tags, since, until, null);
    }

    private String tagValue(char name) {
        return switch (name) {
            case 'e' -> referencedIds.get(random.nextInt(referencedIds.size()));
            case 'p' -> authors.get(random.nextInt(authors.size())).pubkey;
            case 't' -> TOPICS[random.nextInt(TOPICS.length)];
            case 'd' -> D_VALUES[random.nextInt(D_VALUES.length)];
            default -> upperTagValues[random.nextInt(upperTagValues.length)];
        };
    }
}
