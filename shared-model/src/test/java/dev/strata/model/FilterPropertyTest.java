package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random events and filters, with fixed seeds, checked against reference rules written straight from the NIP-01
 * text (section 1.8). Small value pools make matches common, so both answers are exercised. A failure message
 * starts with the seed and the case number, which reproduce it.
 */
class FilterPropertyTest {
    static final int CASES = 4000;
    static final int[] KIND_BOUNDARIES = {0, 1, 2, 3, 4, 44, 45, 999, 1000, 9999, 10000, 19999, 20000, 29999, 30000,
            39999, 40000, 65535};
    static final String[] TAG_NAMES = {"e", "p", "t", "d", "a", "E", "P", "T", "ee", "tt", "pe", "title"};
    static final String[] FILTER_TAG_LETTERS = {"e", "p", "t", "d", "E", "T", "x"};
    static final String PUNCTUATION = "\"\\/<>&'=" + (char) 0x7f;
    static final String[] WORDS = {"nostr", "Nostr", "bitcoin", "", "é🎉", "a b"};

    /** What a filter says, kept as plain lists; null means the field is absent. */
    record RefFilter(List<String> ids, List<String> authors, List<Integer> kinds, Map<String, List<String>> tags,
                     Long since, Long until) {
    }

    /** NIP-01 1.8, read literally. */
    static boolean referenceMatches(RefFilter f, Event e) {
        boolean idOk = f.ids() == null || f.ids().contains(e.id());
        boolean authorOk = f.authors() == null || f.authors().contains(e.pubkey());
        boolean kindOk = f.kinds() == null || f.kinds().contains(e.kind());
        boolean sinceOk = f.since() == null || e.createdAt() >= f.since();
        boolean untilOk = f.until() == null || e.createdAt() <= f.until();
        boolean tagsOk = f.tags().entrySet().stream().allMatch(want -> e.tags().stream().anyMatch(
                tag -> tag.size() >= 2 && tag.get(0).equals(want.getKey()) && want.getValue().contains(tag.get(1))));
        return idOk && authorOk && kindOk && sinceOk && untilOk && tagsOk;
    }

    /** NIP-01 1.5's table; kinds it leaves unclassified are regular. */
    static KindClass referenceKindClass(int n) {
        if (n == 0 || n == 3 || (10000 <= n && n < 20000)) {
            return KindClass.REPLACEABLE;
        }
        if (20000 <= n && n < 30000) {
            return KindClass.EPHEMERAL;
        }
        if (30000 <= n && n < 40000) {
            return KindClass.ADDRESSABLE;
        }
        return KindClass.REGULAR;
    }

    /** One seed's world: small pools of ids, keys and tag values. */
    static final class Generator {
        final Random rnd;
        final List<String> ids = new ArrayList<>();
        final List<String> pubkeys = new ArrayList<>();
        final List<String> tagValues = new ArrayList<>();
        final long baseTime;

        Generator(long seed) {
            rnd = new Random(seed);
            for (int i = 0; i < 6; i++) {
                ids.add(hex(32));
            }
            for (int i = 0; i < 4; i++) {
                pubkeys.add(hex(32));
            }
            tagValues.addAll(List.of(WORDS));
            tagValues.add(ids.get(0));
            tagValues.add(pubkeys.get(0));
            baseTime = 1_600_000_000L + rnd.nextInt(100_000_000);
        }

        String hex(int bytes) {
            byte[] b = new byte[bytes];
            rnd.nextBytes(b);
            return Hex.encode(b);
        }

        <T> T pick(List<T> pool) {
            return pool.get(rnd.nextInt(pool.size()));
        }

        int kind() {
            int r = rnd.nextInt(10);
            if (r < 6) {
                return KIND_BOUNDARIES[rnd.nextInt(KIND_BOUNDARIES.length)];
            }
            return rnd.nextInt(KindClass.MAX_KIND + 1);
        }

        long time() {
            int r = rnd.nextInt(20);
            if (r == 0) {
                return 0;
            }
            if (r == 1) {
                return Long.MAX_VALUE;
            }
            return baseTime + rnd.nextInt(50);
        }

        Event event() {
            List<List<String>> tags = new ArrayList<>();
            int n = rnd.nextInt(5);
            for (int i = 0; i < n; i++) {
                List<String> tag = new ArrayList<>();
                tag.add(TAG_NAMES[rnd.nextInt(TAG_NAMES.length)]);
                int values = rnd.nextInt(4); // 0 to 3: a name-only tag has no value to match
                for (int j = 0; j < values; j++) {
                    tag.add(pick(tagValues));
                }
                tags.add(tag);
            }
            return new Event(pick(ids), pick(pubkeys), time(), kind(), tags, pick(tagValues), hex(64));
        }

        /** Up to {@code max} values from a pool, sometimes none at all (an empty list matches nothing). */
        <T> List<T> some(List<T> pool, int max) {
            List<T> out = new ArrayList<>();
            int n = rnd.nextInt(max + 1);
            for (int i = 0; i < n; i++) {
                T v = pick(pool);
                if (!out.contains(v)) {
                    out.add(v);
                }
            }
            return out;
        }

