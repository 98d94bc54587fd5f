package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip09OnPostgresqlTest extends Nip09Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.POSTGRESQL);
    }
}
