package dev.strata.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Address;
import dev.strata.model.Event;
import dev.strata.model.Expiration;
import dev.strata.model.Filter;
import dev.strata.model.KindClass;

/**
 * NIP-01 storage, NIP-09 deletions, NIP-40 expirations and NIP-62 requests to vanish in the plainest possible code:
 * the oracle the engines are compared with.
 */
final class ReferenceStore {
    static final Comparator<Event> NEWEST_FIRST =
            Comparator.comparingLong(Event::createdAt).reversed().thenComparing(Event::id);

    private final Map<String, Event> byId = new HashMap<>();
    private final Map<String, Event> currentVersion = new HashMap<>();
    /** "pubkey:id" of every e target deleted by its author (or named before it arrived). */
    private final Set<String> deletedIds = new HashSet<>();
    /** Replace key to the latest created_at deleted by an a tag. */
    private final Map<String, Long> deletedAddresses = new HashMap<>();
    /** Pubkey to the latest created_at it vanished up to. */
    private final Map<String, Long> vanished = new HashMap<>();

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static boolean isVersion(int kind) {
        KindClass c = KindClass.of(kind);
        return c == KindClass.REPLACEABLE || c == KindClass.ADDRESSABLE;
    }

    private static String key(String pubkey, int kind, String d) {
        return pubkey + ":" + kind + (KindClass.of(kind) == KindClass.ADDRESSABLE ? ":" + d : "");
    }

    private static String key(Event e) {
        return key(e.pubkey(), e.kind(), e.dTag());
    }

    WriteResult write(Event e) {
        if (e.kindClass() == KindClass.EPHEMERAL) {
            return WriteResult.EPHEMERAL;
        }
        if (hasVanished(e)) {
            return WriteResult.VANISHED;
        }
        if (e.kind() != 5 && e.kind() != 62 && deletedIds.contains(e.pubkey() + ":" + e.id())) {
            return WriteResult.DELETED;
        }
        if (byId.containsKey(e.id())) {
            return WriteResult.DUPLICATE;
        }
        if (isVersion(e.kind())) {
            String key = key(e);
            Long cutoff = deletedAddresses.get(key);
            if (cutoff != null && e.createdAt() <= cutoff) {
                return WriteResult.DELETED;
            }
            Event current = currentVersion.get(key);
            if (current != null) {
                boolean newer = e.createdAt() > current.createdAt()
                        || (e.createdAt() == current.createdAt() && e.id().compareTo(current.id()) < 0);
                if (!newer && !Expiration.isExpired(current, now())) {
                    return WriteResult.STALE;
                }
                remove(current);
            }
            currentVersion.put(key, e);
        }
        byId.put(e.id(), e);
        if (e.kind() == 5) {
            delete(e);
        } else if (e.kind() == 62) {
            vanish(e);
        }
        return WriteResult.STORED;
    }

    /** NIP-45: the distinct events matching any filter, expired ones excepted. */
    List<Event> countable(List<Filter> filters) {
        List<Event> out = new ArrayList<>();
        for (Event e : byId.values()) {
            if (Filter.anyMatches(filters, e) && !Expiration.isExpired(e, now())) {
                out.add(e);
            }
        }
        return out;
    }

    private boolean hasVanished(Event e) {
        if (e.kind() != 62 && vanished.getOrDefault(e.pubkey(), -1L) >= e.createdAt()) {
            return true;
        }
        return e.kind() == 1059 && e.tags().stream().anyMatch(t -> t.size() > 1 && t.get(0).equals("p")
                && vanished.getOrDefault(t.get(1), -1L) >= e.createdAt());
    }

    private void delete(Event request) {
        for (List<String> tag : request.tags()) {
            if (tag.size() > 1 && tag.get(0).equals("e")) {
                Event target = byId.get(tag.get(1));
                if (target != null && (!target.pubkey().equals(request.pubkey()) || target.kind() == 5
                        || target.kind() == 62)) {
                    continue;
                }
                if (target != null) {
                    remove(target);
                }
                deletedIds.add(request.pubkey() + ":" + tag.get(1));
            } else if (tag.size() > 1 && tag.get(0).equals("a")) {
                Address address = Address.parse(tag.get(1));
                if (address == null || !address.pubkey().equals(request.pubkey())) {
                    continue;
                }
                String key = key(address.pubkey(), address.kind(), address.d());
                deletedAddresses.merge(key, request.createdAt(), Math::max);
                Event current = currentVersion.get(key);
                if (current != null && current.createdAt() <= request.createdAt()) {
                    remove(current);
                }
            }
        }
    }

    private void vanish(Event request) {
        String pubkey = request.pubkey();
        long cutoff = request.createdAt();
        vanished.merge(pubkey, cutoff, Math::max);
        for (Event e : new ArrayList<>(byId.values())) {
            boolean own = e.pubkey().equals(pubkey) && e.kind() != 62;
            boolean wrapToThem = e.kind() == 1059 && e.tags().stream()
                    .anyMatch(t -> t.size() > 1 && t.get(0).equals("p") && t.get(1).equals(pubkey));
            if ((own || wrapToThem) && e.createdAt() <= cutoff) {
                remove(e);
            }
        }
    }

    private void remove(Event e) {
        byId.remove(e.id());
        if (isVersion(e.kind()) && currentVersion.get(key(e)) == e) {
            currentVersion.remove(key(e));
        }
    }

    List<Event> query(Filter filter) {
        long now = now();
        List<Event> out = new ArrayList<>();
        for (Event e : byId.values()) {
            if (filter.matches(e) && !Expiration.isExpired(e, now)) {
                out.add(e);
            }
        }
        out.sort(NEWEST_FIRST);
        return out;
    }
}
