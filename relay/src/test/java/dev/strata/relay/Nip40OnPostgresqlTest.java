package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip40OnPostgresqlTest extends Nip40Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
