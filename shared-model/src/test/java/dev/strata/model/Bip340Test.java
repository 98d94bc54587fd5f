package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Bip340Test {
    static final Bip340 NATIVE = NativeBip340.load();
    static final Bip340 BOUNCY = new BouncyCastleBip340();

    /** One row of the official BIP-340 vectors (bip340-test-vectors.csv, CRLF line ends). */
    record Vector(int index, String secretKey, String publicKey, String auxRand, String message, String signature,
                  boolean valid, String comment) {
        @Override
        public String toString() {
            return "vector " + index + (comment.isEmpty() ? "" : " (" + comment + ")");
        }
    }

    static List<Vector> vectors() throws IOException {
        List<Vector> out = new ArrayList<>();
        List<String> lines = SharedFiles.lines("bip340-test-vectors.csv");
        for (String line : lines.subList(1, lines.size())) {
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",", -1);
            out.add(new Vector(Integer.parseInt(f[0]), f[1], f[2], f[3], f[4], f[5], f[6].equals("TRUE"),
                    f.length > 7 ? f[7] : ""));
        }
        return out;
    }

    static Stream<Arguments> allVectors() throws IOException {
        return vectors().stream().map(Arguments::of);
    }

    static Stream<Arguments> vectorsWith32ByteMessages() throws IOException {
        return vectors().stream().filter(v -> v.message().length() == 64).map(Arguments::of);
    }

    @Test
    void theVectorFileHasAllNineteenRows() throws IOException {
        assertEquals(19, vectors().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allVectors")
    void bouncyCastlePassesEveryVector(Vector v) {
        assertEquals(v.valid(), BOUNCY.verify(Hex.decode(v.signature()), Hex.decode(v.message()),
                Hex.decode(v.publicKey())));
        signsLikeTheVector(BOUNCY, v);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectorsWith32ByteMessages")
    void nativePassesEveryVectorWith32ByteMessage(Vector v) {
        assertEquals(v.valid(), NATIVE.verify(Hex.decode(v.signature()), Hex.decode(v.message()),
                Hex.decode(v.publicKey())));
        signsLikeTheVector(NATIVE, v);
    }

    /** Rows with a secret key also fix the exact signature for their auxiliary randomness. */
    private static void signsLikeTheVector(Bip340 engine, Vector v) {
        if (v.secretKey().isEmpty()) {
            return;
        }
        byte[] sk = Hex.decode(v.secretKey());
        assertArrayEquals(Hex.decode(v.publicKey()), engine.publicKey(sk), "public key");
        if (v.message().length() == 64 || engine == BOUNCY) {
            assertArrayEquals(Hex.decode(v.signature()),
                    engine.sign(Hex.decode(v.message()), sk, Hex.decode(v.auxRand())), "signature");
        }
    }

    static Stream<Arguments> engines() {
        return Stream.of(Arguments.of(NATIVE), Arguments.of(BOUNCY));
    }

    @ParameterizedTest
    @MethodSource("engines")
    void malformedInputsAreInvalidNotErrors(Bip340 engine) {
        byte[] msg = new byte[32];
        byte[] goodKey = Hex.decode("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9");
        byte[] sig = new byte[64];
        byte[] offCurve = Hex.decode("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34");
        byte[] aboveFieldSize = Hex.decode("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30");
        assertFalse(engine.verify(sig, msg, offCurve));
        assertFalse(engine.verify(sig, msg, aboveFieldSize));
        assertFalse(engine.verify(new byte[63], msg, goodKey));
        assertFalse(engine.verify(new byte[65], msg, goodKey));
        assertFalse(engine.verify(sig, msg, new byte[31]));
        assertFalse(engine.verify(sig, msg, new byte[33]));
        assertFalse(engine.verify(sig, msg, new byte[32]));
        assertFalse(engine.verify(new byte[0], new byte[0], new byte[0]));
    }

    @Test
    void bestEngineIsTheNativeOneOnLinux() {
        assertEquals("libsecp256k1", Bip340.best().name());
    }
}
