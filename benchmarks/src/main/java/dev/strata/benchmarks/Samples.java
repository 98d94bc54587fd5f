package dev.strata.benchmarks;

import java.util.List;

import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.NativeBip340;

/** Realistic events, signed for real, shared by the benchmarks. */
final class Samples {
    static final byte[] SECRET_KEY = Hex.decode("b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef");
    static final String MENTION = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d";

    private Samples() {
    }

    /**
     * A typical kind-1 note: about 500 bytes of JSON, with p and t tags, a quote, a newline and some non-ASCII, so the
     * parser and the canonical writer leave their fast paths now and then, as they do on real traffic.
     */
    static Event textNote(long createdAt) {
        return Event.sign(SECRET_KEY, createdAt, 1,
                List.of(List.of("p", MENTION), List.of("t", "nostr")),
                "Agreed: verify every event before storing it. \"Don't trust, verify\"\nBenchmarks next, café ☕ "
                        + "permitting.",
                NativeBip340.load());
    }
}
