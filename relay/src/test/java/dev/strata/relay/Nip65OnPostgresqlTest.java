package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip65OnPostgresqlTest extends Nip65Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
