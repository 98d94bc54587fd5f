package dev.strata.model;

/**
 * The address of a replaceable or addressable event as an {@code a} tag writes it (NIP-01):
 * {@code <kind>:<pubkey>:<d tag>}, the d part empty for a replaceable kind.
 *
 * @param d everything after the second colon (a d tag may itself contain colons); empty when absent
 */
public record Address(int kind, String pubkey, String d) {

    /**
     * The address, or null when {@code text} is not one: a decimal kind of a replaceable or addressable class, a
     * 64-character lowercase hex pubkey, then optionally a colon and the d tag.
     */
    public static Address parse(String text) {
        int first = text.indexOf(':');
        if (first < 1 || first > 5) {
            return null;
        }
        int kind = 0;
        for (int i = 0; i < first; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            kind = kind * 10 + (c - '0');
        }
        KindClass kindClass = KindClass.of(kind);
        if (kind > KindClass.MAX_KIND || (kindClass != KindClass.REPLACEABLE && kindClass != KindClass.ADDRESSABLE)) {
            return null;
        }
        int pubkeyEnd = first + 1 + 64;
        if (text.length() < pubkeyEnd || !Hex.isLowerHex(text.substring(first + 1, pubkeyEnd), 64)) {
            return null;
        }
        String pubkey = text.substring(first + 1, pubkeyEnd);
        if (text.length() == pubkeyEnd) {
            return new Address(kind, pubkey, "");
        }
        if (text.charAt(pubkeyEnd) != ':') {
            return null;
        }
        // A replaceable event has one version per (pubkey, kind) whatever d it names.
        String d = kindClass == KindClass.ADDRESSABLE ? text.substring(pubkeyEnd + 1) : "";
        return new Address(kind, pubkey, d);
    }
}
