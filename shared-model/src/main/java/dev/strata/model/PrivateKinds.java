package dev.strata.model;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Kinds a relay serves only to their parties, the author and every pubkey the event {@code p}-tags, once they have
 * proven who they are with NIP-42 AUTH: NIP-42's own example is kind 4 DMs "only to the parties involved", and
 * NIP-59 asks the same for kind 1059 gift wraps and their recipient.
 */
public final class PrivateKinds {
    public static final PrivateKinds NONE = new PrivateKinds(Set.of());

    private final Set<Integer> kinds;

    private PrivateKinds(Set<Integer> kinds) {
        this.kinds = Set.copyOf(kinds);
    }

    /**
     * Parses a comma-separated list such as {@code "4,1059"}; empty for none.
     *
     * @throws IllegalArgumentException naming the entry that is not a kind
     */
    public static PrivateKinds parse(String list) {
        if (list.isBlank()) {
            return NONE;
        }
        Set<Integer> kinds = new TreeSet<>();
        for (String item : list.split(",", -1)) {
            String k = item.strip();
            if (!k.matches("[0-9]{1,5}") || Integer.parseInt(k) > KindClass.MAX_KIND) {
                throw new IllegalArgumentException("\"" + Json.abbreviate(k, 16) + "\" is not a kind (0 to "
                        + KindClass.MAX_KIND + ")");
            }
            kinds.add(Integer.parseInt(k));
        }
        return new PrivateKinds(kinds);
    }

    /** The private kinds, for a store that checks them index by index. */
    public Set<Integer> kinds() {
        return kinds;
    }

    public boolean isEmpty() {
        return kinds.isEmpty();
    }

    public boolean contains(int kind) {
        return kinds.contains(kind);
    }

    /** The lowest private kind the filter names in its {@code kinds}, or -1 when it names none. */
    public int namedBy(Filter f) {
        int lowest = -1;
        if (f.kinds() != null) {
            for (int k : f.kinds()) {
                if (kinds.contains(k) && (lowest == -1 || k < lowest)) {
                    lowest = k;
                }
            }
        }
        return lowest;
    }

    /** True when the filter names kinds and every one of them is private: it can match private events only. */
    public boolean onlyPrivate(Filter f) {
        return f.kinds() != null && !f.kinds().isEmpty() && kinds.containsAll(f.kinds());
    }

    /** True when the filter may match events of a private kind: it names one, or no kinds at all. */
    public boolean reachableBy(Filter f) {
        return !kinds.isEmpty() && (f.kinds() == null || namedBy(f) >= 0);
    }

    /**
     * Who may read an event, from its JSON: null when everyone may (its kind is not private), else its parties.
     * Only the kind is read for the common public event; a private one is parsed in full. JSON that does not parse
     * has no parties: it is never shown to anyone.
     */
    public Set<String> partiesOf(String eventJson) {
        int kind = kindOf(eventJson);
        if (kind >= 0 && !kinds.contains(kind)) {
            return null;
        }
        Event e;
        try {
            e = Event.parse(eventJson);
        } catch (InvalidEventException unreadable) {
            return Set.of();
        }
        return kinds.contains(e.kind()) ? parties(e) : null;
    }

    /** The author and every {@code p}-tagged pubkey. */
    public static Set<String> parties(Event e) {
        Set<String> parties = new HashSet<>();
        parties.add(e.pubkey());
        for (List<String> tag : e.tags()) {
            if (tag.size() > 1 && tag.get(0).equals("p")) {
                parties.add(tag.get(1));
            }
        }
        return parties;
    }

    /** True when {@code parties} is null (a public event) or holds one of the reader's pubkeys. */
    public static boolean mayRead(Set<String> parties, Collection<String> readerPubkeys) {
        if (parties == null) {
            return true;
        }
        for (String pubkey : readerPubkeys) {
            if (parties.contains(pubkey)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The kind of an event's JSON without parsing it, or -1 when it cannot be read that way (then the caller
     * parses). Exact for any valid event JSON: an unescaped {@code "kind":} after a comma or the opening brace can
     * only be the object's own key, since quotes inside strings are escaped and tags hold no objects.
     */
    static int kindOf(String json) {
        int at = json.indexOf("\"kind\":");
        if (at < 1 || (json.charAt(at - 1) != ',' && json.charAt(at - 1) != '{')) {
            return -1;
        }
        int i = at + 7;
        int kind = 0;
        int digits = 0;
        while (i < json.length() && json.charAt(i) >= '0' && json.charAt(i) <= '9' && digits < 6) {
            kind = kind * 10 + (json.charAt(i) - '0');
            digits++;
            i++;
        }
        if (digits == 0 || i == json.length() || (json.charAt(i) != ',' && json.charAt(i) != '}')) {
            return -1;
        }
        return kind;
    }

    @Override
    public String toString() {
        return new TreeSet<>(kinds).toString();
    }
}
