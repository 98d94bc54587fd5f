package dev.strata.model;

/**
 * BIP-340 Schnorr signatures over secp256k1. Two engines implement it: {@link NativeBip340} (libsecp256k1 through
 * JNI, the fast path) and {@link BouncyCastleBip340} (pure Java, the portable fallback).
 *
 * <p>{@link #verify} never throws: a malformed or off-curve key or signature is simply not valid.
 */
public interface Bip340 {
    /** True when {@code sig} (64 bytes) is a valid signature of {@code message} by the x-only {@code publicKey}. */
    boolean verify(byte[] sig, byte[] message, byte[] publicKey);

    /** Signs a 32-byte message with a 32-byte secret key and 32 bytes of auxiliary randomness. */
    byte[] sign(byte[] message, byte[] secretKey, byte[] auxRand);

    /** The 32-byte x-only public key of a secret key. */
    byte[] publicKey(byte[] secretKey);

    /** A short name for logs and metrics. */
    String name();

    /** The native engine when its library loads on this platform, else BouncyCastle, saying so once in the log. */
    static Bip340 best() {
        return Engines.BEST;
    }

    /** Holds the chosen engine so the choice, and its log line, happen once per JVM. */
    final class Engines {
        static final Bip340 BEST = choose();

        private Engines() {
        }

        private static Bip340 choose() {
            try {
                return NativeBip340.load();
            } catch (Throwable e) { // UnsatisfiedLinkError, missing class, unsupported platform...
                System.getLogger(Bip340.class.getName()).log(System.Logger.Level.WARNING,
                        "libsecp256k1 could not be loaded (" + e + "); verifying signatures with BouncyCastle, "
                                + "about 4x slower");
                return new BouncyCastleBip340();
            }
        }
    }
}
