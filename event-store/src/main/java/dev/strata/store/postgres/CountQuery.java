package dev.strata.store.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.store.Visibility;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Tuple;

/**
 * The one statement of a NIP-45 count: every filter's matching ids (and pubkeys, for the HyperLogLog) from an
 * index, each walk capped at the budget plus one row, then counted in the database. Its rows are (key, value):
 * key -2 the rows the walks returned (more than the budget: refused), -1 the distinct events, 0 to 255 the
 * HyperLogLog register of that number.
 *
 * <p>Where the reader may not see every event (NIP-42 private kinds), a filter that may match such events keeps
 * only those of other kinds or whose author or {@code p} tag is one of the reader's pubkeys.
 *
 * <p>A filter of one tag and nothing else but a time window is counted from the {@code tags} index alone, an
 * index-only scan (less the expired events the purge has not removed yet, found by their own partial index);
 * other filters join {@code events}. The HyperLogLog registers are computed in SQL as NIP-45 says:
 * the pubkey byte at the offset picks the register, whose value is the position of the first 1 bit in the 56 bits
 * after it (57 when there is none).
 */
record CountQuery(String sql, Tuple params) {
    static final int ROWS = -2;
    static final int EVENTS = -1;

    /** The statement, or null when no stored event can match any of the filters. */
    static CountQuery of(String schema, List<Filter> filters, int hllOffset, long maxScanned, Visibility visibility) {
        List<Object> params = new ArrayList<>();
        params.add(maxScanned == Long.MAX_VALUE ? maxScanned : maxScanned + 1);
        String cap = "$1";
        boolean hll = hllOffset >= 0;
        List<String> walks = new ArrayList<>();
        boolean repeats = false;
        for (Filter f : filters) {
            Map.Entry<Character, Set<String>> onlyTag = f.ids() == null && f.authors() == null && f.kinds() == null
                    && f.tags().size() == 1 && !hll && !visibility.restricts(f)
                    ? f.tags().entrySet().iterator().next() : null;
            String walk = onlyTag != null && EventRow.isIndexedTagName(onlyTag.getKey())
                    && !onlyTag.getValue().isEmpty()
                    ? tagWalk(schema, f, onlyTag, params)
                    : eventWalk(schema, f, hll, visibility, params);
            if (walk != null) {
                walks.add("(" + walk + " LIMIT " + cap + ")");
                repeats |= f.tags().values().stream().anyMatch(v -> v.size() > 1);
            }
        }
        if (walks.isEmpty()) {
            return null;
        }
        // An event comes out once per walk that finds it, and once per wanted value of a tag it has several of.
        boolean distinct = repeats || walks.size() > 1;
        StringBuilder sql = new StringBuilder("WITH r AS MATERIALIZED (").append(String.join(" UNION ALL ", walks))
                .append("), m AS (SELECT ").append(distinct ? "DISTINCT " : "").append(hll ? "id, pubkey" : "id")
                .append(" FROM r) SELECT ").append(ROWS).append(", count(*) FROM r UNION ALL SELECT ")
                .append(EVENTS).append(", count(*) FROM m");
        if (hll) {
            params.add(hllOffset);
            String offset = "$" + params.size();
            sql.append(" UNION ALL SELECT get_byte(pubkey, ").append(offset).append("), max(CASE WHEN p = 0 THEN 57 ")
                    .append("ELSE p END) FROM (SELECT pubkey, position(B'1' in ('x' || encode(substring(pubkey from ")
                    .append(offset).append(" + 2 for 7), 'hex'))::bit(56)) AS p FROM m) w GROUP BY 1");
        }
        return new CountQuery(sql.toString(), Tuple.from(params));
    }

    private static String tagWalk(String schema, Filter f, Map.Entry<Character, Set<String>> tag,
                                  List<Object> params) {
        Long since = f.since() == null || f.since() <= 0 ? null : f.since();
        Long until = f.until();
        if (until != null && (until < 0 || (since != null && since > until))) {
            return null;
        }
        List<String> where = new ArrayList<>();
        params.add(String.valueOf(tag.getKey()));
        where.add("t.name = $" + params.size());
        List<Buffer> values = tag.getValue().stream().map(v -> Buffer.buffer(EventRow.tagValue(v))).toList();
        if (values.size() == 1) {
            params.add(values.get(0));
            where.add("t.value = $" + params.size());
        } else {
            params.add(values.toArray(Buffer[]::new));
            where.add("t.value = ANY($" + params.size() + "::bytea[])");
        }
        if (since != null) {
            params.add(since);
            where.add("t.created_at >= $" + params.size());
        }
        if (until != null) {
            params.add(until);
            where.add("t.created_at <= $" + params.size());
        }
        // NIP-40: expired events do not count. Few are stored unpurged, and the partial index finds just those.
        params.add(System.currentTimeMillis() / 1000);
        where.add("NOT EXISTS (SELECT 1 FROM " + schema + ".events x WHERE x.expires_at <= $" + params.size()
                + " AND x.id = t.event_id)");
        return "SELECT t.event_id AS id FROM " + schema + ".tags t WHERE " + String.join(" AND ", where);
    }

    private static String eventWalk(String schema, Filter f, boolean hll, Visibility visibility,
                                    List<Object> params) {
        FilterSql conditions = FilterSql.of(schema, f, params, "c" + params.size());
        if (conditions == null) {
            return null;
        }
        List<String> where = new ArrayList<>(conditions.where());
        if (visibility.restricts(f)) {
            where.add(visible(schema, visibility, params));
        }
        return "SELECT e.id" + (hll ? ", e.pubkey" : "") + " FROM " + schema + ".events e" + conditions.joins()
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
    }

    /** NIP-42: an event of a private kind only for its author and the pubkeys it p-tags. */
    private static String visible(String schema, Visibility visibility, List<Object> params) {
        params.add(visibility.privateKinds().kinds().toArray(Integer[]::new));
        StringBuilder sql = new StringBuilder("(e.kind <> ALL($").append(params.size()).append("::int4[])");
        List<String> readers = visibility.readers().stream().filter(r -> Hex.isLowerHex(r, 64)).sorted().toList();
        if (!readers.isEmpty()) {
            params.add(readers.stream().map(r -> Buffer.buffer(Hex.decode(r))).toArray(Buffer[]::new));
            sql.append(" OR e.pubkey = ANY($").append(params.size()).append("::bytea[])");
            params.add("p");
            String name = "$" + params.size();
            params.add(readers.stream().map(r -> Buffer.buffer(EventRow.tagValue(r))).toArray(Buffer[]::new));
            sql.append(" OR EXISTS (SELECT 1 FROM ").append(schema).append(".tags v WHERE v.event_id = e.id AND ")
                    .append("v.name = ").append(name).append(" AND v.value = ANY($").append(params.size())
                    .append("::bytea[]))");
        }
        return sql.append(')').toString();
    }
}
