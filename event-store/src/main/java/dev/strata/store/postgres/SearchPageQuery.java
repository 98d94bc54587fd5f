package dev.strata.store.postgres;

import java.util.ArrayList;
import java.util.List;

import dev.strata.model.Filter;
import dev.strata.model.Hex;
import dev.strata.model.SearchQuery;
import dev.strata.store.QueryCursor;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Tuple;

/**
 * One page of a NIP-50 search: the events whose {@code content_words} hold every word ({@code plainto_tsquery} of
 * the text, no stemming), found through the GIN index with the filter's other fields, at most the budget plus one
 * of them; ranked by {@code ts_rank}, then newest first, then by id; the page after the cursor. Its rows carry the
 * number of matches (more than the budget: refused) and, unless the page is empty, an event with its score each;
 * the JSON is null in the rows after those that reached the page's bytes (as in {@link PageQuery#of}).
 */
record SearchPageQuery(String sql, Tuple params) {

    /** The statement, or null when no stored event can match. */
    static SearchPageQuery of(String schema, Filter filter, QueryCursor after, int pageRows, long maxScanned,
                              long maxBytes) {
        List<Object> params = new ArrayList<>();
        params.add(SearchQuery.parse(filter.search()).text());
        String words = "plainto_tsquery('simple', $1)";
        FilterSql conditions = FilterSql.of(schema, filter.withoutSearch(), params, "s");
        if (conditions == null) {
            return null;
        }
        List<String> where = new ArrayList<>(conditions.where());
        where.add(0, "e.content_words @@ " + words);
        params.add(maxScanned == Long.MAX_VALUE ? maxScanned : maxScanned + 1);
        StringBuilder sql = new StringBuilder("WITH m AS MATERIALIZED (SELECT e.id, e.created_at, e.json, ts_rank(")
                .append("e.content_words, ").append(words).append(") AS score FROM ").append(schema).append(".events e")
                .append(conditions.joins()).append(" WHERE ").append(String.join(" AND ", where)).append(" LIMIT $")
                .append(params.size()).append(") SELECT c.n, p.id, p.created_at, p.json, p.score FROM (SELECT count(*) ")
                .append("AS n FROM m) c LEFT JOIN LATERAL (SELECT id, created_at, CASE WHEN ")
                .append("coalesce(sum(octet_length(json)) OVER before, 0) < $").append(params.size() + 1)
                .append(" THEN json END AS json, score FROM (SELECT id, created_at, json, score FROM m");
        params.add(maxBytes);
        if (after != null) {
            params.add(after.score());
            String s = "$" + params.size() + "::float4";
            params.add(after.createdAt());
            String t = "$" + params.size();
            params.add(Buffer.buffer(Hex.decode(after.id())));
            String id = "$" + params.size();
            // Strictly after the cursor in (score DESC, created_at DESC, id ASC).
            sql.append(" WHERE score < ").append(s).append(" OR (score = ").append(s).append(" AND (created_at < ")
                    .append(t).append(" OR (created_at = ").append(t).append(" AND id > ").append(id).append(")))");
        }
        params.add(pageRows);
        sql.append(" ORDER BY score DESC, created_at DESC, id LIMIT $").append(params.size())
                .append(") q WINDOW before AS (ORDER BY score DESC, created_at DESC, id ROWS BETWEEN UNBOUNDED ")
                .append("PRECEDING AND 1 PRECEDING)) p ON true ORDER BY p.score DESC, p.created_at DESC, p.id");
        return new SearchPageQuery(sql.toString(), Tuple.from(params));
    }
}
