package dev.strata.store.postgres;

import static dev.strata.store.postgres.TestDatabase.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.strata.model.Filter;
import dev.strata.store.QueryCursor;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;

/**
 * Every filter shape of the contract suite, on a table of {@value #EVENTS} events: the plan of the statement the
 * engine issues must walk an index made for it, never read the events or tags table whole. Planned on a connection
 * with the engine's own session settings, with the values the query carries.
 */
class PgIndexUsageTest {
    private static final int EVENTS = 120_000;
    private static final int PAGE = 501; // a page of 500 and its look-ahead row

    private static Vertx vertx;
    private static Pool admin;
    private static Pool planner;
    private static String schema;

    @BeforeAll
    static void generate() {
        vertx = Vertx.vertx();
        admin = TestDatabase.admin(vertx, 1);
        schema = TestDatabase.newSchema();
        PgConfig config = TestDatabase.config(schema);
        TestDatabase.open(vertx, config).close();
        planner = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
                .connectingTo(PgEventStore.connectOptions(TestDatabase.URL, config)).using(vertx).build();
        result(SyntheticEvents.generate(admin, schema, 1, EVENTS, SyntheticEvents.authors(EVENTS)));
    }

    @AfterAll
    static void dropAll() {
        if (admin != null) {
            TestDatabase.dropSchema(admin, schema);
            result(planner.close());
            result(admin.close());
        }
        result(vertx.close());
    }

    @Test
    void theTablesHoldWhatTheTestNeeds() {
        Row counts = TestDatabase.rows(admin, "SELECT (SELECT count(*) FROM " + schema + ".events), "
                + "(SELECT count(*) FROM " + schema + ".tags)").get(0);
        assertEquals(EVENTS, counts.getLong(0));
        assertTrue(counts.getLong(1) > 3L * EVENTS / 2, "tag rows: " + counts.getLong(1));
    }