        RefFilter filter() {
            List<String> fIds = rnd.nextInt(4) == 0 ? some(ids, 3) : null;
            List<String> fAuthors = rnd.nextInt(3) == 0 ? some(pubkeys, 3) : null;
            List<Integer> fKinds = null;
            if (rnd.nextInt(3) == 0) {
                fKinds = new ArrayList<>();
                for (int i = rnd.nextInt(4); i > 0; i--) {
                    fKinds.add(kind());
                }
            }
            Map<String, List<String>> fTags = new LinkedHashMap<>();
            for (int i = rnd.nextInt(3); i > 0; i--) {
                fTags.put(FILTER_TAG_LETTERS[rnd.nextInt(FILTER_TAG_LETTERS.length)], some(tagValues, 3));
            }
            Long since = rnd.nextInt(4) == 0 ? time() : null;
            Long until = rnd.nextInt(4) == 0 ? time() : null;
            return new RefFilter(fIds, fAuthors, fKinds, fTags, since, until);
        }
    }

    /** The filter as a client would write it, built here independently of {@link Filter#toJson()}. */
    static String json(RefFilter f) {
        StringJoiner fields = new StringJoiner(",", "{", "}");
        if (f.ids() != null) {
            fields.add("\"ids\":" + strings(f.ids()));
        }
        if (f.authors() != null) {
            fields.add("\"authors\":" + strings(f.authors()));
        }
        if (f.kinds() != null) {
            fields.add("\"kinds\":" + f.kinds().toString().replace(" ", ""));
        }
        f.tags().forEach((letter, values) -> fields.add("\"#" + letter + "\":" + strings(values)));
        if (f.since() != null) {
            fields.add("\"since\":" + f.since());
        }
        if (f.until() != null) {
            fields.add("\"until\":" + f.until());
        }
        return fields.toString();
    }

