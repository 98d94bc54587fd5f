package dev.strata.relay;

import static dev.strata.relay.Setting.bool;
import static dev.strata.relay.Setting.integer;
import static dev.strata.relay.Setting.longValue;
import static dev.strata.relay.Setting.string;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.bus.Membership.Role;
import dev.strata.model.FilterLimits;
import dev.strata.model.PrivateKinds;
import dev.strata.model.RelayUrl;
import dev.strata.store.postgres.PgConfig;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The relay's configuration: defaults, overridden by a JSON file, overridden by {@code STRATA_*} environment
 * variables. Every key is validated at start; an unknown or bad one stops the relay with a message naming it.
 * The result is one flat JSON object ({@code "limits.max_limit": 5000, ...}) handed to every verticle.
 */
final class Settings {
    private static final int MAX_INT = Integer.MAX_VALUE;

    static final List<Setting> ALL = List.of(
            string("server.host", "0.0.0.0", "Address the WebSocket/HTTP server binds to."),
            integer("server.port", 7777, 1, 65535, "Port of the WebSocket/HTTP server."),
            integer("server.gateway_instances", 0, 0, 256,
                    "Gateway verticle instances (event loops serving connections); 0 = one per CPU core."),
            integer("server.max_connections", 10_000, 1, MAX_INT,
                    "Open WebSocket connections at most; further upgrades get HTTP 503."),
            string("relay.name", "Strata", "NIP-11 name."),
            string("relay.description", "A Strata Nostr relay.", "NIP-11 description."),
            string("relay.pubkey", "", "NIP-11 admin pubkey (64 hex), empty for none."),
            string("relay.contact", "", "NIP-11 contact URI, empty for none."),
            string("relay.url", "", "Public WebSocket URL of this relay (e.g. wss://relay.example.com/), matched against the relay tags of NIP-42 AUTH and NIP-62 events; empty = ws://localhost:<server.port>/."),
            string("store.engine", "lmdb",
                    "Event store: lmdb (embedded, in store.data_dir) or postgresql (at store.pg_url)."),
            string("store.data_dir", "./data", "Directory of the embedded LMDB store (created if missing)."),
            integer("store.initial_map_mb", 64, 1, 1 << 20,
                    "Initial LMDB map size in MiB; the map grows by itself as data grows."),
            integer("store.write_queue", 16_384, 1, MAX_INT,
                    "Events waiting for the store's writer at most; past it, OK false \"rate-limited:\"."),
            integer("store.max_batch", 1024, 1, 1_000_000, "Events committed in one LMDB transaction at most."),
            integer("store.read_threads", 0, 0, 64, "Threads serving store reads; 0 = one per CPU core (at least 2)."),
            integer("store.search_commit_ms", 10_000, 10, 3_600_000,
                    "How often the embedded NIP-50 search index (in store.data_dir/search) commits; after a crash "
                            + "it catches up from the LMDB log kept since its last commit."),
            string("store.pg_url", "", "PostgreSQL primary, postgresql://user[:password]@host[:port]/database; "
                    + "required with store.engine postgresql."),
            string("store.pg_read_url", "", "PostgreSQL read replica for queries; empty queries the primary."),
            string("store.pg_schema", PgConfig.DEFAULT_SCHEMA,
                    "PostgreSQL schema of the tables; created and migrated at start."),
            integer("store.pg_pool_size", PgConfig.DEFAULT_POOL_SIZE, 1, 1000,
                    "Connections to the primary (and as many to the replica)."),
            integer("store.pg_max_waiting", PgConfig.DEFAULT_MAX_WAITING, 0, 1_000_000,
                    "Store operations waiting for a connection at most; past it, OK false/CLOSED \"rate-limited:\"."),
            integer("store.pg_statement_timeout_ms", (int) PgConfig.DEFAULT_STATEMENT_TIMEOUT.toMillis(), 1, MAX_INT,
                    "Longest one statement (or the wait for a connection) may take; past it, \"error:\"."),
            integer("store.expiry_purge_interval_seconds", 60, 1, 86_400,
                    "Seconds between background purges of expired events (NIP-40) and of what a request to vanish "
                            + "(NIP-62) cut off by a crash left; expired events are never served, purged or not."),
            integer("store.expiry_purge_batch", 1000, 1, 100_000,
                    "Expired events deleted per purge transaction; a purge runs batches until one comes back short."),
            integer("limits.max_message_length", 1 << 20, 1024, 64 << 20,
                    "Bytes in one client message (NIP-11 max_message_length). Larger get OK false/CLOSED/NOTICE "
                            + "\"invalid:\"; more than twice this closes the connection (1009)."),
            integer("limits.max_subscriptions", 20, 1, 10_000, "Open subscriptions per connection."),
            integer("limits.max_filters", 10, 1, 1000, "Filters in one REQ."),
            integer("limits.max_filter_values", 1000, 1, 100_000,
                    "Values in one filter field (ids, authors, kinds, #x)."),
            integer("limits.max_limit", 5000, 1, 1_000_000, "Cap on a filter's limit (NIP-11 max_limit)."),
            integer("limits.default_limit", 500, 1, 1_000_000,
                    "Limit applied to a filter without one (NIP-11 default_limit)."),
            integer("limits.max_subid_length", 64, 1, 256, "Characters in a subscription id."),
            integer("limits.max_search_length", FilterLimits.DEFAULT_MAX_SEARCH_LENGTH, 1, 1024,
                    "Characters in a NIP-50 search string; longer get CLOSED \"invalid:\"."),
            integer("limits.max_event_tags", 2000, 0, 1_000_000, "Tags in one event."),
            integer("limits.max_content_length", 102_400, 0, MAX_INT, "Characters of event content."),
            longValue("limits.created_at_past_seconds", 0, 0, Long.MAX_VALUE / 2,
                    "Oldest accepted created_at, in seconds before now; 0 accepts any age."),
            longValue("limits.created_at_future_seconds", 900, 0, Long.MAX_VALUE / 2,
                    "Newest accepted created_at, in seconds after now."),
            integer("limits.min_pow_difficulty", 0, 0, 256,
                    "NIP-13 leading zero bits every event id must have (NIP-11 min_pow_difficulty); fewer, or a "
                            + "nonce tag committing to fewer, get OK false \"pow:\"; 0 = none."),
            integer("limits.max_events_in_flight", 100, 1, 100_000,
                    "EVENTs awaiting their OK on one connection; past it, OK false \"rate-limited:\"."),
            integer("websocket.ping_interval_seconds", 30, 1, 3600,
                    "A ping every this many seconds; a connection that missed the previous pong is closed."),
            integer("websocket.idle_timeout_seconds", 300, 1, MAX_INT,
                    "A connection without subscriptions that sends nothing for this long is closed."),
            integer("websocket.max_write_queue_bytes", 1 << 20, 64 << 10, MAX_INT,
                    "Bytes queued to one client at most; a client that lets more pile up is disconnected."),
            bool("websocket.compression", true, "Offer permessage-deflate."),
            bool("auth.required_for_reads", false,
                    "NIP-42: REQs are served only to authenticated connections; others get CLOSED \"auth-required:\"."),
            bool("auth.required_for_writes", false, "NIP-42: EVENTs are accepted only from authenticated "
                    + "connections (any pubkey); others get OK false \"auth-required:\"."),
            string("auth.private_kinds", "", "Kinds served only to their parties (the author and p-tagged "
                    + "pubkeys) once they AUTH, comma-separated, e.g. 4,1059 (DMs, gift wraps); empty = none."),
            integer("auth.max_pubkeys", 16, 1, 1000,
                    "Pubkeys that may authenticate on one connection; past it, AUTH gets OK false \"restricted:\"."),
            integer("auth.created_at_window_seconds", 600, 1, 86_400, "How far an AUTH event's created_at may be "
                    + "from now (NIP-42 suggests ~10 minutes); further gets OK false \"invalid:\"."),
            integer("ingest.max_pending", 20_000, 1, MAX_INT,
                    "Events being verified or stored at once, relay-wide; past it, OK false \"rate-limited:\"."),
            integer("ingest.verify_batch", 64, 1, 10_000, "Signatures checked per worker task."),
            integer("query.page_size", 500, 1, 100_000, "Events per store read and per chunk sent to a client."),
            integer("query.page_bytes", 1 << 20, 1024, MAX_INT, "Bytes of event JSON per store read and chunk: a "
                    + "page ends with the event that reaches it. A stored query holds one page at a time, so stored "
                    + "queries hold at most query.max_active × (this + limits.max_message_length)."),
            longValue("query.scan_budget", 200_000, 1, Long.MAX_VALUE,
                    "Index entries one REQ may examine; past it, CLOSED \"blocked:\"."),
            longValue("query.count_budget", 1_000_000, 1, Long.MAX_VALUE,
                    "Index entries one COUNT may examine (NIP-45); past it, CLOSED \"blocked:\"."),
            integer("query.max_active", 512, 1, MAX_INT,
                    "Stored queries running at once, and as many COUNTs; past it, CLOSED \"rate-limited:\"."),
            integer("fanout.max_subscriptions", 1_000_000, 1, MAX_INT,
                    "Live subscriptions relay-wide; past it, CLOSED \"rate-limited:\"."),
            longValue("bus.request_timeout_ms", 30_000, 100, 3_600_000,
                    "How long a tier waits for another's answer before failing the request with \"error:\"."),
            string("node.roles", "gateway,ingest,query,fanout", "Tiers this process runs, comma-separated "
                    + "(also --roles); fewer than all four needs cluster.join."),
            string("cluster.join", "none", "How this node finds its cluster: none (one JVM with every tier), tcp "
                    + "(the cluster.members list) or kubernetes (DNS lookup of cluster.kubernetes_service_dns)."),
            string("cluster.name", "strata", "Cluster name: only nodes with the same name join each other."),
            string("cluster.host", "", "Address this node binds and advertises for cluster traffic (membership "
                    + "and event bus); empty lets Hazelcast pick one."),
            integer("cluster.port", 5701, 1, 65535, "Port of the cluster membership (Hazelcast) on this node; "
                    + "with kubernetes, the port of every member."),
            integer("cluster.bus_port", 0, 0, 65535, "Port of the clustered event bus on this node; 0 picks a free one."),
            string("cluster.members", "", "With cluster.join tcp: members to contact, host:port comma-separated "
                    + "(this node may be among them)."),
            string("cluster.kubernetes_service_dns", "", "With cluster.join kubernetes: DNS name of the headless "
                    + "service of the relay's pods, e.g. strata.default.svc.cluster.local."),
            integer("cluster.failure_timeout_seconds", 10, 2, 600, "A member silent this long is declared gone: "
                    + "events it was storing get OK false \"error:\", its subscriptions move to other fanout nodes."),
            integer("cluster.backfill_seconds", 60, 0, 86_400, "A moved subscription is backfilled from the store "
                    + "with events created up to this long before its fanout node stopped (plus the failure timeout)."),
            integer("cluster.recent_deliveries", 65_536, 1024, 10_000_000, "Events each clustered gateway instance "
                    + "remembers sending (with their subscriptions), so a backfill sends none twice."));

