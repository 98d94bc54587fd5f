package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.List;

import io.vertx.core.json.JsonObject;

/**
 * A scenario's result: the figures for the JSON file, the rows of the human summary, and whether the run met its
 * own checks (throughput above zero, no lost or duplicated deliveries, ...), with the reason when it did not.
 */
record Outcome(JsonObject results, List<String[]> table, boolean passed, String verdict) {

    /** Collects summary rows while a scenario reports. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table row(String name, Object value) {
            rows.add(new String[] {name, String.valueOf(value)});
            return this;
        }

        List<String[]> rows() {
            return rows;
        }
    }
}
