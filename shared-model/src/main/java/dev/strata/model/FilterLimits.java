package dev.strata.model;

/**
 * Bounds on what a client may ask for. Enforced when filters and subscription messages are parsed.
 *
 * @param maxFilters       filters in one REQ or COUNT
 * @param maxValuesPerField values in one of ids, authors, kinds or a {@code #x} list
 * @param maxSubIdLength   characters in a subscription id (NIP-01 says at most 64)
 * @param maxSearchLength  characters in a NIP-50 {@code search} string
 */
public record FilterLimits(int maxFilters, int maxValuesPerField, int maxSubIdLength, int maxSearchLength) {
    public static final int DEFAULT_MAX_SEARCH_LENGTH = 256;
    /** Safe defaults for a public relay. */
    public static final FilterLimits DEFAULT = new FilterLimits(10, 1000, 64, DEFAULT_MAX_SEARCH_LENGTH);

    public FilterLimits {
        if (maxFilters < 1 || maxValuesPerField < 1 || maxSubIdLength < 1 || maxSearchLength < 1) {
            throw new IllegalArgumentException("filter limits must be positive");
        }
    }

    /** Limits with the default search length. */
    public FilterLimits(int maxFilters, int maxValuesPerField, int maxSubIdLength) {
        this(maxFilters, maxValuesPerField, maxSubIdLength, DEFAULT_MAX_SEARCH_LENGTH);
    }
}
