package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip13OnPostgresqlTest extends Nip13Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
