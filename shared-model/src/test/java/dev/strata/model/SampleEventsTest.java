package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Eight real events signed by other Nostr implementations (see nostr-events-sample.md): if we reject one of them,
 * we reject real users' events. And any one-character change to a signed event must be caught.
 */
class SampleEventsTest {
    static final Bip340 NATIVE = Bip340Test.NATIVE;
    static final Bip340 BOUNCY = Bip340Test.BOUNCY;

    static Stream<Arguments> samples() throws IOException {
        List<String> lines = SharedFiles.lines("nostr-events-sample.jsonl");
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            out.add(Arguments.of(i + 1, lines.get(i)));
        }
        return out.stream();
    }

    static Stream<Arguments> samplesOnEachEngine() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (Arguments a : samples().toList()) {
            out.add(Arguments.of(a.get()[0], a.get()[1], NATIVE));
            out.add(Arguments.of(a.get()[0], a.get()[1], BOUNCY));
        }
        return out.stream();
    }

    /** The relay's full check: the id first (the signature covers only the id), then the signature. */
    private static boolean accepted(Event e, Bip340 engine) {
        return e.hasValidId() && e.hasValidSignature(engine);
    }

    /** Changes the hex digit at {@code i} to another lowercase hex digit. */
    static String flipHex(String hex, int i) {
        int d = Character.digit(hex.charAt(i), 16);
        char other = Character.forDigit((d + 1) % 16, 16);
        return hex.substring(0, i) + other + hex.substring(i + 1);
    }

    private static Event with(Event e, String id, String pubkey, String content, String sig) {
        return new Event(id, pubkey, e.createdAt(), e.kind(), e.tags(), content, sig);
    }

    @ParameterizedTest(name = "line {0}")
    @MethodSource("samples")
    void everySampleParsesWithAValidIdAndSignatureOnBothEngines(int line, String json) throws Exception {
        Event e = Event.parse(json);
        assertTrue(e.hasValidId(), "id of line " + line);
        assertTrue(e.hasValidSignature(NATIVE), "native signature check of line " + line);
        assertTrue(e.hasValidSignature(BOUNCY), "BouncyCastle signature check of line " + line);
        ClientMessage m = ClientMessage.parse("[\"EVENT\"," + json + "]", FilterLimits.DEFAULT);
        assertEquals(new ClientMessage.Publish(e), m);
    }

    @ParameterizedTest(name = "line {0} on {2}")
    @MethodSource("samplesOnEachEngine")
    void changingOneHexDigitOfTheIdFailsBothChecks(int line, String json, Bip340 engine) throws Exception {
        Event e = Event.parse(json);
        for (int i = 0; i < 64; i++) {
            Event t = with(e, flipHex(e.id(), i), e.pubkey(), e.content(), e.sig());
            assertFalse(t.hasValidId(), "id digit " + i);
            assertFalse(t.hasValidSignature(engine), "signature over id with digit " + i + " changed");
        }
    }

    @ParameterizedTest(name = "line {0} on {2}")
    @MethodSource("samplesOnEachEngine")
    void changingOneHexDigitOfThePubkeyFailsBothChecks(int line, String json, Bip340 engine) throws Exception {
        Event e = Event.parse(json);
        for (int i = 0; i < 64; i++) {
            Event t = with(e, e.id(), flipHex(e.pubkey(), i), e.content(), e.sig());
            assertFalse(t.hasValidId(), "pubkey digit " + i);
            assertFalse(t.hasValidSignature(engine), "signature with pubkey digit " + i + " changed");
        }
    }

    @ParameterizedTest(name = "line {0} on {2}")
    @MethodSource("samplesOnEachEngine")
    void changingOneHexDigitOfTheSignatureFailsTheSignatureCheck(int line, String json, Bip340 engine)
            throws Exception {
        Event e = Event.parse(json);
        for (int i = 0; i < 128; i++) {
            Event t = with(e, e.id(), e.pubkey(), e.content(), flipHex(e.sig(), i));
            assertTrue(t.hasValidId(), "the id does not cover the signature");
            assertFalse(t.hasValidSignature(engine), "sig digit " + i);
        }
    }

    @ParameterizedTest(name = "line {0} on {2}")
    @MethodSource("samplesOnEachEngine")
    void changingOneCharacterOfTheContentFailsTheIdCheck(int line, String json, Bip340 engine) throws Exception {
        Event e = Event.parse(json);
        String c = e.content();
        List<String> variants = new ArrayList<>();
        variants.add(c + "a"); // one more character (two samples have empty content)
        for (int i = 0; i < c.length(); i++) {
            char other = c.charAt(i) == 'x' ? 'y' : 'x';
            variants.add(c.substring(0, i) + other + c.substring(i + 1));
        }
        for (String v : variants) {
            Event t = with(e, e.id(), e.pubkey(), v, e.sig());
            assertNotEquals(c, v);
            assertFalse(t.hasValidId(), () -> "content " + Json.quote(v));
            assertFalse(accepted(t, engine));
        }
    }

    @ParameterizedTest(name = "line {0}")
    @MethodSource("samples")
    void changingATagValueFailsTheIdCheck(int line, String json) throws Exception {
        Event e = Event.parse(json);
        for (int i = 0; i < e.tags().size(); i++) {
            List<List<String>> tags = new ArrayList<>(e.tags());
            List<String> tag = new ArrayList<>(tags.get(i));
            tag.set(tag.size() - 1, tag.get(tag.size() - 1) + "x");
            tags.set(i, tag);
            Event t = new Event(e.id(), e.pubkey(), e.createdAt(), e.kind(), tags, e.content(), e.sig());
            assertFalse(t.hasValidId(), "tag " + i);
        }
        Event later = new Event(e.id(), e.pubkey(), e.createdAt() + 1, e.kind(), e.tags(), e.content(), e.sig());
        assertFalse(later.hasValidId(), "created_at + 1");
        Event otherKind = new Event(e.id(), e.pubkey(), e.createdAt(), e.kind() ^ 1, e.tags(), e.content(),
                e.sig());
        assertFalse(otherKind.hasValidId(), "kind changed");
    }

    @Test
    void bothEnginesSignTheSameEventAndEachVerifiesTheOther() throws Exception {
        byte[] secretKey = Hex.decode("b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef");
        List<List<String>> tags = List.of(List.of("t", "nostr"), List.of("p", "a".repeat(64)));
        Event a = Event.sign(secretKey, 1700000000, 1, tags, "hello 🎉\n", NATIVE);
        Event b = Event.sign(secretKey, 1700000000, 1, tags, "hello 🎉\n", BOUNCY);
        assertEquals(a, b, "zero auxiliary randomness makes signing deterministic");
        assertTrue(a.hasValidId());
        assertTrue(a.hasValidSignature(NATIVE));
        assertTrue(a.hasValidSignature(BOUNCY));
        assertEquals("dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659", a.pubkey(),
                "BIP-340 vector 1's public key");
        Event parsed = Event.parse(a.toJson());
        assertEquals(a, parsed);
        assertInstanceOf(ClientMessage.Publish.class, ClientMessage.parse("[\"EVENT\"," + a.toJson() + "]",
                FilterLimits.DEFAULT));
    }
}
