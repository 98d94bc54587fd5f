package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** NIP-45 HyperLogLog: the offset rule and the registers, checked against a plain bit-string computation. */
class HllTest {
    private static final String ID = "fef2a50f7d9d3d5a5f38ee761bc087ec16198d3f0140df6d1e8193abf7c2b146";
    private static final String PUBKEY = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d";

    /** The offset as the NIP words it, from a 64-character hex string: the digit at index 32, plus 8. */
    private static int nipOffset(String hex64) {
        return Integer.parseInt(hex64.substring(32, 33), 16) + 8;
    }

    private static int offsetOfCount(String json) throws Exception {
        return ((ClientMessage.Count) ClientMessage.parse(json, FilterLimits.DEFAULT)).hllOffset();
    }

    @Test
    void theOffsetComesFromTheFirstTagAttributeAndItsFirstValue() throws Exception {
        assertEquals(nipOffset(ID), offsetOfCount("[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"],\"kinds\":[7]}]"));
        assertEquals(nipOffset(PUBKEY), offsetOfCount("[\"COUNT\",\"q\",{\"kinds\":[3],\"#p\":[\"" + PUBKEY + "\"]}]"));
        // Document order decides, for the attributes and for the values.
        assertEquals(nipOffset(PUBKEY), offsetOfCount(
                "[\"COUNT\",\"q\",{\"#p\":[\"" + PUBKEY + "\",\"" + ID + "\"],\"#e\":[\"" + ID + "\"]}]"));
        assertEquals(nipOffset(ID), offsetOfCount(
                "[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"],\"#p\":[\"" + PUBKEY + "\"]}]"));
        // An address by its pubkey; anything else by its SHA-256.
        assertEquals(nipOffset(PUBKEY), offsetOfCount("[\"COUNT\",\"q\",{\"#a\":[\"30023:" + PUBKEY + ":my-post\"]}]"));
        String hashed = Hex.encode(Sha256.hash("nostr".getBytes(StandardCharsets.UTF_8)));
        assertEquals(nipOffset(hashed), offsetOfCount("[\"COUNT\",\"q\",{\"#t\":[\"nostr\"]}]"));
        String badAddress = "x:" + PUBKEY + ":d";
        assertEquals(nipOffset(Hex.encode(Sha256.hash(badAddress.getBytes(StandardCharsets.UTF_8)))),
                offsetOfCount("[\"COUNT\",\"q\",{\"#a\":[\"" + badAddress + "\"]}]"));
    }

    @Test
    void filtersWithoutATagOrWithDifferentOffsetsGetNoHll() throws Exception {
        assertEquals(-1, offsetOfCount("[\"COUNT\",\"q\",{\"kinds\":[1]}]"));
        assertEquals(-1, offsetOfCount("[\"COUNT\",\"q\",{\"#e\":[]}]"));
        assertEquals(-1, offsetOfCount("[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"]},{\"kinds\":[1]}]"));
        String other = "0".repeat(32) + (nipOffset(ID) == 8 ? "1" : "0") + "0".repeat(31);
        assertEquals(-1, offsetOfCount("[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"]},{\"#e\":[\"" + other + "\"]}]"));
        assertEquals(nipOffset(ID), offsetOfCount(
                "[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"],\"kinds\":[7]},{\"#e\":[\"" + ID + "\"],\"kinds\":[6]}]"));
    }

    /** The registers computed on the pubkey as a string of 256 bits, with nothing shared with {@link Hll}. */
    private static int[] referenceRegisters(List<String> pubkeys, int offset) {
        int[] registers = new int[256];
        for (String pk : pubkeys) {
            String bits = String.format("%256s", new BigInteger(pk, 16).toString(2)).replace(' ', '0');
            int register = Integer.parseInt(bits.substring(8 * offset, 8 * offset + 8), 2);
            String window = bits.substring(8 * offset + 8, 8 * offset + 64);
            int rho = window.indexOf('1') + 1;
            registers[register] = Math.max(registers[register], rho == 0 ? window.length() + 1 : rho);
        }
        return registers;
    }

    private static String hex(int[] registers) {
        StringBuilder sb = new StringBuilder();
        for (int r : registers) {
            sb.append(String.format("%02x", r));
        }
        return sb.toString();
    }

    private static Hll hll(List<String> pubkeys, int offset) {
        Hll hll = new Hll(offset);
        pubkeys.forEach(pk -> hll.add(Hex.decode(pk)));
        return hll;
    }

    @Test
    void registersAgreeWithTheBitStringReference() {
        Random random = new Random(45);
        List<String> pubkeys = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] pk = new byte[32];
            random.nextBytes(pk);
            // Some keys with long runs of zeros after the register byte, up to an all-zero window.
            if (i % 100 == 0) {
                java.util.Arrays.fill(pk, 9 + i % 16, Math.min(32, 9 + i % 16 + i / 100 % 8), (byte) 0);
            }
            pubkeys.add(Hex.encode(pk));
        }
        byte[] zeros = new byte[32];
        zeros[16] = 5;
        pubkeys.add(Hex.encode(zeros));
        for (int offset = 8; offset <= 23; offset++) {
            assertEquals(hex(referenceRegisters(pubkeys, offset)), hll(pubkeys, offset).toHex(), "offset " + offset);
        }
        assertEquals(57, Integer.parseInt(hll(List.of(Hex.encode(zeros)), 16).toHex().substring(10, 12), 16),
                "an all-zero window counts 56 zeros plus one");
    }

    @Test
    void registersOfShardsMergeIntoThoseOfTheWhole() {
        Random random = new Random(7);
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            byte[] pk = new byte[32];
            random.nextBytes(pk);
            (i % 3 == 0 ? a : b).add(Hex.encode(pk));
        }
        List<String> whole = new ArrayList<>(a);
        whole.addAll(b);
        Hll merged = hll(a, 19);
        byte[] other = Hex.decode(hll(b, 19).toHex());
        for (int r = 0; r < Hll.REGISTERS; r++) {
            merged.merge(r, other[r]);
        }
        assertEquals(hll(whole, 19).toHex(), merged.toHex());
        assertEquals(512, merged.toHex().length());
    }

    @Test
    void aCountBuiltInCodeHasTheOffsetOfItsJson() throws Exception {
        Filter f = Filter.fromJson(Json.parse("{\"#p\":[\"" + PUBKEY + "\"],\"kinds\":[3]}"), FilterLimits.DEFAULT);
        assertEquals(nipOffset(PUBKEY), new ClientMessage.Count("q", List.of(f)).hllOffset());
        assertEquals(-1, Hll.offsetOf(Map.of("kinds", List.of())));
    }
}
