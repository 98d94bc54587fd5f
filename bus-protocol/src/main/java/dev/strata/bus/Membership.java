package dev.strata.bus;

import java.util.List;

/**
 * Which nodes of a cluster are up and ready, and for what. Tiers that must notice a node leaving (a gateway
 * re-homing subscriptions, fanout dropping a dead gateway's) watch it; the one-JVM relay has none.
 *
 * <p>"Member" and "ready" differ on purpose: a node that drains on SIGTERM withdraws at once (it takes no new work)
 * but stays a member until its work in flight is done; a node that dies stops being a member, and only then is the
 * work it held lost.
 */
public interface Membership {
    /** The verticle configuration key under which a clustered node passes its id to the tiers it runs. */
    String NODE_ID_CONFIG = "cluster.node_id";

    /** What a node runs. */
    enum Role {
        GATEWAY, INGEST, QUERY, FANOUT;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** This node's id (also the prefix of its gateways' ids, see {@link Addresses#nodeOfGateway}). */
    String self();

    /** The ready nodes that run {@code role}, sorted by id, so every node sees them in the same order. */
    List<String> ready(Role role);

    /** Whether the node is in the cluster now (ready or draining). */
    boolean isMember(String nodeId);

    /**
     * Whether the node was a member and left. Not the same as "not a member": each node learns of a newcomer on its
     * own schedule, and a node that is not yet known must not be taken for one that is gone.
     */
    boolean hasLeft(String nodeId);

    /** Calls {@code listener} (on a cluster thread) after any change of the members or the ready nodes. */
    void onChange(Runnable listener);
}
