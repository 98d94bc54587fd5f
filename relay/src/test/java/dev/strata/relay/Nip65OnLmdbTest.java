package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip65OnLmdbTest extends Nip65Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
