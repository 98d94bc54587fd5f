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
import dev.strata.store.QueryCursor;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Tuple;

/**
 * The one statement that reads a page of a filter's matches, newest first, every field of the filter applied in SQL.
 *
 * <p>The text depends only on the filter's shape (which fields, and how many values where that matters); the
 * values travel as parameters. The shapes are few, so their prepared statements stay cached on every connection.
 *
 * <p>What matters most is that a page costs about its size, not the number of matches: the rows must come out of an
 * index already in {@code created_at DESC, id} order so that {@code LIMIT} stops the walk. A btree of PostgreSQL 15
 * does that for {@code col = $1} but not for {@code col = ANY($1)}, so the statement has one of these drivers:
 * <ul>
 *   <li>a tag with one wanted value: an inner join on {@code tags}, whose rows hold their event's created_at, so
 *       its index walks in the query order by itself. This tag carries the time window and the cursor (saying
 *       {@code t.created_at = e.created_at} as well would be true but makes the planner treat the two equalities as
 *       independent and expect no rows at all);</li>
 *   <li>else, in a filter without ids, a tag with 2 to {@link #MAX_MERGED_VALUES} values if there are no
 *       authors, or else 2 to that many authors: one ordered index walk per value under {@code UNION ALL}, which
 *       PostgreSQL merges ({@code Merge Append}) like the LMDB engine merges its cursors, so a page reads about a
 *       page from each walk. An event with several of the wanted tag values comes out once per value, next to
 *       itself; {@link PgEventStore} drops the repeats;</li>
 *   <li>else the events table itself, where PostgreSQL picks among the id, time, kind and author indexes.</li>
 * </ul>
 * Other tags are further joins (one value) or {@code EXISTS} (several), which need no order.
 *
 * @param sql    at most the caller's page size plus one look-ahead row, newest first
 * @param params in the order of the placeholders
 */
record PageQuery(String sql, Tuple params) {
    /** More values than this are matched with {@code = ANY} and sorted: planning many branches costs more. */
    static final int MAX_MERGED_VALUES = 32;

    /**
     * The statement for one page, or null when no stored event can match (an empty value set, an empty window). Its
     * rows are the page's {@code limit} events at most, in order; a row whose JSON is null comes after the events
     * that reached {@code maxBytes} together, and is not sent: only its key, telling that the page was cut there.
     */
    static PageQuery of(String schema, Filter filter, QueryCursor after, int limit, long maxBytes) {
        PageQuery page = new Builder(schema, filter, after, System.currentTimeMillis() / 1000).build(limit);
        return page == null ? null : page.boundedInBytes(maxBytes);
    }

    /**
     * This page with a null JSON in each row after the rows whose JSON reached {@code maxBytes}: the database
     * measures the stored text without reading it ({@code octet_length} of a TOASTed value reads its header only),
     * so a page of huge events never reaches this process whole. The window runs over the limited rows only.
     */
    private PageQuery boundedInBytes(long maxBytes) {
        Tuple bounded = Tuple.tuple();
        for (int i = 0; i < params.size(); i++) {
            bounded.addValue(params.getValue(i));
        }
        bounded.addLong(maxBytes);
        String sql = "SELECT id, created_at, CASE WHEN coalesce(sum(octet_length(json)) OVER before, 0) < $"
                + bounded.size() + " THEN json END AS json FROM (" + this.sql + ") p WINDOW before AS (ORDER BY "
                + "created_at DESC, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) ORDER BY created_at DESC, id";
        return new PageQuery(sql, bounded);
    }

    private static final class Builder {
        private final String schema;
        private final Filter filter;
        private final QueryCursor after;
        /** Unix time of the query, for NIP-40. */
        private final long now;
        private final List<Object> params = new ArrayList<>();
        /** Conditions on {@code e}, the events row (and on joined tags). */
        private final List<String> where = new ArrayList<>();
        private final StringBuilder joins = new StringBuilder();
        private Long since;
        private Long upper;
        private String sinceParam;
        private String upperParam;
        private String cursorTimeParam;
        private String cursorIdParam;

        Builder(String schema, Filter filter, QueryCursor after, long now) {
            this.schema = schema;
            this.filter = filter;
            this.after = after;
            this.now = now;
        }

        private String param(Object value) {
            params.add(value);
            return "$" + params.size();
        }

