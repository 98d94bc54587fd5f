package dev.strata.store;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Filter;

/** Readable filters for tests: {@code filter().authors(a).kinds(1).build()}. */
final class FilterBuilder {
    private Set<String> ids;
    private Set<String> authors;
    private Set<Integer> kinds;
    private final Map<Character, Set<String>> tags = new HashMap<>();
    private Long since;
    private Long until;
    private String search;

    static FilterBuilder filter() {
        return new FilterBuilder();
    }

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

    FilterBuilder since(long value) {
        since = value;
        return this;
    }

    FilterBuilder until(long value) {
        until = value;
        return this;
    }

    FilterBuilder search(String value) {
        search = value;
        return this;
    }

    Filter build() {
        return new Filter(ids, authors, kinds, tags, since, until, null, search);
    }
}