    private static final Map<String, Setting> BY_KEY = new LinkedHashMap<>();

    static {
        for (Setting s : ALL) {
            BY_KEY.put(s.key(), s);
        }
    }

    private Settings() {
    }

    /**
     * Loads the configuration.
     *
     * @param file JSON file, nested ({@code {"limits": {"max_limit": 100}}}) or flat ({@code {"limits.max_limit":
     *             100}}); null for none
     * @param env  the process environment ({@code STRATA_CONFIG} and {@code STRATA_TEST_*} are not settings)
     */
    static JsonObject load(Path file, Map<String, String> env) throws ConfigException {
        JsonObject config = new JsonObject();
        for (Setting s : ALL) {
            config.put(s.key(), s.defaultValue());
        }
        if (file != null) {
            applyFile(config, file);
        }
        Map<String, Setting> byEnv = new LinkedHashMap<>();
        for (Setting s : ALL) {
            byEnv.put(s.environmentName(), s);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("STRATA_") || name.equals("STRATA_CONFIG") || name.startsWith("STRATA_TEST_")) {
                continue;
            }
            Setting s = byEnv.get(name);
            if (s == null) {
                throw new ConfigException("unknown setting in environment variable " + name);
            }
            config.put(s.key(), s.accept(e.getValue(), " (from " + name + ")"));
        }
        check(config);
        return config;
    }

    private static void applyFile(JsonObject config, Path file) throws ConfigException {
        JsonObject json;
        try {
            json = new JsonObject(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        } catch (DecodeException e) {
            throw new ConfigException("config file " + file + " is not a JSON object: " + e.getMessage());
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", json, flat);
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            Setting s = BY_KEY.get(e.getKey());
            if (s == null) {
                throw new ConfigException("unknown setting \"" + e.getKey() + "\" in " + file);
            }
            config.put(s.key(), s.accept(e.getValue(), " in " + file));
        }
    }

    private static void flatten(String prefix, JsonObject json, Map<String, Object> out) {
        for (String name : json.fieldNames()) {
            Object v = json.getValue(name);
            if (v instanceof JsonObject nested) {
                flatten(prefix + name + ".", nested, out);
            } else {
                out.put(prefix + name, v);
            }
        }
    }

    private static void checkCluster(JsonObject c) throws ConfigException {
        Set<Role> roles = ClusterConfig.roles(c.getString("node.roles"));
        String join = c.getString("cluster.join");
        switch (join) {
            case "none" -> {
                if (roles.size() != Role.values().length) {
                    throw new ConfigException("setting \"node.roles\": a relay of fewer than all four roles is a "
                            + "cluster node; set cluster.join to tcp or kubernetes");
                }
                return;
            }
            case "tcp" -> {
                if (ClusterConfig.members(c.getString("cluster.members")).isEmpty()) {
                    throw new ConfigException("setting \"cluster.members\" is required when cluster.join is tcp");
                }
            }
            case "kubernetes" -> {
                if (c.getString("cluster.kubernetes_service_dns").isEmpty()) {
                    throw new ConfigException("setting \"cluster.kubernetes_service_dns\" is required when "
                            + "cluster.join is kubernetes");
                }
            }
            default -> throw new ConfigException("setting \"cluster.join\" must be none, tcp or kubernetes, not "
                    + join);
        }
        if ((roles.contains(Role.INGEST) || roles.contains(Role.QUERY))
                && !c.getString("store.engine").equals("postgresql")) {
            // Every ingest and query node must see the same events: the embedded store is one process's.
            throw new ConfigException("setting \"store.engine\" must be postgresql on a cluster node with the "
                    + "ingest or query role");
        }
        if (!c.getString("cluster.name").matches("[A-Za-z0-9._-]{1,64}")) {
            throw new ConfigException("setting \"cluster.name\" must be 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'");
        }
    }

    /** Rules that tie two keys together. */
    private static void check(JsonObject c) throws ConfigException {
        if (c.getInteger("limits.default_limit") > c.getInteger("limits.max_limit")) {
            throw new ConfigException("setting \"limits.default_limit\" must not exceed \"limits.max_limit\"");
        }
        String engine = c.getString("store.engine");
        if (!engine.equals("lmdb") && !engine.equals("postgresql")) {
            throw new ConfigException("setting \"store.engine\" must be lmdb or postgresql, not " + engine);
        }
        if (engine.equals("postgresql") && c.getString("store.pg_url").isEmpty()) {
            throw new ConfigException("setting \"store.pg_url\" is required when store.engine is postgresql");
        }
        for (String key : List.of("store.pg_url", "store.pg_read_url")) {
            String url = c.getString(key);
            if (!url.isEmpty() && !url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
                throw new ConfigException("setting \"" + key + "\" must be a postgresql:// URL");
            }
        }
        if (!c.getString("store.pg_schema").matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new ConfigException("setting \"store.pg_schema\" must be 1 to 63 of a-z, 0-9 and _, "
                    + "not starting with a digit");
        }
        if (!c.getString("relay.url").isEmpty() && RelayUrl.parse(c.getString("relay.url")) == null) {
            throw new ConfigException("setting \"relay.url\" must be a ws:// or wss:// URL with a host, or empty");
        }
        try {
            PrivateKinds.parse(c.getString("auth.private_kinds"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("setting \"auth.private_kinds\" must list kinds separated by commas: "
                    + e.getMessage());
        }
        checkCluster(c);
        String pubkey = c.getString("relay.pubkey");
        if (!pubkey.isEmpty() && !pubkey.matches("[0-9a-f]{64}")) {
            throw new ConfigException("setting \"relay.pubkey\" must be 64 lowercase hex characters or empty");
        }
    }
}
