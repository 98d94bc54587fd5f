package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip62OnLmdbTest extends Nip62Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
