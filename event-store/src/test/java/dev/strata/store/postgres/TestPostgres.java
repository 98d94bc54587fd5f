package dev.strata.store.postgres;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import io.vertx.pgclient.PgConnectOptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * Where every PostgreSQL test of the build finds its database, decided once per test JVM: {@code
 * STRATA_TEST_PG_URL} when it is set; else the local server ({@value #LOCAL}) when it answers; else, where a
 * Docker engine runs, a PostgreSQL 15 container started for this JVM (Testcontainers removes it when the JVM
 * ends). With none of them the tests fail, saying how to provide one: they never skip.
 */
public final class TestPostgres {
    static final String LOCAL = "postgresql://postgres@127.0.0.1:5432/test";
    private static final String HOW = "The PostgreSQL tests need a PostgreSQL (15 or newer) where they may create "
            + "and drop schemas: start one on 127.0.0.1:5432 (database test, user postgres, trust authentication), "
            + "set STRATA_TEST_PG_URL=postgresql://user[:password]@host:port/database, or run a Docker engine.";
    private static String url;

    private TestPostgres() {
    }

    /** The database URL, postgresql://user[:password]@host:port/database. */
    public static synchronized String url() {
        if (url == null) {
            url = resolve();
        }
        return url;
    }

    /** What a test that cannot reach {@link #url()} says besides its own error. */
    public static String howToProvide() {
        return HOW;
    }

    private static String resolve() {
        String configured = System.getenv("STRATA_TEST_PG_URL");
        if (configured != null && !configured.isBlank()) {
            return configured; // asked for explicitly: used as it is, reachable or not
        }
        if (answers(LOCAL)) {
            return LOCAL;
        }
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new AssertionError("no PostgreSQL at " + LOCAL + " and no Docker engine. " + HOW);
        }
        @SuppressWarnings("resource") // lives as long as the JVM; Testcontainers removes it at exit
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>("postgres:15-alpine");
        container.start();
        return "postgresql://" + container.getUsername() + ":" + container.getPassword() + "@"
                + container.getHost() + ":" + container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT) + "/"
                + container.getDatabaseName();
    }

    private static boolean answers(String uri) {
        PgConnectOptions options = PgConnectOptions.fromUri(uri);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(options.getHost(), options.getPort()), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