        PageQuery build(int limit) {
            List<Buffer> ids = hexValues(filter.ids());
            List<Buffer> authors = hexValues(filter.authors());
            List<Integer> kinds = kinds(filter.kinds());
            // Sorted by name so that one shape is always the same text.
            Map<Character, List<Buffer>> tags = new TreeMap<>();
            for (Map.Entry<Character, Set<String>> tag : filter.tags().entrySet()) {
                if (!EventRow.isIndexedTagName(tag.getKey())) {
                    return null; // only single-letter tags are stored, and NIP-01 filters can name no others
                }
                tags.put(tag.getKey(), tag.getValue().stream().map(v -> Buffer.buffer(EventRow.tagValue(v))).toList());
            }
            if (isEmpty(ids) || isEmpty(authors) || isEmpty(kinds) || tags.values().stream().anyMatch(List::isEmpty)
                    || !window()) {
                return null;
            }

            // A merged walk fixes the plan's shape, so it is only for fields that are the filter's most selective:
            // never beside ids (a few exact lookups), a tag's never beside authors (as the LMDB planner ranks them).
            boolean mayMerge = ids == null;
            Character drivingTag = tags.entrySet().stream().filter(t -> t.getValue().size() == 1)
                    .map(Map.Entry::getKey).findFirst()
                    .orElse(tags.entrySet().stream()
                            .filter(t -> mayMerge && authors == null && t.getValue().size() <= MAX_MERGED_VALUES)
                            .map(Map.Entry::getKey).findFirst().orElse(null));
            boolean authorsDrive = drivingTag == null && mayMerge && authors != null && authors.size() > 1
                    && authors.size() <= MAX_MERGED_VALUES;

            // NIP-40: an expired event is never served, whether or not the purge has removed it yet.
            where.add("(e.expires_at IS NULL OR e.expires_at > " + param(now) + ")");
            equalsAny("e.id", ids, Buffer[]::new, "bytea");
            if (!authorsDrive) {
                equalsAny("e.pubkey", authors, Buffer[]::new, "bytea");
            }
            equalsAny("e.kind", kinds, Integer[]::new, "int4");
            int alias = 0;
            for (Map.Entry<Character, List<Buffer>> tag : tags.entrySet()) {
                if (!tag.getKey().equals(drivingTag)) {
                    otherTag(tag.getKey(), tag.getValue(), "t" + alias++);
                }
            }
            String from;
            String order;
            if (drivingTag != null) {
                from = tagDriver(drivingTag, tags.get(drivingTag));
                order = "d";
            } else if (authorsDrive) {
                // Every condition goes into each walk: the walks are the whole query, one author each. (Tags here
                // have several values each, so they are EXISTS on e, which a walk can hold.)
                return new PageQuery(authorBranches(authors, limit), Tuple.from(params));
            } else {
                timeAndCursor("e", "e.id", where);
                from = schema + ".events e";
                order = "e";
            }
            StringBuilder sql = new StringBuilder(256).append("SELECT e.id, e.created_at, e.json FROM ").append(from)
                    .append(joins);
            appendWhere(sql, where);
            sql.append(" ORDER BY ").append(order).append(".created_at DESC, ")
                    .append(order.equals("e") ? "e.id" : order + ".event_id")
                    .append(" LIMIT ").append(param(limit));
            return new PageQuery(sql.toString(), Tuple.from(params));
        }

        /** The time window of the filter and the cursor; false when no created_at (never negative) falls in it. */
        private boolean window() {
            since = filter.since() == null || filter.since() <= 0 ? null : filter.since();
            upper = filter.until();
            if (after != null) {
                upper = upper == null ? after.createdAt() : Math.min(upper, after.createdAt());
            }
            return upper == null || (upper >= 0 && (since == null || since <= upper));
        }

        /** Conditions that keep {@code table}'s rows inside the window and strictly after the cursor. */
        private void timeAndCursor(String table, String idColumn, List<String> out) {
            if (since != null) {
                sinceParam = sinceParam == null ? param(since) : sinceParam;
                out.add(table + ".created_at >= " + sinceParam);
            }
            if (upper != null) {
                upperParam = upperParam == null ? param(upper) : upperParam;
                out.add(table + ".created_at <= " + upperParam);
            }
            if (after != null) {
                if (cursorTimeParam == null) {
                    cursorTimeParam = param(after.createdAt());
                    cursorIdParam = param(Buffer.buffer(Hex.decode(after.id())));
                }
                // Strictly after the cursor in (created_at DESC, id ASC): older, or as old with a greater id.
                out.add("(" + table + ".created_at < " + cursorTimeParam + " OR " + idColumn + " > "
                        + cursorIdParam + ")");
            }
        }

