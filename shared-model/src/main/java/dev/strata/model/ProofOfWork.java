package dev.strata.model;

import java.util.List;

/** NIP-13 proof of work: an event's difficulty is the number of leading zero bits of its id. */
public final class ProofOfWork {
    private ProofOfWork() {
    }

    /** Leading zero bits of a hex id: each {@code 0} digit is 4 bits, then the first other digit adds 0 to 3. */
    public static int difficulty(String idHex) {
        int bits = 0;
        for (int i = 0; i < idHex.length(); i++) {
            int nibble = Character.digit(idHex.charAt(i), 16);
            if (nibble != 0) {
                return bits + Integer.numberOfLeadingZeros(nibble) - 28;
            }
            bits += 4;
        }
        return bits;
    }

    /**
     * Why the event falls short of {@code minimum} ("pow: ..."), or null when it reaches it. NIP-13: besides the id's
     * own difficulty, a nonce tag's committed target (its third element) below the minimum is refused even when the
     * id happens to reach it, since a spammer mining for less got lucky; a target that is not a number commits to
     * nothing we could trust and is refused too. A nonce tag without a target is accepted.
     */
    public static String refusal(Event e, int minimum) {
        int difficulty = difficulty(e.id());
        if (difficulty < minimum) {
            return "pow: difficulty " + difficulty + " is less than " + minimum;
        }
        for (List<String> tag : e.tags()) {
            if (tag.size() > 2 && tag.get(0).equals("nonce")) {
                String target = tag.get(2);
                if (!target.matches("[0-9]{1,9}")) {
                    return "pow: the nonce tag's target difficulty \"" + Json.abbreviate(target, 16)
                            + "\" is not a number";
                }
                if (Integer.parseInt(target) < minimum) {
                    return "pow: committed target difficulty " + Integer.parseInt(target) + " is less than "
                            + minimum;
                }
            }
        }
        return null;
    }
}
