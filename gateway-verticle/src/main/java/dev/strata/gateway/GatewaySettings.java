package dev.strata.gateway;

import dev.strata.model.FilterLimits;
import io.vertx.core.json.JsonObject;

/** The gateway's part of the relay configuration (keys documented in the README). */
record GatewaySettings(
        String host,
        int port,
        int maxMessageLength,
        int maxSubscriptions,
        FilterLimits filterLimits,
        int maxEventsInFlight,
        int pingIntervalSeconds,
        int idleTimeoutSeconds,
        int maxWriteQueueBytes,
        boolean compression,
        long requestTimeoutMillis,
        AccessRules access,
        JsonObject relayInfo) {

    static GatewaySettings from(JsonObject c) {
        return new GatewaySettings(
                c.getString("server.host"),
                c.getInteger("server.port"),
                c.getInteger("limits.max_message_length"),
                c.getInteger("limits.max_subscriptions"),
                new FilterLimits(c.getInteger("limits.max_filters"), c.getInteger("limits.max_filter_values"),
                        c.getInteger("limits.max_subid_length"), c.getInteger("limits.max_search_length")),
                c.getInteger("limits.max_events_in_flight"),
                c.getInteger("websocket.ping_interval_seconds"),
                c.getInteger("websocket.idle_timeout_seconds"),
                c.getInteger("websocket.max_write_queue_bytes"),
                c.getBoolean("websocket.compression"),
                c.getLong("bus.request_timeout_ms"),
                AccessRules.from(c),
                c.getJsonObject("relay_info"));
    }
}
