package dev.strata.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Filter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import org.junit.jupiter.api.Test;

/** What one node encodes, another decodes to an equal message (the clustered bus depends on it). */
class CodecsTest {
    private static final byte[] KEY = new byte[32];

    static {
        KEY[31] = 7;
    }

    private static final Event EVENT = Event.sign(KEY, 1_700_000_000L, 1,
            List.of(List.of("t", "nostr"), List.of("p", "ab".repeat(32))), "hello \"world\"\n🎉", Bip340.best());
    private static final Filter FILTER = new Filter(null, Set.of(EVENT.pubkey()), Set.of(1, 7),
            Map.of('t', Set.of("nostr")), 10L, 2_000_000_000L, 50);

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T message) {
        MessageCodec<T, T> codec = (MessageCodec<T, T>) Codecs.BY_TYPE.get(message.getClass());
        Buffer wire = Buffer.buffer().appendString("cluster header");
        int start = wire.length();
        codec.encodeToWire(wire, message);
        return codec.decodeFromWire(start, wire);
    }

    @Test
    void anUnknownProtocolVersionIsRefused() {
        Buffer wire = Buffer.buffer().appendByte((byte) (Codecs.PROTOCOL_VERSION + 1)).appendInt(0);
        assertThrows(IllegalStateException.class,
                () -> Codecs.BY_TYPE.get(StoreStatus.class).decodeFromWire(0, wire));
    }

    @Test
    void everyMessageSurvivesTheWire() {
        List<Object> messages = List.of(
                new IngestRequest(EVENT),
                new IngestReply(false, "invalid: bad signature"),
                new AcceptedEvent(EVENT, EVENT.toJson()),
                new SubscriptionChange.Open("gw1", 42, 9, List.of(FILTER, Filter.ALL)),
                new SubscriptionChange.Close("gw1", 42, 9),
                new SubscriptionChange.ConnectionGone("gw1", 42),
                new Delivery(EVENT.id(), EVENT.toJson(), new long[] {1, 2}),
                new QueryRequest("gw1", 7, List.of(FILTER), List.of()),
                new QueryRequest("gw1", 8, List.of(Filter.ALL), List.of(EVENT.pubkey(), "ab".repeat(32))),
                new QueryChunk(7, List.of(EVENT.id()), List.of(EVENT.toJson().getBytes(StandardCharsets.UTF_8)), true,
                        "blocked: query too broad"),
                new QueryChunk(7, List.of(), List.of(), false, null),
                new QueryRequest("gw1", 8, List.of(new Filter(null, null, Set.of(1), null, null, null, 20,
                        "best nostr apps include:spam")), List.of()),
                new CountRequest(List.of(FILTER, Filter.ALL), 17, List.of(EVENT.pubkey())),
                new CountRequest(List.of(FILTER), -1, List.of()),
                new CountReply(42, "0a".repeat(256), null),
                CountReply.refused("blocked: too broad"),
                new StoreStatus("lmdb", 12345));
        for (Object m : messages) {
            assertEquals(m, roundTrip(m));
        }
    }
}
