package dev.strata.model;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The HyperLogLog registers of a NIP-45 {@code COUNT} answer: 256 one-byte registers fed with the pubkeys of the
 * counted events, at an offset every relay derives the same way from the filter, so a client may merge the answers
 * of several relays (or a relay those of several shards) by taking the larger value of each register.
 *
 * <p>NIP-45: the offset comes from the first tag attribute of the filter ({@code #x}, in the order the client wrote
 * them) and its first value, made a 64-character hex string (an id or pubkey as it is, an address
 * {@code kind:pubkey:d} by its pubkey, anything else by its SHA-256); the hex digit at index 32, plus 8. For each
 * event, the pubkey byte at the offset picks the register, and the register keeps the largest count of leading zero
 * bits (plus one) of the 7 bytes that follow: the same 56-bit window as the reference implementations
 * (nbd-wtf/go-nostr), so registers of any two relays agree.
 */
public final class Hll {
    public static final int REGISTERS = 256;
    /** Bytes after the register byte whose leading zeros are counted. */
    private static final int WINDOW_BYTES = 7;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern ADDRESS = Pattern.compile("[0-9]+:([0-9a-fA-F]{64}):.*", Pattern.DOTALL);

    private final int offset;
    private final byte[] registers = new byte[REGISTERS];

    /** @param offset from {@link #offsetOf(Map)}, 8 to 23 */
    public Hll(int offset) {
        if (offset < 8 || offset > 23) {
            throw new IllegalArgumentException("a NIP-45 offset is 8 to 23, not " + offset);
        }
        this.offset = offset;
    }

    /**
     * The offset of one filter as the client sent it (a JSON object, keys in document order), or -1 when it has no
     * tag attribute with a value: NIP-45 leaves such filters without an {@code hll}.
     */
    public static int offsetOf(Map<?, ?> filterJson) {
        for (Map.Entry<?, ?> field : filterJson.entrySet()) {
            if (field.getKey() instanceof String key && key.length() == 2 && key.charAt(0) == '#') {
                if (field.getValue() instanceof List<?> values && !values.isEmpty()
                        && values.get(0) instanceof String first) {
                    return offsetOfValue(first);
                }
                return -1;
            }
        }
        return -1;
    }

    /** The offset of a COUNT: that of its filters when they all have the same one, else -1 (no {@code hll}). */
    public static int offsetOf(List<? extends Map<?, ?>> filtersJson) {
        int offset = -1;
        for (Map<?, ?> filter : filtersJson) {
            int o = offsetOf(filter);
            if (o < 0 || (offset >= 0 && o != offset)) {
                return -1;
            }
            offset = o;
        }
        return offset;
    }

    static int offsetOfValue(String value) {
        String hex;
        var address = ADDRESS.matcher(value);
        if (HEX64.matcher(value).matches()) {
            hex = value;
        } else if (address.matches()) {
            hex = address.group(1);
        } else {
            hex = Hex.encode(Sha256.hash(value.getBytes(StandardCharsets.UTF_8)));
        }
        return Character.digit(hex.charAt(32), 16) + 8;
    }

    public int offset() {
        return offset;
    }

    /** Adds one counted event by its 32-byte pubkey. */
    public void add(byte[] pubkey) {
        int register = pubkey[offset] & 0xff;
        long window = 0;
        for (int i = 1; i <= WINDOW_BYTES; i++) {
            window = (window << 8) | (pubkey[offset + i] & 0xff);
        }
        int rho = window == 0 ? 8 * WINDOW_BYTES + 1 : Long.numberOfLeadingZeros(window) - 8 + 1;
        if (rho > registers[register]) {
            registers[register] = (byte) rho;
        }
    }

    /** Sets a register to at least {@code value} (registers computed elsewhere, e.g. by a database). */
    public void merge(int register, int value) {
        if (value > registers[register]) {
            registers[register] = (byte) value;
        }
    }

    /** The 256 registers as 512 lowercase hex characters. */
    public String toHex() {
        return Hex.encode(registers);
    }
}
