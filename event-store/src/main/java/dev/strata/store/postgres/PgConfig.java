package dev.strata.store.postgres;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of a {@link PgEventStore}.
 *
 * @param url              {@code postgresql://user[:password]@host[:port]/database} of the primary: every write,
 *                         and every query when there is no replica
 * @param poolSize         connections to the primary (and as many to the replica)
 * @param statementTimeout the longest one statement may run (PostgreSQL's {@code statement_timeout}, which also
 *                         bounds waiting for a lock) and the longest an operation waits for a free connection
 * @param maxWaiting       operations (a write call or a query page) that may wait for a connection when all
 *                         {@code poolSize} are busy; one more fails at once with {@code rate-limited:}
 * @param schema           the PostgreSQL schema that holds the tables; created when missing. Lowercase letters,
 *                         digits and {@code _} only, so it needs no quoting
 * @param replicaUrl       a read replica for queries, or null to query the primary. A replica lags: an event a
 *                         client just wrote may take a moment to be found
 */
public record PgConfig(String url, int poolSize, Duration statementTimeout, int maxWaiting, String schema,
                       String replicaUrl) {
    public static final int DEFAULT_POOL_SIZE = 8;
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_WAITING = 64;
    public static final String DEFAULT_SCHEMA = "strata";

    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern PASSWORD = Pattern.compile("^(postgres(?:ql)?://[^:/@]*:)[^@]*@");

    public PgConfig {
        checkUrl("url", url);
        if (replicaUrl != null) {
            checkUrl("replicaUrl", replicaUrl);
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be positive");
        }
        Objects.requireNonNull(statementTimeout, "statementTimeout");
        if (statementTimeout.toMillis() < 1 || statementTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("statementTimeout must be from 1 ms to " + Integer.MAX_VALUE + " ms");
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException("maxWaiting must not be negative");
        }
        if (schema == null || !SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException(
                    "schema must be 1 to 63 of a-z, 0-9 and _, not starting with a digit: " + schema);
        }
    }

    /** The defaults above, on the database at {@code url}, without a replica. */
    public static PgConfig defaults(String url) {
        return new PgConfig(url, DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_MAX_WAITING, DEFAULT_SCHEMA,
                null);
    }

    /** Without the passwords of the URLs: a configuration is logged at start-up. */
    @Override
    public String toString() {
        return "PgConfig[url=" + redact(url) + ", poolSize=" + poolSize + ", statementTimeout=" + statementTimeout
                + ", maxWaiting=" + maxWaiting + ", schema=" + schema + ", replicaUrl=" + redact(replicaUrl) + "]";
    }

    /** The URL without its password, for logs and messages. */
    public static String redact(String url) {
        return url == null ? null : PASSWORD.matcher(url).replaceFirst("$1***@");
    }

    private static void checkUrl(String name, String value) {
        if (value == null || !(value.startsWith("postgresql://") || value.startsWith("postgres://"))) {
            throw new IllegalArgumentException(name + " must be a postgresql:// URL");
        }
    }
}