    /** Filter shapes and the indexes whose use shows the shape is served by an index made for it. */
    private static Map<String, Shape> shapes() {
        int authors = SyntheticEvents.authors(EVENTS);
        String a1 = SyntheticEvents.pubkey(7);
        String a2 = SyntheticEvents.pubkey(8);
        String a3 = SyntheticEvents.pubkey(9);
        String id1 = SyntheticEvents.id(1234);
        String popular = SyntheticEvents.id(17); // referenced by the e tag of every 500th event
        long t = SyntheticEvents.createdAt(EVENTS / 2);
        long recent = SyntheticEvents.createdAt(EVENTS - 300);
        QueryCursor middle = new QueryCursor(t, SyntheticEvents.id(EVENTS / 2));
        String events = "events_";
        String tagIndex = "tags_value_created";
        Map<String, Shape> out = new LinkedHashMap<>();
        out.put("ids", new Shape(new F().ids(id1), null, "events_pkey"));
        out.put("ids, several", new Shape(new F().ids(id1, SyntheticEvents.id(99), SyntheticEvents.id(100_001)), null,
                "events_pkey"));
        out.put("authors", new Shape(new F().authors(SyntheticEvents.pubkey(SyntheticEvents.PROLIFIC_AUTHOR)), null,
                "events_pubkey_created"));
        out.put("authors, occasional", new Shape(new F().authors(a1), null, "events_pubkey_"));
        out.put("authors, several", new Shape(new F().authors(a1, a2, a3), null, "events_pubkey_"));
        out.put("kinds, rare", new Shape(new F().kinds(SyntheticEvents.RARE_KIND), null, "events_kind_created"));
        out.put("kinds, several rare", new Shape(new F().kinds(SyntheticEvents.RARE_KIND, 10002), null, events));
        out.put("kinds, common", new Shape(new F().kinds(1), null, events));
        out.put("authors+kinds", new Shape(new F().authors(a1).kinds(7), null, "events_pubkey_kind_created"));
        out.put("authors+kinds, several", new Shape(new F().authors(a1, a2).kinds(1, 7), null, "events_pubkey_"));
        out.put("#e", new Shape(new F().tag('e', popular), null, tagIndex));
        out.put("#p", new Shape(new F().tag('p', SyntheticEvents.pubkey(authors / 2)), null, tagIndex));
        out.put("#t", new Shape(new F().tag('t', "topic7"), null, tagIndex));
        out.put("#t, several", new Shape(new F().tag('t', "topic7", "topic8"), null, tagIndex));
        out.put("#p, several", new Shape(new F().tag('p', a1, a2, a3), null, tagIndex));
        out.put("#e, #t several", new Shape(new F().tag('e', popular).tag('t', "topic7", "topic9"), null, tagIndex));
        out.put("#T (any letter)", new Shape(new F().tag('T', "Topic3"), null, tagIndex));
        out.put("#d", new Shape(new F().tag('d', "post1291"), null, tagIndex));
        out.put("#e #p", new Shape(new F().tag('e', popular).tag('p', a1), null, "tags_"));
        out.put("everything", new Shape(new F(), null, "events_created"));
        out.put("since", new Shape(new F().since(recent), null, "events_created"));
        out.put("until", new Shape(new F().until(t), null, "events_created"));
        out.put("since+until", new Shape(new F().since(t - 5000).until(t), null, "events_created"));
        out.put("cursor", new Shape(new F(), middle, "events_created"));
        out.put("authors+#t", new Shape(new F().authors(a1).tag('t', "topic7"), null, "_"));
        out.put("authors+#t several", new Shape(new F().authors(a1, a2).tag('t', "topic7", "topic8"), null,
                "events_pubkey_"));
        out.put("ids+#p several", new Shape(new F().ids(id1, SyntheticEvents.id(99)).tag('p', a1, a2), null,
                "events_pkey"));
        out.put("kinds+#p", new Shape(new F().kinds(1, 7).tag('p', a1), null, "_"));
        out.put("kinds+since+until", new Shape(new F().kinds(7).since(t - 5000).until(t), null, events));
        // An occasional author's ~60 events: walking (pubkey, created_at) and checking the kind is as good as the
        // (pubkey, kind, created_at) index, and which of the two the planner takes depends on ANALYZE's sample.
        out.put("authors+kinds+until+cursor", new Shape(new F().authors(a1).kinds(1).until(t), middle,
                "events_pubkey_"));
        out.put("ids+#t", new Shape(new F().ids(id1, SyntheticEvents.id(1236)).tag('t', "topic36"), null,
                "events_pkey"));
        out.put("#t+since+until", new Shape(new F().tag('t', "topic7").since(t - 50_000).until(t), null, tagIndex));
        return out;
    }

