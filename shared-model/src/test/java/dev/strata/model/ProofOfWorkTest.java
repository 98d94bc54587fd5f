package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

/** NIP-13 difficulty as the NIP counts it, and the refusals a relay with a minimum gives. */
class ProofOfWorkTest {
    private static final String PUBKEY = "a48380f4cfcc1ad5378294fcac36439770f9c878dd880ffa94bb74ea54a6f243";
    private static final String SIG = "0".repeat(128);

    @Test
    void difficultyIsTheNumberOfLeadingZeroBits() {
        // The NIP's own examples.
        assertEquals(36, ProofOfWork.difficulty("000000000e9d97a1ab09fc381030b346cdd7a142ad57e6df0b46dc9bef6c7e2d"));
        assertEquals(21, ProofOfWork.difficulty("000006d8c378af1779d2feebc7603a125d99eca0ccf1085959b307f64e5dd358"));
        assertEquals(0, ProofOfWork.difficulty("f" + "0".repeat(63)));
        assertEquals(0, ProofOfWork.difficulty("8" + "0".repeat(63)));
        assertEquals(1, ProofOfWork.difficulty("7" + "f".repeat(63)));
        assertEquals(1, ProofOfWork.difficulty("4" + "f".repeat(63)));
        assertEquals(2, ProofOfWork.difficulty("3" + "f".repeat(63)));
        assertEquals(3, ProofOfWork.difficulty("1" + "f".repeat(63)));
        assertEquals(4, ProofOfWork.difficulty("0f" + "f".repeat(62)));
        assertEquals(256, ProofOfWork.difficulty("0".repeat(64)));
    }

    private static Event withId(String id, List<List<String>> tags) {
        return new Event(id, PUBKEY, 1_651_794_653L, 1, tags, "", SIG);
    }

    @Test
    void anIdBelowTheMinimumIsRefusedWithItsDifficulty() {
        Event e = withId("000006d8c378af1779d2feebc7603a125d99eca0ccf1085959b307f64e5dd358",
                List.of(List.of("nonce", "776797", "20")));
        assertEquals("pow: difficulty 21 is less than 22", ProofOfWork.refusal(e, 22));
        // 21 bits reach 21, but the miner aimed at 20.
        assertEquals("pow: committed target difficulty 20 is less than 21", ProofOfWork.refusal(e, 21));
        assertNull(ProofOfWork.refusal(e, 20));
        assertNull(ProofOfWork.refusal(e, 0));
    }

    @Test
    void aCommittedTargetBelowTheMinimumIsRefusedEvenWhenTheIdReachesIt() {
        String id = "000000000e9d97a1ab09fc381030b346cdd7a142ad57e6df0b46dc9bef6c7e2d"; // 36 bits
        assertEquals("pow: committed target difficulty 20 is less than 30",
                ProofOfWork.refusal(withId(id, List.of(List.of("nonce", "1", "20"))), 30));
        assertEquals("pow: the nonce tag's target difficulty \"lots\" is not a number",
                ProofOfWork.refusal(withId(id, List.of(List.of("nonce", "1", "lots"))), 30));
        assertNull(ProofOfWork.refusal(withId(id, List.of(List.of("nonce", "1", "30"))), 30));
        // A nonce tag without a target commits to nothing, which NIP-13 allows.
        assertNull(ProofOfWork.refusal(withId(id, List.of(List.of("nonce", "1"))), 30));
        assertNull(ProofOfWork.refusal(withId(id, List.of()), 30));
    }
}