    private static String strings(List<String> values) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        values.forEach(v -> j.add(Json.quote(v)));
        return j.toString();
    }

    static Filter parse(String json) throws Exception {
        return Filter.fromJson(Json.parse(json), FilterLimits.DEFAULT);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 42L, 20261125L, -7L, 0x5eedL})
    void matchesAgreesWithTheReference(long seed) throws Exception {
        Generator g = new Generator(seed);
        int matched = 0;
        int total = 0;
        for (int i = 0; i < CASES; i++) {
            Event e = g.event();
            RefFilter ref = g.filter();
            String filterJson = json(ref);
            Filter f = parse(filterJson);
            String where = "seed " + seed + " case " + i + ": filter " + filterJson + " event " + e.toJson();
            assertEquals(f, parse(f.toJson()), where + " (Filter.toJson round trip)");
            boolean expected = referenceMatches(ref, e);
            assertEquals(expected, f.matches(e), where);
            total++;
            matched += expected ? 1 : 0;
        }
        // Guard against a generator that only ever produces one answer.
        assertTrue(matched > total / 20 && matched < total * 19 / 20,
                "seed " + seed + ": " + matched + " of " + total + " matched");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 42L, 20261125L, -7L, 0x5eedL})
    void anyMatchesIsTheOrOfTheFilters(long seed) throws Exception {
        Generator g = new Generator(seed ^ 0x9e3779b97f4a7c15L);
        int matched = 0;
        for (int i = 0; i < CASES; i++) {
            Event e = g.event();
            int n = g.rnd.nextInt(5); // 0 filters is allowed here: it matches nothing
            List<RefFilter> refs = new ArrayList<>();
            List<Filter> filters = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                RefFilter ref = g.filter();
                refs.add(ref);
                filters.add(parse(json(ref)));
            }
            boolean expected = refs.stream().anyMatch(r -> referenceMatches(r, e));
            int caseNo = i;
            assertEquals(expected, Filter.anyMatches(filters, e),
                    () -> "seed " + seed + " case " + caseNo + ": filters " + refs + " event " + e.toJson());
            matched += expected ? 1 : 0;
        }
        assertTrue(matched > CASES / 20 && matched < CASES * 19 / 20, "seed " + seed + ": " + matched + " matched");
    }

    @Test
    void theEmptyFilterMatchesEverythingAndEmptyListsMatchNothing() throws Exception {
        Generator g = new Generator(3);
        Filter all = parse("{}");
        assertEquals(Filter.ALL, all);
        for (int i = 0; i < 200; i++) {
            Event e = g.event();
            assertTrue(all.matches(e));
            assertFalse(parse("{\"ids\":[]}").matches(e));
            assertFalse(parse("{\"authors\":[]}").matches(e));
            assertFalse(parse("{\"kinds\":[]}").matches(e));
            assertFalse(parse("{\"#e\":[]}").matches(e));
        }
    }

    @Test
    void tagMatchingUsesOnlyTheFirstValueAndExactSingleLetterNames() throws Exception {
        String id = "1".repeat(64);
        Event e = new Event(id, "2".repeat(64), 100, 1,
                List.of(List.of("t"), List.of("tt", "nostr"), List.of("e", "x", "nostr"), List.of("t", "other"),
                        List.of("t", "nostr"), List.of("E", "upper")),
                "", "3".repeat(128));
        assertTrue(parse("{\"#t\":[\"nostr\"]}").matches(e), "any t tag, not only the first, may match");
        assertFalse(parse("{\"#e\":[\"nostr\"]}").matches(e), "element 2 is never matched");
        assertFalse(parse("{\"#T\":[\"nostr\"]}").matches(e), "names are case-sensitive");
        assertTrue(parse("{\"#E\":[\"upper\"]}").matches(e));
        assertFalse(parse("{\"#e\":[\"upper\"]}").matches(e));
        assertTrue(parse("{\"since\":100,\"until\":100}").matches(e), "since and until are inclusive");
        assertFalse(parse("{\"since\":101}").matches(e));
        assertFalse(parse("{\"until\":99}").matches(e));
    }

    @Test
    void kindClassFollowsTheNipTableForEveryKind() {
        for (int k = 0; k <= KindClass.MAX_KIND; k++) {
            assertEquals(referenceKindClass(k), KindClass.of(k), "kind " + k);
        }
        assertEquals(KindClass.REPLACEABLE, KindClass.of(0));
        assertEquals(KindClass.REGULAR, KindClass.of(1));
        assertEquals(KindClass.REPLACEABLE, KindClass.of(3));
        assertEquals(KindClass.REGULAR, KindClass.of(44));
        assertEquals(KindClass.REGULAR, KindClass.of(45));
        assertEquals(KindClass.REGULAR, KindClass.of(9999));
        assertEquals(KindClass.REPLACEABLE, KindClass.of(10000));
        assertEquals(KindClass.REPLACEABLE, KindClass.of(19999));
        assertEquals(KindClass.EPHEMERAL, KindClass.of(20000));
        assertEquals(KindClass.EPHEMERAL, KindClass.of(29999));
        assertEquals(KindClass.ADDRESSABLE, KindClass.of(30000));
        assertEquals(KindClass.ADDRESSABLE, KindClass.of(39999));
        assertEquals(KindClass.REGULAR, KindClass.of(40000));
        assertEquals(KindClass.REGULAR, KindClass.of(65535));
    }

    /** Random strings over the characters that matter to the escaper: controls, quotes, non-BMP, DEL. */
    static String randomText(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(6);
            if (r == 0) {
                sb.append((char) rnd.nextInt(0x20));
            } else if (r == 1) {
                sb.append(PUNCTUATION.charAt(rnd.nextInt(PUNCTUATION.length())));
            } else if (r == 2) {
                sb.appendCodePoint(0x10000 + rnd.nextInt(0x10ffff - 0x10000));
            } else if (r == 3) {
                sb.append((char) (0xa0 + rnd.nextInt(0xd7ff - 0xa0)));
            } else {
                sb.append((char) (0x20 + rnd.nextInt(0x5f)));
            }
        }
        return sb.toString();
    }

    /** A second, deliberately naive NIP-01 string writer. */
    static String referenceQuote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            String esc = c == '\n' ? "\\n" : c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\r' ? "\\r"
                    : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
                    : c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c);
            sb.append(esc);
        }
        return sb.append('"').toString();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 42L, 20261125L, -7L, 0x5eedL})
    void canonicalFormAgreesWithANaiveWriterAndEventsRoundTrip(long seed) throws Exception {
        Random rnd = new Random(seed);
        Generator g = new Generator(seed);
        for (int i = 0; i < CASES / 4; i++) {
            List<List<String>> tags = new ArrayList<>();
            for (int t = rnd.nextInt(3); t > 0; t--) {
                List<String> tag = new ArrayList<>();
                for (int v = 1 + rnd.nextInt(3); v > 0; v--) {
                    tag.add(randomText(rnd));
                }
                tags.add(tag);
            }
            Event e = new Event(g.hex(32), g.hex(32), g.time(), g.kind(), tags, randomText(rnd), g.hex(64));
            StringJoiner tagJson = new StringJoiner(",", "[", "]");
            for (List<String> tag : tags) {
                StringJoiner one = new StringJoiner(",", "[", "]");
                tag.forEach(v -> one.add(referenceQuote(v)));
                tagJson.add(one.toString());
            }
            String expected = "[0,\"" + e.pubkey() + "\"," + e.createdAt() + "," + e.kind() + "," + tagJson + ","
                    + referenceQuote(e.content()) + "]";
            String where = "seed " + seed + " case " + i;
            assertEquals(expected, e.canonicalJson(), where);
            assertEquals(e, Event.parse(e.toJson()), where);
            assertEquals(KindClass.of(e.kind()), e.kindClass(), where);
        }
    }
}
