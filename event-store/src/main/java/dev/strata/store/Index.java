package dev.strata.store;

import java.util.Locale;

/** The secondary indexes. Each maps {@code prefix | position} (see {@link Keys}) to an empty value. */
enum Index {
    /** Empty prefix: every event. */
    CREATED,
    AUTHOR,
    KIND,
    AUTHOR_KIND,
    /** Every single-letter tag's first value. */
    TAG;

    String dbName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
