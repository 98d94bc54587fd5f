package dev.strata.store;

/**
 * The answer to {@link EventStore#count}.
 *
 * @param hll the NIP-45 registers (512 hex characters), or null when none were asked for
 */
public record EventCount(long count, String hll) {
}
