package dev.strata.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 with one digest per thread, so hashing on a hot path allocates no digest. */
public final class Sha256 {
    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    });

    private Sha256() {
    }

    public static byte[] hash(byte[] data) {
        MessageDigest md = DIGEST.get();
        md.reset();
        return md.digest(data);
    }
}
