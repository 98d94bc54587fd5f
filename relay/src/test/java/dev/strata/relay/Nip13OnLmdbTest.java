package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip13OnLmdbTest extends Nip13Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
