package dev.strata.fanout;

import dev.strata.model.Event;
import dev.strata.model.Filter;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The live subscriptions of the fanout tier: for each accepted event, finds every subscription with a filter that
 * matches it without looking at subscriptions that cannot.
 *
 * <p>The approach follows strfry's ActiveMonitors: index filters by a selective field, then verify the candidates.
 * Each filter is indexed under one field only, the most selective it has: {@code ids}, else {@code authors}, else
 * one tag field, else {@code kinds}, else it goes in the broad bucket. Since
 * NIP-01 requires every present field to match, an event can only match a filter if it hits that filter under the
 * chosen field, so looking up the event's id, pubkey, single-letter tag values and kind (plus the broad bucket)
 * finds every candidate. Each candidate is then confirmed with {@link Filter#matches}, so the index decides only
 * what gets checked, never what matches.
 *
 * <p>Not thread-safe: it lives on one event-loop thread, so it takes no locks.
 *
 * @param <K> identifies one subscription, e.g. gateway, connection and subscription id; needs equals and hashCode
 */
public final class SubscriptionIndex<K> {

    /** The field a filter is indexed under, which says which map holds its buckets. */
    private enum Field { ID, AUTHOR, TAG, KIND, BROAD }

    private final Map<K, Subscription<K>> subscriptions = new HashMap<>();
    private final Map<String, Bucket<K>> byId = new HashMap<>();
    private final Map<String, Bucket<K>> byAuthor = new HashMap<>();
    private final Map<Character, Map<String, Bucket<K>>> byTag = new HashMap<>();
    private final Map<Integer, Bucket<K>> byKind = new HashMap<>();
    private final Bucket<K> broad = new Bucket<>(null);

    /*
     * Bumped once per event. Stamping filters and subscriptions with it de-duplicates without allocating a set per
     * event; a long never wraps, so a stale stamp can never be mistaken for the current event.
     */
    private long epoch;
    private boolean matching;

    /** Adds a subscription, or replaces its filters if the key is already present (NIP-01: a REQ with a known id). */
    public void add(K key, List<Filter> filters) {
        Objects.requireNonNull(key, "key");
        checkNotMatching();
        Subscription<K> old = subscriptions.remove(key);
        if (old != null) {
            unindex(old);
        }
        Subscription<K> sub = new Subscription<>(key);
        int count = 0;
        Node<K>[] nodes = newNodeArray(filters.size());
        for (Filter f : filters) {
            if (!matchesNothing(f)) {
                nodes[count++] = index(f, sub);
            }
        }
        sub.nodes = count == nodes.length ? nodes : Arrays.copyOf(nodes, count);
        subscriptions.put(key, sub);
    }

    /** Removes one subscription (NIP-01 CLOSE); returns whether it was present. */
    public boolean remove(K key) {
        checkNotMatching();
        Subscription<K> sub = subscriptions.remove(key);
        if (sub == null) {
            return false;
        }
        unindex(sub);
        return true;
    }

    /**
     * Removes every subscription whose key the predicate accepts, e.g. all of a closed connection or of a lost
     * gateway; walks the subscriptions once, so a whole gateway costs one pass rather than one call per key.
     *
     * @return how many were removed
     */
    public int removeMatching(Predicate<? super K> predicate) {
        checkNotMatching();
        int removed = 0;
        for (Iterator<Subscription<K>> it = subscriptions.values().iterator(); it.hasNext(); ) {
            Subscription<K> sub = it.next();
            if (predicate.test(sub.key)) {
                it.remove();
                unindex(sub);
                removed++;
            }
        }
        return removed;
    }

    /**
     * Passes to the sink, once each, the key of every subscription with at least one filter matching the event.
     * NIP-01's {@code limit} plays no part: it bounds only the stored events sent before EOSE. The sink must not add
     * or remove subscriptions; collect the keys first if it needs to.
     *
     * @return how many filters were checked against the event, a measure of the index's selectivity
     */
    public int forEachMatch(Event e, Consumer<? super K> sink) {
        checkNotMatching();
        matching = true;
        try {
            long stamp = ++epoch;
            int checked = visit(byId.get(e.id()), e, stamp, sink);
            checked += visit(byAuthor.get(e.pubkey()), e, stamp, sink);
            if (!byTag.isEmpty()) {
                for (List<String> tag : e.tags()) {
                    // NIP-01 tag filters match a single-letter tag's element 1 only, so only that value is looked up.
                    if (tag.size() > 1 && tag.get(0).length() == 1) {
                        Map<String, Bucket<K>> values = byTag.get(tag.get(0).charAt(0));
                        if (values != null) {
                            checked += visit(values.get(tag.get(1)), e, stamp, sink);
                        }
                    }
                }
            }
            if (!byKind.isEmpty()) {
                checked += visit(byKind.get(e.kind()), e, stamp, sink);
            }
            return checked + visit(broad, e, stamp, sink);
        } finally {
            matching = false;
        }
    }

    public int size() {
        return subscriptions.size();
    }

    /** Entry counts of the internal structures, so tests can show that removal leaves nothing behind. */
    Map<String, Integer> internalSizes() {
        return Map.of("subscriptions", subscriptions.size(), "ids", byId.size(), "authors", byAuthor.size(),
                "tags", byTag.size(), "kinds", byKind.size(), "broad", broad.size);
    }

    private int visit(Bucket<K> bucket, Event e, long stamp, Consumer<? super K> sink) {
        if (bucket == null) {
            return 0;
        }
        int checked = 0;
        for (int i = 0; i < bucket.size; i++) {
            Node<K> node = bucket.nodes[i];
            // A filter sits in several buckets when the event carries several of its tag values, and a subscription
            // already delivered needs none of its other filters checked.
            if (node.checkedAt == stamp || node.owner.matchedAt == stamp) {
                continue;
            }
            node.checkedAt = stamp;
            checked++;
            if (node.filter.matches(e)) {
                node.owner.matchedAt = stamp;
                sink.accept(node.owner.key);
            }
        }
        return checked;
    }

    /** NIP-01: an empty list in any field, or since after until, can match no event, so it need not be indexed. */
    private static boolean matchesNothing(Filter f) {
        if (isEmpty(f.ids()) || isEmpty(f.authors()) || isEmpty(f.kinds())) {
            return true;
        }
        for (Set<String> values : f.tags().values()) {
            if (values.isEmpty()) {
                return true;
            }
        }
        return f.since() != null && f.until() != null && f.since() > f.until();
    }

    private static boolean isEmpty(Set<?> values) {
        return values != null && values.isEmpty();
    }

    private Node<K> index(Filter f, Subscription<K> sub) {
        if (f.ids() != null) {
            Node<K> node = new Node<>(f, sub, Field.ID, '\0', f.ids().size());
            int i = 0;
            for (String id : f.ids()) {
                byId.computeIfAbsent(id, Bucket::new).add(node, i++);
            }
            return node;
        }
        if (f.authors() != null) {
            Node<K> node = new Node<>(f, sub, Field.AUTHOR, '\0', f.authors().size());
            int i = 0;
            for (String author : f.authors()) {
                byAuthor.computeIfAbsent(author, Bucket::new).add(node, i++);
            }
            return node;
        }
        if (!f.tags().isEmpty()) {
            Map.Entry<Character, Set<String>> narrowest = narrowestTag(f);
            char name = narrowest.getKey();
            Node<K> node = new Node<>(f, sub, Field.TAG, name, narrowest.getValue().size());
            Map<String, Bucket<K>> values = byTag.computeIfAbsent(name, c -> new HashMap<>());
            int i = 0;
            for (String value : narrowest.getValue()) {
                values.computeIfAbsent(value, Bucket::new).add(node, i++);
            }
            return node;
        }
        if (f.kinds() != null) {
            Node<K> node = new Node<>(f, sub, Field.KIND, '\0', f.kinds().size());
            int i = 0;
            for (Integer kind : f.kinds()) {
                byKind.computeIfAbsent(kind, Bucket::new).add(node, i++);
            }
            return node;
        }
        Node<K> node = new Node<>(f, sub, Field.BROAD, '\0', 1);
        broad.add(node, 0);
        return node;
    }

    /** The tag field with the fewest values puts the filter in the fewest buckets; ties go to the lower letter. */
    private static Map.Entry<Character, Set<String>> narrowestTag(Filter f) {
        Map.Entry<Character, Set<String>> best = null;
        for (Map.Entry<Character, Set<String>> t : f.tags().entrySet()) {
            if (best == null || t.getValue().size() < best.getValue().size()
                    || (t.getValue().size() == best.getValue().size() && t.getKey() < best.getKey())) {
                best = t;
            }
        }
        return best;
    }

    private void unindex(Subscription<K> sub) {
        for (Node<K> node : sub.nodes) {
            for (int i = 0; i < node.buckets.length; i++) {
                Bucket<K> bucket = node.buckets[i];
                bucket.remove(node.slots[i]);
                if (bucket.size == 0) {
                    dropEmpty(node, bucket);
                }
            }
        }
    }

    private void dropEmpty(Node<K> node, Bucket<K> bucket) {
        switch (node.field) {
            case ID -> byId.remove(bucket.value);
            case AUTHOR -> byAuthor.remove(bucket.value);
            case KIND -> byKind.remove(bucket.value);
            case TAG -> {
                Map<String, Bucket<K>> values = byTag.get(node.tagName);
                values.remove(bucket.value);
                if (values.isEmpty()) {
                    byTag.remove(node.tagName);
                }
            }
            case BROAD -> {
                // The broad bucket is a field of the index, not a map entry, so there is nothing to drop.
            }
        }
    }

    private void checkNotMatching() {
        if (matching) {
            throw new IllegalStateException("subscriptions cannot change while an event is being matched");
        }
    }

    @SuppressWarnings("unchecked")
    private static <K> Node<K>[] newNodeArray(int n) {
        return (Node<K>[]) new Node<?>[n];
    }

    private static final class Subscription<K> {
        final K key;
        Node<K>[] nodes;
        long matchedAt;

        Subscription(K key) {
            this.key = key;
        }
    }

    /** One filter of one subscription, with where it sits in each bucket it is indexed under. */
    private static final class Node<K> {
        final Filter filter;
        final Subscription<K> owner;
        final Field field;
        final char tagName;
        final Bucket<K>[] buckets;
        final int[] slots;
        long checkedAt;

        @SuppressWarnings("unchecked")
        Node(Filter filter, Subscription<K> owner, Field field, char tagName, int bucketCount) {
            this.filter = filter;
            this.owner = owner;
            this.field = field;
            this.tagName = tagName;
            this.buckets = (Bucket<K>[]) new Bucket<?>[bucketCount];
            this.slots = new int[bucketCount];
        }
    }

    /**
     * The filters indexed under one value. Removal swaps the last filter into the hole, which keeps it O(1) even for
     * a bucket such as kind 1 that thousands of subscriptions share; each slot remembers which of its node's buckets
     * it is so the moved node's position can be updated.
     */
    private static final class Bucket<K> {
        private static final int MIN_CAPACITY = 2;

        final Object value;
        Node<K>[] nodes = newNodeArray(MIN_CAPACITY);
        int[] bucketIndex = new int[MIN_CAPACITY];
        int size;

        Bucket(Object value) {
            this.value = value;
        }

        void add(Node<K> node, int i) {
            if (size == nodes.length) {
                resize(size * 2);
            }
            nodes[size] = node;
            bucketIndex[size] = i;
            node.buckets[i] = this;
            node.slots[i] = size;
            size++;
        }

        void remove(int slot) {
            int last = --size;
            Node<K> moved = nodes[last];
            nodes[slot] = moved;
            bucketIndex[slot] = bucketIndex[last];
            moved.slots[bucketIndex[slot]] = slot;
            nodes[last] = null;
            // Shrinking keeps a bucket that once held a crowd from pinning its peak-sized arrays forever.
            if (nodes.length > MIN_CAPACITY && size <= nodes.length / 4) {
                resize(Math.max(MIN_CAPACITY, nodes.length / 2));
            }
        }

        private void resize(int capacity) {
            nodes = Arrays.copyOf(nodes, capacity);
            bucketIndex = Arrays.copyOf(bucketIndex, capacity);
        }
    }
}
