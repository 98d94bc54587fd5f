package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip50OnLmdbTest extends Nip50Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
