package dev.strata.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.KindClass;

/**
 * Picks the index whose prefixes give the fewest candidates, by a fixed order of field selectivity: ids, then
 * (author, kind) pairs, authors, a tag, kinds, and finally the whole time index. Values no event can have (an
 * author that is not lowercase hex, a kind out of range) get no prefix.
 */
final class QueryPlanner {
    /** Beyond this many (author, kind) pairs, the cursors cost more than walking the authors' events. */
    static final int MAX_AUTHOR_KIND_PAIRS = 256;

    private static final QueryPlan NOTHING = new QueryPlan.Nothing();

    private QueryPlanner() {
    }

    static QueryPlan plan(Filter filter) {
        if (matchesNothing(filter)) {
            return NOTHING;
        }
        Set<String> authors = filter.authors();
        Set<Integer> kinds = filter.kinds();
        // The planner walks fields the filter has, so the walk is exact when it uses all of them.
        int fields = (filter.ids() != null ? 1 : 0) + (authors != null ? 1 : 0) + (kinds != null ? 1 : 0)
                + filter.tags().size();
        if (filter.ids() != null) {
            return new QueryPlan.Ids(hexValues(filter.ids()), fields == 1);
        }
        if (authors != null && kinds != null && (long) authors.size() * kinds.size() <= MAX_AUTHOR_KIND_PAIRS) {
            List<byte[]> prefixes = new ArrayList<>();
            for (String author : authors) {
                for (int kind : kinds) {
                    if (Hex.isLowerHex(author, 64) && isKind(kind)) {
                        prefixes.add(Keys.authorKind(author, kind));
                    }
                }
            }
            return new QueryPlan.Walk(Index.AUTHOR_KIND, prefixes, fields == 2);
        }
        if (authors != null) {
            return new QueryPlan.Walk(Index.AUTHOR, hexValues(authors), fields == 1);
        }
        if (!filter.tags().isEmpty()) {
            Map.Entry<Character, Set<String>> tag = filter.tags().entrySet().stream()
                    .min(Comparator.<Map.Entry<Character, Set<String>>>comparingInt(t -> t.getValue().size())
                            .thenComparing(Map.Entry::getKey))
                    .orElseThrow();
            List<byte[]> prefixes = new ArrayList<>();
            for (String value : tag.getValue()) {
                prefixes.add(Keys.tag(tag.getKey(), value));
            }
            return new QueryPlan.Walk(Index.TAG, prefixes, fields == 1);
        }
        if (kinds != null) {
            List<byte[]> prefixes = new ArrayList<>();
            for (int kind : kinds) {
                if (isKind(kind)) {
                    prefixes.add(Keys.kind(kind));
                }
            }
            return new QueryPlan.Walk(Index.KIND, prefixes, fields == 1);
        }
        return new QueryPlan.Walk(Index.CREATED, List.of(new byte[0]), fields == 0);
    }

    /** A field with an empty set of values, or a time window no created_at (never negative) falls in. */
    private static boolean matchesNothing(Filter filter) {
        Long since = filter.since();
        Long until = filter.until();
        return isEmpty(filter.ids()) || isEmpty(filter.authors()) || isEmpty(filter.kinds())
                || filter.tags().values().stream().anyMatch(Set::isEmpty)
                || (until != null && (until < 0 || (since != null && since > until)));
    }

    private static boolean isEmpty(Set<?> values) {
        return values != null && values.isEmpty();
    }

    private static boolean isKind(int kind) {
        return kind >= 0 && kind <= KindClass.MAX_KIND;
    }

    /** Ids and pubkeys are stored as lowercase hex, so no other spelling can match. */
    private static List<byte[]> hexValues(Set<String> values) {
        List<byte[]> out = new ArrayList<>(values.size());
        for (String v : values) {
            if (Hex.isLowerHex(v, 64)) {
                out.add(Hex.decode(v));
            }
        }
        return out;
    }
}
