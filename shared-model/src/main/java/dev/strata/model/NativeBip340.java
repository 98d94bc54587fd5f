package dev.strata.model;

import fr.acinq.secp256k1.Secp256k1;

/** BIP-340 through libsecp256k1 (JNI, via secp256k1-kmp). */
public final class NativeBip340 implements Bip340 {
    private final Secp256k1 secp;

    private NativeBip340(Secp256k1 secp) {
        this.secp = secp;
    }

    /** Loads the native library; throws (an Error, typically) when this platform has none. */
    public static NativeBip340 load() {
        NativeBip340 engine = new NativeBip340(Secp256k1.get());
        // Secp256k1.get() can succeed lazily; one real call proves the library is linked.
        engine.publicKey(ONE);
        return engine;
    }

    private static final byte[] ONE = new byte[32];

    static {
        ONE[31] = 1;
    }

    @Override
    public boolean verify(byte[] sig, byte[] message, byte[] publicKey) {
        if (sig.length != 64 || publicKey.length != 32) {
            return false;
        }
        try {
            return secp.verifySchnorr(sig, message, publicKey);
        } catch (RuntimeException e) { // the wrapper throws on keys it cannot parse
            return false;
        }
    }

    @Override
    public byte[] sign(byte[] message, byte[] secretKey, byte[] auxRand) {
        return secp.signSchnorr(message, secretKey, auxRand);
    }

    @Override
    public byte[] publicKey(byte[] secretKey) {
        byte[] compressed = secp.pubKeyCompress(secp.pubkeyCreate(secretKey));
        byte[] xOnly = new byte[32];
        System.arraycopy(compressed, 1, xOnly, 0, 32);
        return xOnly;
    }

    @Override
    public String name() {
        return "libsecp256k1";
    }
}
