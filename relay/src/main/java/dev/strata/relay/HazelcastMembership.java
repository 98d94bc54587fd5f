package dev.strata.relay;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import com.hazelcast.core.EntryListener;
import dev.strata.bus.Membership;

/**
 * Membership from Hazelcast: the members are Hazelcast's (a node that dies is removed once its heartbeats stop for
 * {@code cluster.failure_timeout_seconds}); the ready nodes are a replicated map, node id to roles, that each node
 * enters once its tiers are deployed and leaves when it drains. Entries of members that are gone are ignored, and
 * removed by whichever node sees them go. Reads come from a snapshot rebuilt on every change, so the gateways' hot
 * path reads a field.
 */
final class HazelcastMembership implements Membership {
    private record Snapshot(Set<String> members, Map<Role, List<String>> ready) {
    }

    private static final String VERTX_NODE_ID = "__vertx.nodeId";
    private static final int MAX_DEPARTED = 4096;
    /** How often the relay rebuilds the snapshot whether or not an event came (see {@link #reconcile}). */
    static final long RECONCILE_MILLIS = 1000;

    private final HazelcastInstance hazelcast;
    private final String self;
    private final ReplicatedMap<String, String> readyNodes;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    /**
     * Nodes that left, the most recent {@link #MAX_DEPARTED} (node ids are never reused: a restart is a new id; one
     * taken for dead that merges back is a member again and leaves this set).
     */
    private final Set<String> departed = new java.util.LinkedHashSet<>();
    /** The roles this node announced, while it is ready (null before it enters and once it withdraws). */
    private volatile String enteredRoles;
    private volatile Snapshot snapshot = new Snapshot(Set.of(), Map.of());

    HazelcastMembership(HazelcastInstance hazelcast, String self) {
        this.hazelcast = hazelcast;
        this.self = self;
        this.readyNodes = hazelcast.getReplicatedMap(ClusterConfig.READY_MAP);
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                String back = nodeId(event.getMember());
                if (back != null) {
                    synchronized (departed) {
                        departed.remove(back); // a node taken for dead (a pause past the timeout) merged back
                    }
                }
                refresh();
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String gone = nodeId(event.getMember());
                if (gone != null) {
                    synchronized (departed) {
                        departed.add(gone);
                        if (departed.size() > MAX_DEPARTED) {
                            departed.remove(departed.iterator().next());
                        }
                    }
                    readyNodes.remove(gone);
                }
                refresh();
            }
        });
        readyNodes.addEntryListener(new EntryListener<String, String>() {
            @Override
            public void entryAdded(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void entryUpdated(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void entryRemoved(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void entryEvicted(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void entryExpired(EntryEvent<String, String> event) {
                refresh();
            }

            @Override
            public void mapCleared(MapEvent event) {
                refresh();
            }

            @Override
            public void mapEvicted(MapEvent event) {
                refresh();
            }
        });
        // The others removed this node's entry when they took it for dead; once the split heals it must say again
        // that it is ready, or it would stay a member that no one sends work to.
        hazelcast.getLifecycleService().addLifecycleListener(event -> {
            String roles = enteredRoles;
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED && roles != null) {
                readyNodes.put(self, roles);
                refresh();
            }
        });
        refresh();
    }

    /** This node's tiers are deployed: others may send it work. */
    void enter(Set<Role> roles) {
        List<String> names = new ArrayList<>();
        for (Role r : roles) {
            names.add(r.key());
        }
        enteredRoles = String.join(",", names);
        readyNodes.put(self, enteredRoles);
        refresh();
    }

    /** Draining: no new work, while what is in flight finishes. */
    void withdraw() {
        enteredRoles = null;
        readyNodes.remove(self);
        refresh();
    }

    /**
     * Rebuilds the snapshot from Hazelcast's state now, as the relay does every {@link #RECONCILE_MILLIS}: events
     * alone do not keep it right. A node that joins gets the replicated map's entries copied in without an event for
     * them, so an entry put while it joined could stay unseen (a gateway then waited forever for "a ready query
     * node" that the others saw). Listeners hear of it only if the snapshot changed.
     */
    void reconcile() {
        rebuild(false);
    }

    /** After an event: listeners always hear of it (a departure, say, is also in {@link #hasLeft} by now). */
    private void refresh() {
        rebuild(true);
    }

    private synchronized void rebuild(boolean event) {
        Set<String> members = new HashSet<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String id = nodeId(m);
            if (id != null) {
                members.add(id);
            }
        }
        Map<Role, List<String>> ready = new EnumMap<>(Role.class);
        for (Role r : Role.values()) {
            ready.put(r, new ArrayList<>());
        }
        for (Map.Entry<String, String> e : readyNodes.entrySet()) {
            if (!members.contains(e.getKey())) {
                continue;
            }
            for (String role : e.getValue().split(",")) {
                ready.get(Role.valueOf(role.toUpperCase(java.util.Locale.ROOT))).add(e.getKey());
            }
        }
        ready.replaceAll((r, nodes) -> nodes.stream().sorted().toList());
        Snapshot now = new Snapshot(Set.copyOf(members), ready);
        if (!event && now.equals(snapshot)) {
            return;
        }
        snapshot = now;
        for (Runnable l : listeners) {
            l.run();
        }
    }

    /** Vert.x names a node by a member attribute of its own (not the Hazelcast member's UUID). */
    private static String nodeId(Member member) {
        return member.getAttribute(VERTX_NODE_ID);
    }

    @Override
    public String self() {
        return self;
    }

    @Override
    public List<String> ready(Role role) {
        return snapshot.ready().getOrDefault(role, List.of());
    }

    @Override
    public boolean isMember(String nodeId) {
        return snapshot.members().contains(nodeId);
    }

    @Override
    public boolean hasLeft(String nodeId) {
        synchronized (departed) {
            return departed.contains(nodeId);
        }
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** How many members the cluster has now (for health). */
    int members() {
        return snapshot.members().size();
    }
}
