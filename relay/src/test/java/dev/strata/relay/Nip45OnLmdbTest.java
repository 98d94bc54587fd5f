package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip45OnLmdbTest extends Nip45Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
