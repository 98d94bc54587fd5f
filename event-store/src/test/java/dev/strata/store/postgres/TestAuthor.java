package dev.strata.store.postgres;

import java.util.List;
import java.util.Random;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Hex;

/** A key pair that signs test events (the contract's own is package-private to {@code dev.strata.store}). */
final class TestAuthor {
    private static final Bip340 ENGINE = Bip340.best();

    private final byte[] secretKey;
    final String pubkey;

    private TestAuthor(byte[] secretKey) {
        this.secretKey = secretKey;
        this.pubkey = Hex.encode(ENGINE.publicKey(secretKey));
    }

    /** A valid key from the random stream: a first byte of 1..0x7f keeps it non-zero and below the curve order. */
    static TestAuthor random(Random random) {
        byte[] key = new byte[32];
        random.nextBytes(key);
        key[0] = (byte) (1 + random.nextInt(0x7f));
        return new TestAuthor(key);
    }

    Event sign(long createdAt, int kind, List<List<String>> tags, String content) {
        return Event.sign(secretKey, createdAt, kind, tags, content, ENGINE);
    }

    Event sign(long createdAt, int kind, String content) {
        return sign(createdAt, kind, List.of(), content);
    }
}
