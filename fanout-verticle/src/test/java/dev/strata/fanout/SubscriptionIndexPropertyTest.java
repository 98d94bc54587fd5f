package dev.strata.fanout;

import static dev.strata.fanout.Fixtures.event;
import static dev.strata.fanout.Fixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.model.Event;
import dev.strata.model.Filter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares the index with the obvious reference, {@link Filter#anyMatches} over every subscription, under random
 * adds, replacements, removals and events. Value pools are tiny so that filters and events collide often.
 */
class SubscriptionIndexPropertyTest {

    private static final int KEYS = 300;
    private static final int STEPS = 6_000;
    private static final List<String> IDS = List.of(hex(1), hex(2), hex(3), hex(4));
    private static final List<String> PUBKEYS = List.of(hex(11), hex(12), hex(13), hex(14));
    // Kinds past 127 check that boxed kinds are compared by value.
    private static final List<Integer> KINDS = List.of(0, 1, 7, 1984, 30023);
    private static final List<Character> TAG_LETTERS = List.of('e', 'p', 't', 'E');
    // Event tag names include near misses: multi-letter names and the empty name are never matched by NIP-01.
    private static final List<String> EVENT_TAG_NAMES = List.of("e", "p", "t", "E", "P", "ee", "");
    private static final List<String> TAG_VALUES = List.of("a", "b", "c", hex(11));

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 20240601})
    void matchesTheBruteForceReference(long seed) {
        Random rnd = new Random(seed);
        SubscriptionIndex<Integer> index = new SubscriptionIndex<>();
        Map<Integer, List<Filter>> reference = new HashMap<>();
        int events = 0;
        int delivered = 0;
        for (int step = 0; step < STEPS; step++) {
            double op = rnd.nextDouble();
            if (op < 0.35) {
                // Adds new keys and, once keys repeat, replaces existing ones.
                int key = rnd.nextInt(KEYS);
                List<Filter> filters = randomFilters(rnd);
                index.add(key, filters);
                reference.put(key, filters);
            } else if (op < 0.45) {
                int key = rnd.nextInt(KEYS);
                assertEquals(reference.remove(key) != null, index.remove(key));
            } else if (op < 0.46) {
                int modulus = 2 + rnd.nextInt(10);
                int residue = rnd.nextInt(modulus);
                int expected = (int) reference.keySet().stream().filter(k -> k % modulus == residue).count();
                reference.keySet().removeIf(k -> k % modulus == residue);
                assertEquals(expected, index.removeMatching(k -> k % modulus == residue));
            } else {
                Event e = randomEvent(rnd);
                Set<Integer> expected = new HashSet<>();
                reference.forEach((key, filters) -> {
                    if (Filter.anyMatches(filters, e)) {
                        expected.add(key);
                    }
                });
                List<Integer> actual = new ArrayList<>();
                index.forEachMatch(e, actual::add);
                assertEquals(expected, new HashSet<>(actual), () -> "seed " + seed + ", event " + e);
                assertEquals(expected.size(), actual.size(), "a key was reported twice");
                events++;
                delivered += actual.size();
            }
            assertEquals(reference.size(), index.size());
        }
        // Guards the test itself: pools this small must produce plenty of matches, or it would prove little.
        assertTrue(delivered > events, "too few matches: " + delivered + " over " + events + " events");

        index.removeMatching(k -> true);
        for (Map.Entry<String, Integer> size : index.internalSizes().entrySet()) {
            assertEquals(0, size.getValue(), size.getKey());
        }
    }

    private static List<Filter> randomFilters(Random rnd) {
        int n = 1 + rnd.nextInt(3);
        List<Filter> filters = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            filters.add(randomFilter(rnd));
        }
        return filters;
    }

    private static Filter randomFilter(Random rnd) {
        Set<String> ids = rnd.nextDouble() < 0.15 ? subset(rnd, IDS) : null;
        Set<String> authors = rnd.nextDouble() < 0.4 ? subset(rnd, PUBKEYS) : null;
        Set<Integer> kinds = rnd.nextDouble() < 0.5 ? subset(rnd, KINDS) : null;
        Map<Character, Set<String>> tags = new HashMap<>();
        int tagFields = rnd.nextDouble() < 0.5 ? 0 : 1 + rnd.nextInt(2);
        for (int i = 0; i < tagFields; i++) {
            tags.put(pick(rnd, TAG_LETTERS), subset(rnd, TAG_VALUES));
        }
        Long since = rnd.nextDouble() < 0.3 ? Long.valueOf(100 + rnd.nextInt(10)) : null;
        Long until = rnd.nextDouble() < 0.3 ? Long.valueOf(100 + rnd.nextInt(10)) : null;
        Integer limit = rnd.nextDouble() < 0.2 ? Integer.valueOf(rnd.nextInt(3)) : null;
        return new Filter(ids, authors, kinds, tags, since, until, limit);
    }

    /** Usually one to three values; sometimes none, which NIP-01 says matches nothing. */
    private static <T> Set<T> subset(Random rnd, List<T> pool) {
        int n = rnd.nextDouble() < 0.05 ? 0 : 1 + rnd.nextInt(3);
        Set<T> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(pick(rnd, pool));
        }
        return out;
    }

    private static Event randomEvent(Random rnd) {
        int tagCount = rnd.nextInt(5);
        List<List<String>> tags = new ArrayList<>(tagCount);
        for (int i = 0; i < tagCount; i++) {
            List<String> tag = new ArrayList<>();
            tag.add(pick(rnd, EVENT_TAG_NAMES));
            int values = rnd.nextInt(3);
            for (int j = 0; j < values; j++) {
                tag.add(pick(rnd, TAG_VALUES));
            }
            tags.add(tag);
        }
        return event(pick(rnd, IDS), pick(rnd, PUBKEYS), 98 + rnd.nextInt(14), pick(rnd, KINDS), tags);
    }

    private static <T> T pick(Random rnd, List<T> pool) {
        return pool.get(rnd.nextInt(pool.size()));
    }
}
