package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.Filter;

/**
 * Which of the fanout scenario's subscriptions an event must reach, by NIP-01 matching
 * ({@link Filter#anyMatches}). Each filter is filed under one of its fields (authors, else a tag, else kinds, else
 * a list checked for every event), so an event is tested only against subscriptions that could match it; the
 * test itself is the shared model's, the same the relay uses.
 */
final class Recipients {
    private final List<List<Filter>> subscriptions;
    private final Map<String, List<Integer>> byAuthor = new HashMap<>();
    private final Map<String, List<Integer>> byTag = new HashMap<>();
    private final Map<Integer, List<Integer>> byKind = new HashMap<>();
    private final List<Integer> broad = new ArrayList<>();

    Recipients(List<List<Filter>> subscriptions) {
        this.subscriptions = subscriptions;
        for (int s = 0; s < subscriptions.size(); s++) {
            for (Filter f : subscriptions.get(s)) {
                file(s, f);
            }
        }
    }

    private void file(int s, Filter f) {
        if (f.authors() != null) {
            for (String a : f.authors()) {
                byAuthor.computeIfAbsent(a, k -> new ArrayList<>()).add(s);
            }
        } else if (!f.tags().isEmpty()) {
            Map.Entry<Character, Set<String>> tag = f.tags().entrySet().iterator().next();
            for (String v : tag.getValue()) {
                byTag.computeIfAbsent(tag.getKey() + ":" + v, k -> new ArrayList<>()).add(s);
            }
        } else if (f.kinds() != null) {
            for (int k : f.kinds()) {
                byKind.computeIfAbsent(k, x -> new ArrayList<>()).add(s);
            }
        } else {
            broad.add(s);
        }
    }

    /** The subscriptions (by number) that match the event, in increasing order. */
    int[] of(Event e) {
        BitSet candidates = new BitSet();
        add(candidates, byAuthor.get(e.pubkey()));
        add(candidates, byKind.get(e.kind()));
        for (List<String> tag : e.tags()) {
            if (tag.size() > 1 && tag.get(0).length() == 1) {
                add(candidates, byTag.get(tag.get(0) + ":" + tag.get(1)));
            }
        }
        add(candidates, broad);
        int[] out = new int[candidates.cardinality()];
        int n = 0;
        for (int s = candidates.nextSetBit(0); s >= 0; s = candidates.nextSetBit(s + 1)) {
            if (Filter.anyMatches(subscriptions.get(s), e)) {
                out[n++] = s;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static void add(BitSet set, List<Integer> subs) {
        if (subs != null) {
            for (int s : subs) {
                set.set(s);
            }
        }
    }
}
