package dev.strata.relay;

import org.junit.jupiter.api.BeforeAll;

class Nip01OnLmdbTest extends Nip01Test {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestRelay.Engine.LMDB);
    }
}