    @Test
    void everyFilterShapeWalksAnIndexMadeForIt() {
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Shape> shape : shapes().entrySet()) {
            Shape s = shape.getValue();
            PageQuery query = PageQuery.of(schema, s.filter.build(), s.cursor, PAGE, 1 << 20);
            assertNotNull(query, shape.getKey());
            String plan = TestDatabase.rows(planner, "EXPLAIN " + query.sql(), query.params()).stream()
                    .map(r -> r.getString(0)).collect(Collectors.joining("\n"));
            if (plan.contains("Seq Scan") || !plan.contains(s.index)) {
                failures.add(shape.getKey() + " should use " + s.index + "*, no Seq Scan:\n  " + query.sql()
                        + "\n" + plan.indent(2));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static String plan(String sql, io.vertx.sqlclient.Tuple params) {
        return TestDatabase.rows(planner, "EXPLAIN " + sql, params).stream().map(r -> r.getString(0))
                .collect(Collectors.joining("\n"));
    }

    /** NIP-45: counts walk the same indexes (a lone tag the tags index only); NIP-50: the words' GIN index. */
    @Test
    void countsAndSearchesWalkAnIndexMadeForThem() {
        String popular = SyntheticEvents.id(17);
        String author = SyntheticEvents.pubkey(7);
        String tagged = SyntheticEvents.pubkey(SyntheticEvents.authors(EVENTS) / 2);
        Map<String, Object[]> counts = new LinkedHashMap<>();
        counts.put("#p", new Object[] {List.of(new F().tag('p', tagged).build()), -1, "Index Only Scan using tags_value_created"});
        counts.put("#e kinds:7 + hll", new Object[] {List.of(new F().tag('e', popular).kinds(7).build()), 9,
                "tags_value_created"});
        // An occasional author: either of the author's indexes serves it, and ANALYZE's sample decides which.
        counts.put("authors+kinds", new Object[] {List.of(new F().authors(author).kinds(1).build()), -1,
                "events_pubkey_"});
        counts.put("two filters", new Object[] {List.of(new F().tag('t', "topic7").build(),
                new F().kinds(SyntheticEvents.RARE_KIND).build()), -1, "events_kind_created"});
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Object[]> c : counts.entrySet()) {
            @SuppressWarnings("unchecked")
            List<Filter> filters = (List<Filter>) c.getValue()[0];
            CountQuery q = CountQuery.of(schema, filters, (int) c.getValue()[1], 1_000_000,
                    dev.strata.store.Visibility.ALL);
            String plan = plan(q.sql(), q.params());
            if (plan.contains("Seq Scan") || !plan.contains((String) c.getValue()[2])) {
                failures.add("COUNT " + c.getKey() + " should use " + c.getValue()[2] + ":\n" + plan.indent(2));
            }
        }
        Filter words = new Filter(null, null, Set.of(1), null, null, null, null, "zebra crossing");
        SearchPageQuery search = SearchPageQuery.of(schema, words, null, 21, 200_000, 1 << 20);
        String plan = plan(search.sql(), search.params());
        if (plan.contains("Seq Scan") || !plan.contains("events_content_words")) {
            failures.add("search should use events_content_words:\n" + plan.indent(2));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void withoutItsIndexAShapeIsCaught() {
        // The check above must be able to fail: drop an index in a transaction, plan, roll back.
        Shape rare = shapes().get("kinds, rare");
        PageQuery query = PageQuery.of(schema, rare.filter.build(), null, PAGE, 1 << 20);
        String plan = result(planner.withTransaction(conn -> conn
                .query("DROP INDEX " + schema + ".events_kind_created").execute()
                .compose(dropped -> conn.preparedQuery("EXPLAIN " + query.sql()).execute(query.params()))
                .compose(rows -> {
                    StringBuilder text = new StringBuilder();
                    rows.forEach(r -> text.append(r.getString(0)).append('\n'));
                    // Failing the transaction rolls the drop back.
                    return io.vertx.core.Future.<String>failedFuture(new PlanCaptured(text.toString()));
                }))
                .recover(e -> e instanceof PlanCaptured p
                        ? io.vertx.core.Future.succeededFuture(p.getMessage())
                        : io.vertx.core.Future.failedFuture(e)));
        assertFalse(plan.contains("events_kind_created"), plan);
        assertEquals(1, TestDatabase.rows(admin, "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 "
                + "AND indexname = 'events_kind_created'", schema).get(0).getLong(0), "the drop was rolled back");
    }

    private static final class PlanCaptured extends RuntimeException {
        PlanCaptured(String plan) {
            super(plan, null, false, false);
        }
    }

    private record Shape(F filter, QueryCursor cursor, String index) {
    }

    /** A filter under construction (the contract's builder is package-private to {@code dev.strata.store}). */
    private static final class F {
        private Set<String> ids;
        private Set<String> authors;
        private Set<Integer> kinds;
        private final Map<Character, Set<String>> tags = new HashMap<>();
        private Long since;
        private Long until;

        F ids(String... v) {
            ids = Set.of(v);
            return this;
        }

        F authors(String... v) {
            authors = Set.of(v);
            return this;
        }

        F kinds(Integer... v) {
            kinds = Set.of(v);
            return this;
        }

        F tag(char name, String... v) {
            tags.put(name, Set.of(v));
            return this;
        }

        F since(long v) {
            since = v;
            return this;
        }

        F until(long v) {
            until = v;
            return this;
        }

        Filter build() {
            return new Filter(ids, authors, kinds, tags, since, until, null);
        }
    }
}
