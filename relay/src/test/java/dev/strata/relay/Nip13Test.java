package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.key;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.ProofOfWork;
import dev.strata.model.RelayMessage;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** NIP-13 proof of work over a real WebSocket, on a relay requiring {@value #MIN} bits; one subclass per engine. */
abstract class Nip13Test extends OverTheWire {
    static final int MIN = 10;

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, Map.of("limits.min_pow_difficulty", String.valueOf(MIN)));
    }

    /**
     * Mines as NIP-13 describes: bumps the nonce until the id has at least {@code bits} leading zero bits.
     *
     * @param target the committed target (the nonce tag's third element), or null for a nonce tag without one
     */
    static Event mined(int author, String content, int bits, String target) {
        String pubkey = Hex.encode(Bip340.best().publicKey(key(author)));
        long createdAt = now();
        for (long nonce = 0; ; nonce++) {
            List<String> nonceTag = new ArrayList<>(List.of("nonce", Long.toString(nonce)));
            if (target != null) {
                nonceTag.add(target);
            }
            List<List<String>> tags = List.of(List.of("t", "pow-test"), nonceTag);
            Event draft = new Event("0".repeat(64), pubkey, createdAt, 1, tags, content, "0".repeat(128));
            if (ProofOfWork.difficulty(draft.computeId()) >= bits) {
                return event(author, createdAt, 1, tags, content);
            }
        }
    }

    static void assertRefused(RelayMessage.Ok ok, String message) {
        assertFalse(ok.accepted());
        assertEquals(message, ok.message());
    }

    @Test
    void eventsReachingTheMinimumAreStoredAndServed() throws Exception {
        try (RelayClient c = connect()) {
            Event committed = mined(60, "mined with a commitment", MIN, String.valueOf(MIN));
            Event uncommitted = mined(60, "mined without a commitment", MIN, null);
            c.publishAccepted(committed);
            c.publishAccepted(uncommitted);
            assertEquals(Set.of(committed.id(), uncommitted.id()),
                    Set.copyOf(c.req("mined", "{\"ids\":[\"" + committed.id() + "\",\"" + uncommitted.id() + "\"]}")));
        }
    }

    @Test
    void anIdBelowTheMinimumIsRefusedWithPowAndNeverServed() throws Exception {
        try (RelayClient c = connect()) {
            Event weak = event(61, now(), 1, List.of(List.of("t", "pow-test")), "no work done");
            for (int i = 0; ProofOfWork.difficulty(weak.id()) >= MIN; i++) {
                weak = event(61, now(), 1, List.of(List.of("t", "pow-test")), "no work done " + i);
            }
            int difficulty = ProofOfWork.difficulty(weak.id());
            assertRefused(c.publish(weak), "pow: difficulty " + difficulty + " is less than " + MIN);
            assertEquals(List.of(), c.req("weak", "{\"ids\":[\"" + weak.id() + "\"]}"));
        }
    }

    @Test
    void aCommittedTargetBelowTheMinimumIsRefusedEvenWhenTheIdReachesIt() throws Exception {
        try (RelayClient c = connect()) {
            Event lucky = mined(62, "mined for less", MIN, "5");
            assertTrue(ProofOfWork.difficulty(lucky.id()) >= MIN);
            assertRefused(c.publish(lucky), "pow: committed target difficulty 5 is less than " + MIN);
            assertEquals(List.of(), c.req("lucky", "{\"ids\":[\"" + lucky.id() + "\"]}"));
            // The connection goes on.
            c.publishAccepted(mined(62, "mined for enough", MIN, String.valueOf(MIN + 2)));
        }
    }

    @Test
    void nip11AdvertisesTheMinimumAndRestrictedWrites() throws Exception {
        JsonObject limitation = Http.get(clients, relay.port(), "/", "Accept", "application/nostr+json").body()
                .toJsonObject().getJsonObject("limitation");
        assertEquals(MIN, limitation.getInteger("min_pow_difficulty"));
        assertTrue(limitation.getBoolean("restricted_writes"));
    }
}
