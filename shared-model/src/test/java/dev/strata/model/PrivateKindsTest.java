package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Kinds served only to their parties: which filters reach them and who may read an event. */
class PrivateKindsTest {
    private static final byte[] ALICE = key(1);
    private static final byte[] BOB = key(2);
    private static final String CAROL = "cc".repeat(32);

    private static byte[] key(int n) {
        byte[] k = new byte[32];
        k[31] = (byte) n;
        return k;
    }

    private static String pubkey(byte[] key) {
        return Hex.encode(Bip340.best().publicKey(key));
    }

    private static Filter filter(String json) throws Exception {
        return Filter.fromJson(Json.parse(json), FilterLimits.DEFAULT);
    }

    @Test
    void aListOfKindsParsesAndAnythingElseIsRefusedByName() {
        PrivateKinds dms = PrivateKinds.parse(" 4, 1059 ");
        assertTrue(dms.contains(4));
        assertTrue(dms.contains(1059));
        assertFalse(dms.contains(1));
        assertTrue(PrivateKinds.parse("").isEmpty());
        for (String bad : new String[] {"4,", "four", "70000", "-1", "4;5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrivateKinds.parse(bad));
            assertTrue(e.getMessage().contains("is not a kind"), e.getMessage());
        }
    }

    @Test
    void aFilterReachesPrivateKindsWhenItNamesOneOrNoKindsAtAll() throws Exception {
        PrivateKinds dms = PrivateKinds.parse("4,1059");
        assertEquals(4, dms.namedBy(filter("{\"kinds\":[1,1059,4]}")));
        assertEquals(-1, dms.namedBy(filter("{\"kinds\":[1,7]}")));
        assertEquals(-1, dms.namedBy(filter("{}")));
        assertTrue(dms.reachableBy(filter("{\"authors\":[\"" + CAROL + "\"]}")));
        assertTrue(dms.reachableBy(filter("{\"kinds\":[1059]}")));
        assertFalse(dms.reachableBy(filter("{\"kinds\":[1,7]}")));
        assertFalse(PrivateKinds.NONE.reachableBy(filter("{}")));
    }

    @Test
    void aPrivateEventIsReadableByItsAuthorAndItsTaggedPubkeysOnly() {
        PrivateKinds dms = PrivateKinds.parse("4");
        Event dm = Event.sign(ALICE, 1_700_000_000L, 4, List.of(List.of("p", pubkey(BOB)), List.of("p", CAROL)),
                "ciphertext", Bip340.best());
        Set<String> parties = dms.partiesOf(dm.toJson());
        assertEquals(Set.of(pubkey(ALICE), pubkey(BOB), CAROL), parties);
        assertTrue(PrivateKinds.mayRead(parties, List.of("dd".repeat(32), pubkey(BOB))));
        assertFalse(PrivateKinds.mayRead(parties, List.of("dd".repeat(32))));
        assertFalse(PrivateKinds.mayRead(parties, List.of()));

        Event note = Event.sign(ALICE, 1_700_000_000L, 1, List.of(), "public", Bip340.best());
        assertNull(dms.partiesOf(note.toJson()));
        assertTrue(PrivateKinds.mayRead(null, List.of()));
    }

    @Test
    void theKindIsReadFromTheJsonWithoutBeingFooledByContent() {
        Event tricky = Event.sign(ALICE, 1, 1, List.of(List.of("x", ",\"kind\":4,")), ",\"kind\":4,",
                Bip340.best());
        assertEquals(1, PrivateKinds.kindOf(tricky.toJson()));
        assertEquals(4, PrivateKinds.kindOf("{\"kind\":4,\"id\":\"x\"}"));
        assertEquals(65535, PrivateKinds.kindOf("{\"id\":\"x\",\"kind\":65535}"));
        // Other layouts are left to the full parse.
        assertEquals(-1, PrivateKinds.kindOf("{\"id\":\"x\",\"kind\": 4}"));
        assertEquals(-1, PrivateKinds.kindOf("{\"id\":\"x\"}"));
        // Whatever the layout, the answer is right.
        PrivateKinds dms = PrivateKinds.parse("4");
        Event dm = Event.sign(ALICE, 1, 4, List.of(), "", Bip340.best());
        assertEquals(Set.of(pubkey(ALICE)), dms.partiesOf(dm.toJson().replace("\"kind\":4", "\"kind\": 4")));
        assertEquals(Set.of(), dms.partiesOf("{\"kind\":4}"));
    }
}
