package dev.strata.store;

import java.util.Collection;
import java.util.Set;

import dev.strata.model.Filter;
import dev.strata.model.PrivateKinds;

/**
 * Which stored events a reader may see (NIP-42): events of a private kind only when the reader has authenticated
 * as their author or as a pubkey they {@code p}-tag; every other event.
 *
 * @param readers the pubkeys the reader has authenticated, empty for none
 */
public record Visibility(PrivateKinds privateKinds, Set<String> readers) {
    /** Every event: no private kinds. */
    public static final Visibility ALL = new Visibility(PrivateKinds.NONE, Set.of());

    public Visibility {
        readers = Set.copyOf(readers);
    }

    public static Visibility of(PrivateKinds privateKinds, Collection<String> readers) {
        return new Visibility(privateKinds, Set.copyOf(readers));
    }

    /** Whether the filter may match events this reader may not see, so that each match must be checked. */
    public boolean restricts(Filter f) {
        return privateKinds.reachableBy(f);
    }
}
