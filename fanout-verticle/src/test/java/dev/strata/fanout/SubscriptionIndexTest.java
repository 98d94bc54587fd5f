package dev.strata.fanout;

import static dev.strata.fanout.Fixtures.event;
import static dev.strata.fanout.Fixtures.filter;
import static dev.strata.fanout.Fixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.model.Event;
import dev.strata.model.Filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubscriptionIndexTest {

    private record SubKey(String gateway, long connection, String subscription) {
    }

    private final SubscriptionIndex<String> index = new SubscriptionIndex<>();

    private List<String> matches(Event e) {
        List<String> keys = new ArrayList<>();
        index.forEachMatch(e, keys::add);
        return keys;
    }

    private void assertEmptyInternals() {
        for (Map.Entry<String, Integer> size : index.internalSizes().entrySet()) {
            assertEquals(0, size.getValue(), size.getKey());
        }
    }

    @Test
    void matchesByIds() {
        index.add("s", List.of(filter().ids(hex(10), hex(11)).build()));
        assertEquals(List.of("s"), matches(event(hex(11), hex(2), 1, 1, List.of())));
        assertEquals(List.of(), matches(event(hex(12), hex(2), 1, 1, List.of())));
    }

    @Test
    void matchesByAuthors() {
        index.add("s", List.of(filter().authors(hex(20)).build()));
        assertEquals(List.of("s"), matches(event(hex(1), hex(20), 1, 1, List.of())));
        assertEquals(List.of(), matches(event(hex(1), hex(21), 1, 1, List.of())));
    }

    @Test
    void matchesByKinds() {
        // 30023 is outside Integer's box cache, so the kind lookup must compare by value.
        index.add("s", List.of(filter().kinds(1, 30023).build()));
        assertEquals(List.of("s"), matches(event(30023, List.of())));
        assertEquals(List.of("s"), matches(event(1, List.of())));
        assertEquals(List.of(), matches(event(7, List.of())));
    }

    @ParameterizedTest
    @ValueSource(chars = {'e', 'p', 't', 'E', 'P'})
    void matchesByTag(char name) {
        index.add("s", List.of(filter().tag(name, "v1", "v2").build()));
        assertEquals(List.of("s"), matches(event(1, List.of(List.of("x", "v1"), List.of(String.valueOf(name), "v2")))));
        assertEquals(List.of(), matches(event(1, List.of(List.of(String.valueOf(name), "v3")))));
    }

    @Test
    void tagLettersAreCaseSensitive() {
        index.add("upper", List.of(filter().tag('E', "x").build()));
        index.add("lower", List.of(filter().tag('e', "x").build()));
        assertEquals(List.of("upper"), matches(event(1, List.of(List.of("E", "x")))));
        assertEquals(List.of("lower"), matches(event(1, List.of(List.of("e", "x")))));
    }

    @Test
    void tagFiltersSeeOnlyElementOneOfSingleLetterTags() {
        index.add("s", List.of(filter().tag('e', "x").build()));
        assertEquals(List.of(), matches(event(1, List.of(List.of("e", "y", "x")))));
        assertEquals(List.of(), matches(event(1, List.of(List.of("ee", "x")))));
        assertEquals(List.of(), matches(event(1, List.of(List.of("x", "e")))));
        assertEquals(List.of(), matches(event(1, List.of(List.of("e")))));
        assertEquals(List.of("s"), matches(event(1, List.of(List.of("e", "x", "wss://relay", "reply")))));
    }

    @Test
    void filterWithSeveralTagFieldsNeedsAllOfThem() {
        index.add("s", List.of(filter().tag('e', "x").tag('p', "a", "b").build()));
        assertEquals(List.of(), matches(event(1, List.of(List.of("p", "a")))));
        // Indexed under its narrower field, #e, so an event with none of its #e values does not even reach it.
        assertEquals(0, index.forEachMatch(event(1, List.of(List.of("p", "a"), List.of("p", "b"))), k -> { }));
        assertEquals(List.of(), matches(event(1, List.of(List.of("e", "x")))));
        assertEquals(List.of("s"), matches(event(1, List.of(List.of("p", "b"), List.of("e", "x")))));
    }

    @Test
    void sinceAndUntilOnlyFilterIsBroadButStillChecksTime() {
        index.add("s", List.of(filter().since(100).until(200).build()));
        assertEquals(List.of("s"), matches(event(hex(1), hex(2), 100, 1, List.of())));
        assertEquals(List.of("s"), matches(event(hex(1), hex(2), 200, 1, List.of())));
        assertEquals(List.of(), matches(event(hex(1), hex(2), 99, 1, List.of())));
        assertEquals(List.of(), matches(event(hex(1), hex(2), 201, 1, List.of())));
    }

    @Test
    void emptyFilterMatchesEverything() {
        index.add("s", List.of(Filter.ALL));
        assertEquals(List.of("s"), matches(event(hex(5), hex(6), 0, 65535, List.of(List.of("e", "x")))));
    }

    @Test
    void limitIsIgnoredForLiveEvents() {
        index.add("s", List.of(filter().kinds(1).limit(0).build()));
        assertEquals(List.of("s"), matches(event(1, List.of())));
    }

    @Test
    void keyWithSeveralMatchingFiltersIsReportedOnce() {
        index.add("s", List.of(filter().kinds(1).build(), filter().authors(hex(2)).build(), Filter.ALL,
                filter().ids(hex(1)).build(), filter().tag('t', "nostr").build()));
        index.add("other", List.of(filter().kinds(1).build()));
        List<String> keys = matches(event(1, List.of(List.of("t", "nostr"))));
        assertEquals(Set.of("s", "other"), Set.copyOf(keys));
        assertEquals(2, keys.size());
    }

    @Test
    void filterIndexedUnderSeveralOfTheEventsValuesIsCheckedOnce() {
        index.add("s", List.of(filter().tag('e', "x", "y").kinds(7).build()));
        List<List<String>> tags = List.of(List.of("e", "x"), List.of("e", "y"));
        assertEquals(List.of("s"), matches(event(7, tags)));
        // Not matching (wrong kind), yet reached through two buckets: it must still be checked only once.
        assertEquals(1, index.forEachMatch(event(1, tags), k -> { }));
    }

    @Test
    void duplicateTagValuesInTheEventMatchOnce() {
        index.add("s", List.of(filter().tag('t', "nostr").build()));
        List<List<String>> tags = List.of(List.of("t", "nostr"), List.of("t", "nostr"), List.of("t", "nostr"));
        assertEquals(List.of("s"), matches(event(1, tags)));
        assertEquals(1, index.forEachMatch(event(1, tags), k -> { }));
    }

    @Test
    void addingAnExistingKeyReplacesItsFilters() {
        index.add("s", List.of(filter().kinds(1).build()));
        index.add("s", List.of(filter().kinds(7).build()));
        assertEquals(1, index.size());
        assertEquals(List.of(), matches(event(1, List.of())));
        assertEquals(List.of("s"), matches(event(7, List.of())));
        assertEquals(1, index.internalSizes().get("kinds"));
    }

    @Test
    void removedSubscriptionNoLongerMatchesAndLeavesNothingBehind() {
        index.add("a", List.of(filter().kinds(1).build(), filter().tag('p', hex(3)).build()));
        index.add("b", List.of(filter().kinds(1).build()));
        assertTrue(index.remove("a"));
        assertFalse(index.remove("a"));
        assertEquals(List.of("b"), matches(event(1, List.of(List.of("p", hex(3))))));
        assertTrue(index.remove("b"));
        assertEquals(0, index.size());
        assertEmptyInternals();
    }

    @Test
    void filterThatCanMatchNothingIsKeptButNotIndexed() {
        index.add("empty", List.of(filter().ids().build(), filter().tag('e').build(), filter().kinds().build(),
                filter().since(10).until(5).build()));
        assertEquals(1, index.size());
        assertEquals(List.of(), matches(event(hex(1), hex(2), 7, 1, List.of(List.of("e", "x")))));
        assertEquals(Map.of("subscriptions", 1, "ids", 0, "authors", 0, "tags", 0, "kinds", 0, "broad", 0),
                index.internalSizes());
        assertTrue(index.remove("empty"));
        assertEmptyInternals();
    }

    @Test
    void removeMatchingDropsAWholeGateway() {
        SubscriptionIndex<SubKey> subs = new SubscriptionIndex<>();
        for (int c = 0; c < 10; c++) {
            subs.add(new SubKey("gw1", c, "a"), List.of(filter().kinds(1).build()));
            subs.add(new SubKey("gw2", c, "a"), List.of(filter().kinds(1).build()));
        }
        assertEquals(10, subs.removeMatching(k -> k.gateway().equals("gw1")));
        List<SubKey> keys = new ArrayList<>();
        subs.forEachMatch(event(1, List.of()), keys::add);
        assertEquals(10, keys.size());
        assertTrue(keys.stream().allMatch(k -> k.gateway().equals("gw2")));
        assertEquals(10, subs.removeMatching(k -> true));
        assertEquals(0, subs.internalSizes().values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void onlyCandidateFiltersAreChecked() {
        for (int i = 0; i < 10_000; i++) {
            index.add("author" + i, List.of(filter().authors(hex(1_000_000 + i)).kinds(1).build()));
        }
        List<String> keys = new ArrayList<>();
        assertEquals(1, index.forEachMatch(event(hex(1), hex(1_000_042), 1, 1, List.of()), keys::add));
        assertEquals(List.of("author42"), keys);
    }

    @Test
    void sinkMayNotChangeSubscriptions() {
        index.add("s", List.of(Filter.ALL));
        assertThrows(IllegalStateException.class, () -> index.forEachMatch(event(1, List.of()), index::remove));
        // The failed attempt must not leave the index stuck in its matching state.
        assertTrue(index.remove("s"));
    }
}
