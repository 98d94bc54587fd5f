package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip42OnPostgresqlTest extends Nip42Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
