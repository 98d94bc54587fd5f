package dev.strata.gateway;

import io.vertx.core.json.JsonObject;

/** What a clustered gateway needs to know about re-homing (keys documented in the README). */
record ClusterSettings(long backfillSeconds, long failureDetectionSeconds, int recentDeliveries) {
    static ClusterSettings from(JsonObject c) {
        return new ClusterSettings(c.getInteger("cluster.backfill_seconds"),
                c.getInteger("cluster.failure_timeout_seconds"), c.getInteger("cluster.recent_deliveries"));
    }
}
