package dev.strata.store.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.KindClass;
import io.vertx.core.buffer.Buffer;

/**
 * One filter's conditions on {@code events e}, for the statements that need every match of a filter in no
 * particular order (counts, and the candidates a search ranks). The query planner picks the index; nothing here
 * has to come out in {@code created_at} order, unlike {@link PageQuery}.
 *
 * @param joins  {@code JOIN tags} clauses (a tag with one wanted value), to put after {@code FROM events e}
 * @param where  the conditions, joined with AND; empty for none
 */
record FilterSql(String joins, List<String> where) {

    /**
     * The conditions of {@code filter}, its values appended to {@code params}; null (and {@code params} as it was)
     * when nothing can match.
     */
    static FilterSql of(String schema, Filter filter, List<Object> params, String alias) {
        int before = params.size();
        FilterSql sql = build(schema, filter, params, alias);
        if (sql == null) {
            params.subList(before, params.size()).clear();
        }
        return sql;
    }

    private static FilterSql build(String schema, Filter filter, List<Object> params, String alias) {
        List<String> where = new ArrayList<>();
        StringBuilder joins = new StringBuilder();
        // NIP-40: an expired event matches nothing, whether or not the purge has removed it yet.
        params.add(System.currentTimeMillis() / 1000);
        where.add("(e.expires_at IS NULL OR e.expires_at > $" + params.size() + ")");
        if (!anyOf("e.id", hexValues(filter.ids()), Buffer[]::new, "bytea", params, where)
                || !anyOf("e.pubkey", hexValues(filter.authors()), Buffer[]::new, "bytea", params, where)
                || !anyOf("e.kind", kinds(filter.kinds()), Integer[]::new, "int4", params, where)) {
            return null;
        }
        Long since = filter.since() == null || filter.since() <= 0 ? null : filter.since();
        Long until = filter.until();
        if (until != null && (until < 0 || (since != null && since > until))) {
            return null;
        }
        if (since != null) {
            params.add(since);
            where.add("e.created_at >= $" + params.size());
        }
        if (until != null) {
            params.add(until);
            where.add("e.created_at <= $" + params.size());
        }
        int n = 0;
        for (Map.Entry<Character, List<Buffer>> tag : tags(filter).entrySet()) {
            if (tag.getValue() == null || tag.getValue().isEmpty()) {
                return null;
            }
            String t = alias + "t" + n++;
            params.add(String.valueOf(tag.getKey()));
            String name = "$" + params.size();
            if (tag.getValue().size() == 1) {
                params.add(tag.getValue().get(0));
                // One row per (event, name, value), so the join repeats no event.
                joins.append(" JOIN ").append(schema).append(".tags ").append(t).append(" ON ").append(t)
                        .append(".event_id = e.id AND ").append(t).append(".name = ").append(name).append(" AND ")
                        .append(t).append(".value = $").append(params.size());
            } else {
                params.add(tag.getValue().toArray(Buffer[]::new));
                where.add("EXISTS (SELECT 1 FROM " + schema + ".tags " + t + " WHERE " + t + ".event_id = e.id AND "
                        + t + ".name = " + name + " AND " + t + ".value = ANY($" + params.size() + "::bytea[]))");
            }
        }
        return new FilterSql(joins.toString(), where);
    }

    /** Only single-letter tags are stored (NIP-01 filters name no others); a value list null marks "none can match". */
    private static Map<Character, List<Buffer>> tags(Filter filter) {
        Map<Character, List<Buffer>> tags = new TreeMap<>();
        for (Map.Entry<Character, Set<String>> tag : filter.tags().entrySet()) {
            tags.put(tag.getKey(), EventRow.isIndexedTagName(tag.getKey())
                    ? tag.getValue().stream().map(v -> Buffer.buffer(EventRow.tagValue(v))).toList()
                    : null);
        }
        return tags;
    }

    /** {@code WHERE ...} (or nothing) of these conditions. */
    String whereClause() {
        return where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where);
    }

    private static <T> boolean anyOf(String column, List<T> values, IntFunction<T[]> array, String type,
                                     List<Object> params, List<String> where) {
        if (values == null) {
            return true;
        }
        if (values.isEmpty()) {
            return false;
        }
        if (values.size() == 1) {
            params.add(values.get(0));
            where.add(column + " = $" + params.size());
        } else {
            params.add(values.toArray(array));
            where.add(column + " = ANY($" + params.size() + "::" + type + "[])");
        }
        return true;
    }

    private static List<Buffer> hexValues(Set<String> values) {
        return values == null ? null : values.stream().filter(v -> Hex.isLowerHex(v, 64)).sorted()
                .map(v -> Buffer.buffer(Hex.decode(v))).toList();
    }

    private static List<Integer> kinds(Set<Integer> values) {
        return values == null ? null : values.stream().filter(k -> k >= 0 && k <= KindClass.MAX_KIND).sorted()
                .toList();
    }
}
