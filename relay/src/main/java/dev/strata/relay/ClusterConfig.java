package dev.strata.relay;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import dev.strata.bus.Membership.Role;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;

/** Turns the relay's {@code cluster.*} settings into Hazelcast's configuration and the event bus's options. */
final class ClusterConfig {
    /** The name under which every node keeps the ready nodes and their roles (see {@link HazelcastMembership}). */
    static final String READY_MAP = "strata.ready";

    private ClusterConfig() {
    }

    /** {@code gateway,ingest} -> the roles; refuses unknown names and an empty list. */
    static Set<Role> roles(String list) throws ConfigException {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String name : list.split(",")) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            try {
                roles.add(Role.valueOf(n));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("setting \"node.roles\": unknown role \"" + name.trim()
                        + "\" (roles: gateway, ingest, query, fanout)");
            }
        }
        if (roles.isEmpty()) {
            throw new ConfigException("setting \"node.roles\" names no role (roles: gateway, ingest, query, fanout)");
        }
        return roles;
    }

    static Set<Role> roles(JsonObject c) {
        try {
            return roles(c.getString("node.roles"));
        } catch (ConfigException e) {
            throw new IllegalStateException(e); // checked when the settings were loaded
        }
    }

    /**
     * Hazelcast for one node: the maps Vert.x keeps its registrations in, the join (TCP member list or Kubernetes
     * DNS lookup of a headless service; never multicast or auto-detection, which could join a stranger's cluster),
     * a failure detector as quick as {@code cluster.failure_timeout_seconds}, and nothing that phones home or
     * installs its own shutdown hook (SIGTERM drains in the relay's order).
     */
    static Config hazelcast(JsonObject c) {
        Config hz = new Config();
        hz.setClusterName(c.getString("cluster.name"));
        hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
        hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "jdk");
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        hz.setProperty("hazelcast.max.no.heartbeat.seconds",
                String.valueOf(c.getInteger("cluster.failure_timeout_seconds")));
        hz.setProperty("hazelcast.wait.seconds.before.join", "1");
        // After a split (a node paused past the failure timeout), merge back soon rather than after 5 minutes.
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", "10");

        NetworkConfig network = hz.getNetworkConfig();
        int port = c.getInteger("cluster.port");
        network.setPort(port).setPortAutoIncrement(false);
        String host = c.getString("cluster.host");
        if (!host.isEmpty()) {
            network.getInterfaces().setEnabled(true).addInterface(host);
            hz.setProperty("hazelcast.socket.bind.any", "false");
            hz.setProperty("hazelcast.local.localAddress", host);
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        switch (c.getString("cluster.join")) {
            case "tcp" -> join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2)
                    .setMembers(members(c.getString("cluster.members")));
            case "kubernetes" -> join.getKubernetesConfig().setEnabled(true)
                    // DNS lookup mode: the headless service's A records are the pods; no API-server access.
                    .setProperty("service-dns", c.getString("cluster.kubernetes_service_dns"))
                    .setProperty("service-port", String.valueOf(port));
            default -> throw new IllegalStateException("not a clustered join: " + c.getString("cluster.join"));
        }
        return hz;
    }

    static List<String> members(String list) {
        List<String> members = new ArrayList<>();
        for (String m : list.split(",")) {
            if (!m.isBlank()) {
                members.add(m.trim());
            }
        }
        return members;
    }

    /** The clustered event bus listens on the cluster address too, on its own port. */
    static EventBusOptions eventBus(JsonObject c) {
        EventBusOptions options = new EventBusOptions().setPort(c.getInteger("cluster.bus_port"));
        String host = c.getString("cluster.host");
        if (!host.isEmpty()) {
            options.setHost(host).setClusterPublicHost(host);
        }
        return options;
    }
}
