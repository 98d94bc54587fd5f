package dev.strata.gateway;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One connection's NIP-42 state: the challenge it was sent and the pubkeys it has proven. NIP-42 lets several
 * pubkeys authenticate on one connection, each for as long as it lasts; their number, counting those whose
 * signature is still being checked, is bounded by {@code auth.max_pubkeys}.
 */
final class Authentication {
    /** Null until sent: most connections never need one. */
    private String challenge;
    /** Shared empty set until the first AUTH succeeds, so an unauthenticated connection allocates nothing. */
    private Set<String> pubkeys = Set.of();
    private List<String> readers = List.of();
    private int verifying;

    String challenge() {
        return challenge;
    }

    void challengeSent(String challenge) {
        this.challenge = challenge;
    }

    Set<String> pubkeys() {
        return pubkeys;
    }

    /** The authenticated pubkeys as the query tier takes them. */
    List<String> readers() {
        return readers;
    }

    /** True when {@code pubkey} is authenticated already or one more may be, at most {@code max} in all. */
    boolean hasRoomFor(String pubkey, int max) {
        return pubkeys.contains(pubkey) || pubkeys.size() + verifying < max;
    }

    void verifying() {
        verifying++;
    }

    /** The signature check is over; {@code pubkey} is authenticated when it succeeded, else null. */
    void verified(String pubkey) {
        verifying--;
        if (pubkey != null && !pubkeys.contains(pubkey)) {
            Set<String> more = new HashSet<>(pubkeys);
            more.add(pubkey);
            pubkeys = Set.copyOf(more);
            readers = List.copyOf(pubkeys);
        }
    }

    /** AUTH events whose signature is being checked: each still owes its OK. */
    int pendingVerifications() {
        return verifying;
    }
}
