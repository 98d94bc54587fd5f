package dev.strata.model;

import java.math.BigInteger;
import java.security.SecureRandom;

import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.BIP340Signer;
import org.bouncycastle.math.ec.ECPoint;

/** BIP-340 with BouncyCastle's own {@link BIP340Signer}: pure Java, works wherever the JVM does. */
public final class BouncyCastleBip340 implements Bip340 {

    @Override
    public boolean verify(byte[] sig, byte[] message, byte[] publicKey) {
        if (sig.length != 64 || publicKey.length != 32) {
            return false;
        }
        try {
            ECPublicKeyParameters key = BIP340Signer.decodePublicKey(publicKey);
            BIP340Signer signer = new BIP340Signer();
            signer.init(false, key);
            signer.update(message, 0, message.length);
            return signer.verifySignature(sig);
        } catch (RuntimeException e) { // off-curve or out-of-range keys are rejected by throwing
            return false;
        }
    }

    @Override
    public byte[] sign(byte[] message, byte[] secretKey, byte[] auxRand) {
        ECPrivateKeyParameters key = new ECPrivateKeyParameters(new BigInteger(1, secretKey), BIP340Signer.getDomain());
        BIP340Signer signer = new BIP340Signer();
        signer.init(true, new ParametersWithRandom(key, new FixedRandom(auxRand)));
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    @Override
    public byte[] publicKey(byte[] secretKey) {
        ECPoint p = BIP340Signer.getDomain().getG().multiply(new BigInteger(1, secretKey)).normalize();
        return p.getAffineXCoord().getEncoded();
    }

    @Override
    public String name() {
        return "bouncycastle";
    }

    /** Feeds the caller's auxiliary randomness to the signer, which draws it from a SecureRandom. */
    private static final class FixedRandom extends SecureRandom {
        private final byte[] bytes;

        FixedRandom(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            if (out.length != bytes.length) {
                throw new IllegalStateException("BIP-340 auxiliary randomness is 32 bytes, asked for " + out.length);
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }
}
