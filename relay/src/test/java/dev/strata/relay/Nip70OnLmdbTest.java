package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip70OnLmdbTest extends Nip70Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
