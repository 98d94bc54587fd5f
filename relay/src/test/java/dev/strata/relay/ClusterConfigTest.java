package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.strata.bus.Membership.Role;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The cluster settings as Hazelcast and the event bus receive them. The TCP join runs for real in
 * {@code ClusterIT}; Kubernetes DNS discovery needs a cluster with a headless service, which this machine lacks, so
 * its configuration is checked here and nowhere runs it.
 */
class ClusterConfigTest {
    private static final Map<String, String> PG = Map.of("STRATA_STORE_ENGINE", "postgresql",
            "STRATA_STORE_PG_URL", "postgresql://postgres@db:5432/strata");

    private static JsonObject load(Map<String, String> env) throws ConfigException {
        Map<String, String> all = new java.util.HashMap<>(PG);
        all.putAll(env);
        return Settings.load(null, all);
    }

    @Test
    void kubernetesJoinLooksUpTheHeadlessServiceByDnsAndNothingElse() throws Exception {
        JsonObject c = load(Map.of("STRATA_CLUSTER_JOIN", "kubernetes", "STRATA_NODE_ROLES", "gateway",
                "STRATA_CLUSTER_KUBERNETES_SERVICE_DNS", "strata.relay.svc.cluster.local",
                "STRATA_CLUSTER_NAME", "prod", "STRATA_CLUSTER_PORT", "5801"));
        Config hz = ClusterConfig.hazelcast(c);
        JoinConfig join = hz.getNetworkConfig().getJoin();
        assertTrue(join.getKubernetesConfig().isEnabled());
        assertEquals("strata.relay.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
        assertEquals("5801", join.getKubernetesConfig().getProperty("service-port"));
        assertFalse(join.getTcpIpConfig().isEnabled());
        assertFalse(join.getMulticastConfig().isEnabled(), "multicast could join a stranger's cluster");
        assertFalse(join.getAutoDetectionConfig().isEnabled());
        assertEquals("prod", hz.getClusterName());
        assertEquals(5801, hz.getNetworkConfig().getPort());
        assertFalse(hz.getNetworkConfig().isPortAutoIncrement());
    }

    @Test
    void tcpJoinContactsTheListedMembersOnTheGivenAddress() throws Exception {
        JsonObject c = load(Map.of("STRATA_CLUSTER_JOIN", "tcp", "STRATA_NODE_ROLES", "ingest,query",
                "STRATA_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701", "STRATA_CLUSTER_HOST", "10.0.0.1",
                "STRATA_CLUSTER_BUS_PORT", "5702", "STRATA_CLUSTER_FAILURE_TIMEOUT_SECONDS", "4"));
        Config hz = ClusterConfig.hazelcast(c);
        JoinConfig join = hz.getNetworkConfig().getJoin();
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), join.getTcpIpConfig().getMembers());
        assertFalse(join.getMulticastConfig().isEnabled());
        assertFalse(join.getKubernetesConfig().isEnabled());
        assertEquals(List.of("10.0.0.1"), List.copyOf(hz.getNetworkConfig().getInterfaces().getInterfaces()));
        assertEquals("4", hz.getProperty("hazelcast.max.no.heartbeat.seconds"));
        assertEquals("false", hz.getProperty("hazelcast.phone.home.enabled"));
        assertEquals("false", hz.getProperty("hazelcast.shutdownhook.enabled"), "SIGTERM drains in our order");
        EventBusOptions bus = ClusterConfig.eventBus(c);
        assertEquals("10.0.0.1", bus.getHost());
        assertEquals(5702, bus.getPort());
    }

    @Test
    void rolesAreParsedAndTheDefaultIsAllOfThem() throws Exception {
        assertEquals(EnumSet.allOf(Role.class), ClusterConfig.roles(Settings.load(null, Map.of())));
        assertEquals(EnumSet.of(Role.GATEWAY, Role.FANOUT), ClusterConfig.roles(" fanout ,gateway"));
        ConfigException e = assertThrows(ConfigException.class, () -> ClusterConfig.roles("gateway,storage"));
        assertTrue(e.getMessage().contains("unknown role \"storage\""), e.getMessage());
    }

    @Test
    void aNodeThatCannotWorkIsRefusedAtStartWithTheKeyNamed() {
        assertRefused("a relay of fewer than all four roles is a cluster node", Map.of("STRATA_NODE_ROLES", "gateway"));
        assertRefused("\"cluster.members\" is required", Map.of("STRATA_CLUSTER_JOIN", "tcp"));
        assertRefused("\"cluster.kubernetes_service_dns\" is required", Map.of("STRATA_CLUSTER_JOIN", "kubernetes"));
        assertRefused("\"cluster.join\" must be none, tcp or kubernetes", Map.of("STRATA_CLUSTER_JOIN", "multicast"));
        assertRefused("\"node.roles\" names no role", Map.of("STRATA_NODE_ROLES", " , "));
        assertRefused("\"cluster.name\"", Map.of("STRATA_CLUSTER_JOIN", "tcp", "STRATA_CLUSTER_MEMBERS", "h:1",
                "STRATA_CLUSTER_NAME", "with space"));
        ConfigException lmdb = assertThrows(ConfigException.class, () -> Settings.load(null,
                Map.of("STRATA_CLUSTER_JOIN", "tcp", "STRATA_CLUSTER_MEMBERS", "h:1", "STRATA_NODE_ROLES", "query")));
        assertTrue(lmdb.getMessage().contains("\"store.engine\" must be postgresql"), lmdb.getMessage());
    }

    @Test
    void gatewayAndFanoutNodesNeedNoDatabase() throws Exception {
        JsonObject c = Settings.load(null, Map.of("STRATA_CLUSTER_JOIN", "tcp", "STRATA_CLUSTER_MEMBERS", "h:1",
                "STRATA_NODE_ROLES", "gateway,fanout"));
        assertEquals("lmdb", c.getString("store.engine"), "accepted: such a node opens no store at all");
    }

    private static void assertRefused(String expectedPart, Map<String, String> env) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(env));
        assertTrue(e.getMessage().contains(expectedPart), "expected \"" + expectedPart + "\" in: " + e.getMessage());
    }
}
