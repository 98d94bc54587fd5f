package dev.strata.store;

import java.util.List;

/** How pages of one filter walk the store; the walk only narrows the candidates, {@code Filter.matches} decides. */
sealed interface QueryPlan {

    /** The filter matches nothing whatever is stored. */
    record Nothing() implements QueryPlan {
    }

    /** Direct lookups of the wanted ids. */
    record Ids(List<byte[]> ids) implements QueryPlan {
    }

    /** One index walked under each prefix (one per wanted value), merged newest first. */
    record Walk(Index index, List<byte[]> prefixes) implements QueryPlan {
    }
}
