package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.strata.model.Event;
import dev.strata.model.FilterLimits;
import dev.strata.model.MalformedCases;
import dev.strata.model.MalformedCases.Case;
import dev.strata.model.MalformedCases.InvalidUtf8;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared-model's malformed-input table, every row sent over a real WebSocket to the real relay: the reply has
 * the row's type, target and prefix, and the same connection then publishes an event as if nothing had happened.
 */
class MalformedOverWireTest extends OverTheWire {
    private static final AtomicInteger SERIAL = new AtomicInteger();

    @BeforeAll
    static void startRelay() throws Exception {
        start(TestRelay.Engine.LMDB, Map.of());
    }

    /** A fresh event each time, so every publish is a new one the relay must store. */
    static Event fresh() {
        return event(50, now(), 1, List.of(List.of("t", "after-malformed")), "still here " + SERIAL.incrementAndGet());
    }

    @Test
    void theRelayRunsWithTheLimitsTheTableAssumes() {
        FilterLimits d = FilterLimits.DEFAULT;
        assertEquals(d.maxFilters(), relay.config.getInteger("limits.max_filters"));
        assertEquals(d.maxValuesPerField(), relay.config.getInteger("limits.max_filter_values"));
        assertEquals(d.maxSubIdLength(), relay.config.getInteger("limits.max_subid_length"));
    }

    static Stream<Case> cases() {
        return MalformedCases.CASES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachMalformedMessageGetsItsReplyAndTheConnectionGoesOn(Case c) throws Exception {
        try (RelayClient client = RelayClient.connect(clients, relay.port())) {
            client.send(c.input());
            MalformedCases.checkReply(c, client.next());
            // publishAccepted takes the next message as this event's OK: a second reply to the bad input fails it.
            client.publishAccepted(fresh());
            assertTrue(client.nothingQueued());
        }
    }

    static Stream<InvalidUtf8> invalidUtf8() {
        return MalformedCases.INVALID_UTF8.stream();
    }

    /** Text frames that are not UTF-8, written byte by byte (no WebSocket library will send one). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void invalidUtf8InATextFrameIsRefusedAsAWhole(InvalidUtf8 bad) throws Exception {
        try (RelayClient.Raw raw = RelayClient.Raw.open(relay.port())) {
            for (byte[] message : bad.messages()) {
                raw.write(RelayClient.Raw.frame(RelayClient.Raw.TEXT, message));
                MalformedCases.checkReply(bad.expected(), raw.nextMessage());
                Event e = fresh();
                raw.sendText("[\"EVENT\"," + e.toJson() + "]");
                assertEquals(new RelayMessage.Ok(e.id(), true, ""), raw.nextMessage());
            }
        }
    }

    @Test
    void aBinaryFrameIsRefusedAndTheConnectionGoesOn() throws Exception {
        try (RelayClient.Raw raw = RelayClient.Raw.open(relay.port())) {
            Event e = fresh();
            raw.write(RelayClient.Raw.frame(RelayClient.Raw.BINARY, "[\"EVENT\"," + e.toJson() + "]"));
            RelayMessage.Notice notice = assertInstanceOf(RelayMessage.Notice.class, raw.nextMessage());
            assertTrue(notice.message().startsWith("invalid: "), notice.message());
            raw.sendText("[\"EVENT\"," + e.toJson() + "]");
            assertEquals(new RelayMessage.Ok(e.id(), true, ""), raw.nextMessage());
        }
    }
}
