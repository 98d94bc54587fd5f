package dev.strata.fanout;

import dev.strata.model.Event;
import dev.strata.model.Filter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Unsigned events and filters for matching tests: the index never looks at signatures. */
final class Fixtures {

    private Fixtures() {
    }

    /** A distinct fake 64-hex-character id or pubkey. */
    static String hex(int n) {
        return String.format("%064x", n);
    }

    static Event event(String id, String pubkey, long createdAt, int kind, List<List<String>> tags) {
        return new Event(id, pubkey, createdAt, kind, tags, "", "0".repeat(128));
    }

    static Event event(int kind, List<List<String>> tags) {
        return event(hex(1), hex(2), 1_000, kind, tags);
    }

    static FilterBuilder filter() {
        return new FilterBuilder();
    }

    static final class FilterBuilder {
        private Set<String> ids;
        private Set<String> authors;
        private Set<Integer> kinds;
        private final Map<Character, Set<String>> tags = new HashMap<>();
        private Long since;
        private Long until;
        private Integer limit;

        FilterBuilder ids(String... values) {
            ids = Set.of(values);
            return this;
        }

        FilterBuilder authors(String... values) {
            authors = Set.of(values);
            return this;
        }

        FilterBuilder kinds(Integer... values) {
            kinds = Set.of(values);
            return this;
        }

        FilterBuilder tag(char name, String... values) {
            tags.put(name, Set.of(values));
            return this;
        }

        FilterBuilder since(long t) {
            since = t;
            return this;
        }

        FilterBuilder until(long t) {
            until = t;
            return this;
        }

        FilterBuilder limit(int n) {
            limit = n;
            return this;
        }

        Filter build() {
            return new Filter(ids, authors, kinds, tags, since, until, limit);
        }
    }
}
