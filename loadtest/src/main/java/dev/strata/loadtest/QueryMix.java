package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.KindClass;

/**
 * The REQ shapes of the query scenario, drawn from the events assumed stored (the first {@code loaded} of the
 * corpus) so that most queries find something, in the proportions a client app produces: look-ups by id, an
 * author's notes, mentions of a pubkey, a hashtag feed, a time window.
 */
final class QueryMix {
    enum Shape { IDS, AUTHORS_KINDS, P_TAG, T_TAG, WINDOW }

    /** Default weights, as "ids=20,authors=30,p=15,t=15,window=20". */
    static final String DEFAULT = "ids=20,authors=30,p=15,t=15,window=20";
    private static final Map<String, Shape> NAMES = Map.of("ids", Shape.IDS, "authors", Shape.AUTHORS_KINDS,
            "p", Shape.P_TAG, "t", Shape.T_TAG, "window", Shape.WINDOW);

    private final List<Event> stored = new ArrayList<>();
    private final List<String> pValues = new ArrayList<>();
    private final List<String> tValues = new ArrayList<>();
    private final Map<Shape, Integer> weights;
    private final int totalWeight;
    private final int limit;

    QueryMix(Corpus corpus, int loaded, String mix, int limit) {
        for (int i = 0; i < loaded; i++) {
            Event e = corpus.event(i);
            if (e.kindClass() == KindClass.EPHEMERAL) {
                continue; // never stored: a query for it measures nothing
            }
            stored.add(e);
            for (List<String> tag : e.tags()) {
                if (tag.size() > 1 && tag.get(0).equals("p")) {
                    pValues.add(tag.get(1));
                } else if (tag.size() > 1 && tag.get(0).equals("t")) {
                    tValues.add(tag.get(1));
                }
            }
        }
        if (stored.isEmpty()) {
            throw new Options.UsageException("no storable event among the first " + loaded + " of the corpus");
        }
        this.weights = parse(mix);
        int total = 0;
        for (int w : weights.values()) {
            total += w;
        }
        this.totalWeight = total;
        this.limit = limit;
    }

    static Map<Shape, Integer> parse(String mix) {
        Map<Shape, Integer> w = new LinkedHashMap<>();
        for (String part : mix.split(",")) {
            String[] kv = part.trim().split("=");
            Shape s = kv.length == 2 ? NAMES.get(kv[0].trim()) : null;
            int n;
            try {
                n = kv.length == 2 ? Integer.parseInt(kv[1].trim()) : -1;
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (s == null || n < 0) {
                throw new Options.UsageException("--mix must look like " + DEFAULT + ", not \"" + mix + "\"");
            }
            w.put(s, n);
        }
        if (w.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            throw new Options.UsageException("--mix gives every shape weight 0");
        }
        return w;
    }

    Shape pick(SplittableRandom rng) {
        int r = rng.nextInt(totalWeight);
        for (Map.Entry<Shape, Integer> e : weights.entrySet()) {
            r -= e.getValue();
            if (r < 0) {
                return e.getKey();
            }
        }
        throw new IllegalStateException();
    }

    private Event anyStored(SplittableRandom rng) {
        return stored.get(rng.nextInt(stored.size()));
    }

    /** One filter of the given shape; a tag shape falls back to authors when the corpus has no such tags. */
    Filter filter(Shape shape, SplittableRandom rng) {
        switch (shape) {
            case IDS: {
                Set<String> ids = new LinkedHashSet<>();
                int n = 1 + rng.nextInt(20);
                for (int k = 0; k < n; k++) {
                    ids.add(anyStored(rng).id());
                }
                return new Filter(ids, null, null, null, null, null, limit);
            }
            case P_TAG:
                if (!pValues.isEmpty()) {
                    return new Filter(null, null, null, Map.of('p', Set.of(pValues.get(rng.nextInt(pValues.size())))),
                            null, null, limit);
                }
                break;
            case T_TAG:
                if (!tValues.isEmpty()) {
                    return new Filter(null, null, null, Map.of('t', Set.of(tValues.get(rng.nextInt(tValues.size())))),
                            null, null, limit);
                }
                break;
            case WINDOW: {
                long at = anyStored(rng).createdAt();
                long width = 600 + rng.nextLong(6 * 3600);
                return new Filter(null, null, null, null, Math.max(0, at - width / 2), at + width / 2, limit);
            }
            default:
                break;
        }
        // AUTHORS_KINDS: 1-3 authors (picked through their events, so prolific authors come up more often) and
        // the kinds of those events.
        Set<String> authors = new LinkedHashSet<>();
        Set<Integer> kinds = new LinkedHashSet<>();
        int n = 1 + rng.nextInt(3);
        for (int k = 0; k < n; k++) {
            Event e = anyStored(rng);
            authors.add(e.pubkey());
            kinds.add(e.kind());
        }
        return new Filter(null, authors, kinds, null, null, null, limit);
    }
}
