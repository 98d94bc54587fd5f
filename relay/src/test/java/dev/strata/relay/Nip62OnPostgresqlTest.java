package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip62OnPostgresqlTest extends Nip62Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
