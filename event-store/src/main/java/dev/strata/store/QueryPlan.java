package dev.strata.store;

import java.util.List;

/**
 * How pages of one filter walk the store. A plan is {@code exact} when the walk itself enforces every condition of
 * the filter (its values and the time window); otherwise the walk only narrows the candidates and
 * {@code Filter.matches} decides.
 */
sealed interface QueryPlan {

    /** The filter matches nothing whatever is stored. */
    record Nothing() implements QueryPlan {
    }

    /** Direct lookups of the wanted ids. */
    record Ids(List<byte[]> ids, boolean exact) implements QueryPlan {
    }

    /** One index walked under each prefix (one per wanted value), merged newest first. */
    record Walk(Index index, List<byte[]> prefixes, boolean exact) implements QueryPlan {
    }
}