        /**
         * {@code (walk) d JOIN events e} for one value; {@code ((walk) UNION ALL (walk) ...) d JOIN events e} for
         * several, each walk with its own ORDER BY: only then does PostgreSQL 15 merge them ({@code Merge Append})
         * rather than append all and sort. One value goes without, so that the planner may still start from
         * the events side (a rare author, say) and probe the tag per event.
         */
        private String tagDriver(char name, List<Buffer> values) {
            String nameParam = param(String.valueOf(name));
            List<String> walks = new ArrayList<>();
            for (Buffer value : values) {
                List<String> conditions = new ArrayList<>();
                conditions.add("t.name = " + nameParam);
                conditions.add("t.value = " + param(value));
                timeAndCursor("t", "t.event_id", conditions);
                StringBuilder walk = new StringBuilder("SELECT t.created_at, t.event_id FROM ").append(schema)
                        .append(".tags t");
                appendWhere(walk, conditions);
                walks.add(walk.toString());
            }
            return "(" + merged(walks, "t.created_at DESC, t.event_id") + ") d JOIN " + schema
                    + ".events e ON e.id = d.event_id";
        }

        private String authorBranches(List<Buffer> authors, int limit) {
            List<String> walks = new ArrayList<>();
            for (Buffer author : authors) {
                List<String> conditions = new ArrayList<>(where);
                conditions.add("e.pubkey = " + param(author));
                timeAndCursor("e", "e.id", conditions);
                StringBuilder walk = new StringBuilder("SELECT e.id, e.created_at, e.json FROM ").append(schema)
                        .append(".events e");
                appendWhere(walk, conditions);
                walks.add(walk.toString());
            }
            return "SELECT id, created_at, json FROM (" + merged(walks, "e.created_at DESC, e.id")
                    + ") e ORDER BY created_at DESC, id LIMIT " + param(limit);
        }

        private static String merged(List<String> walks, String order) {
            if (walks.size() == 1) {
                return walks.get(0);
            }
            StringBuilder sql = new StringBuilder();
            for (String walk : walks) {
                sql.append(sql.length() == 0 ? "(" : " UNION ALL (").append(walk).append(" ORDER BY ").append(order)
                        .append(')');
            }
            return sql.toString();
        }

        private void otherTag(char name, List<Buffer> values, String t) {
            String nameParam = param(String.valueOf(name));
            if (values.size() == 1) {
                joins.append(" JOIN ").append(schema).append(".tags ").append(t).append(" ON ").append(t)
                        .append(".event_id = e.id");
                where.add(t + ".name = " + nameParam);
                where.add(t + ".value = " + param(values.get(0)));
                return;
            }
            where.add("EXISTS (SELECT 1 FROM " + schema + ".tags " + t + " WHERE " + t + ".event_id = e.id AND "
                    + t + ".name = " + nameParam + " AND " + t + ".value = ANY("
                    + param(values.toArray(Buffer[]::new)) + "::bytea[]))");
        }

        private static void appendWhere(StringBuilder sql, List<String> conditions) {
            for (int i = 0; i < conditions.size(); i++) {
                sql.append(i == 0 ? " WHERE " : " AND ").append(conditions.get(i));
            }
        }

        /** Ids and pubkeys are stored as raw bytes: only 64-character lowercase hex can match. */
        private static List<Buffer> hexValues(Set<String> values) {
            if (values == null) {
                return null;
            }
            return values.stream().filter(v -> Hex.isLowerHex(v, 64)).sorted()
                    .map(v -> Buffer.buffer(Hex.decode(v))).toList();
        }

        private static List<Integer> kinds(Set<Integer> values) {
            if (values == null) {
                return null;
            }
            return values.stream().filter(k -> k >= 0 && k <= KindClass.MAX_KIND).sorted().toList();
        }

        private static boolean isEmpty(List<?> values) {
            return values != null && values.isEmpty();
        }

        private <T> void equalsAny(String column, List<T> values, IntFunction<T[]> array, String type) {
            if (values == null) {
                return;
            }
            if (values.size() == 1) {
                where.add(column + " = " + param(values.get(0)));
            } else {
                where.add(column + " = ANY(" + param(values.toArray(array)) + "::" + type + "[])");
            }
        }
    }
}
