package dev.strata.bus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.FilterLimits;
import dev.strata.model.InvalidEventException;
import dev.strata.model.InvalidFilterException;
import dev.strata.model.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Codecs for every bus message. On the local bus a message is passed by reference (the records are immutable), so
 * one JVM copies nothing; across a cluster each message is a version byte and compact fields, with events carried
 * as their JSON text so they are never re-encoded field by field.
 */
public final class Codecs {
    /**
     * Bumped on any change to a wire layout; a node refuses messages of a version it does not know. 3: filters may
     * carry {@code search} (NIP-50), and COUNT travels ({@link CountRequest}, {@link CountReply}).
     */
    public static final byte PROTOCOL_VERSION = 3;

    /** Filters were validated by the gateway against the configured limits; decoding only restores them. */
    private static final FilterLimits DECODE_LIMITS = new FilterLimits(Integer.MAX_VALUE, Integer.MAX_VALUE,
            Integer.MAX_VALUE, Integer.MAX_VALUE);

    private Codecs() {
    }

    /** Registers every codec on this Vert.x instance's bus; safe to call from each verticle. */
    public static void register(Vertx vertx) {
        EventBus bus = vertx.eventBus();
        synchronized (bus) {
            for (Map.Entry<Class<?>, MessageCodec<?, ?>> entry : BY_TYPE.entrySet()) {
                try {
                    registerDefault(bus, entry.getKey(), entry.getValue());
                } catch (IllegalStateException alreadyRegistered) {
                    return; // another verticle of this JVM registered them all
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void registerDefault(EventBus bus, Class<?> type, MessageCodec<?, ?> codec) {
        bus.registerDefaultCodec((Class<T>) type, (MessageCodec<T, ?>) codec);
    }

    /** The codec for each message type, in registration order. */
    static final Map<Class<?>, MessageCodec<?, ?>> BY_TYPE = codecs();

    private static Map<Class<?>, MessageCodec<?, ?>> codecs() {
        Map<Class<?>, MessageCodec<?, ?>> m = new LinkedHashMap<>();
        m.put(IngestRequest.class, codec("strata.IngestRequest",
                (Writer w, IngestRequest r) -> w.event(r.event()), r -> new IngestRequest(r.event())));
        m.put(IngestReply.class, codec("strata.IngestReply",
                (Writer w, IngestReply r) -> w.bool(r.accepted()).string(r.message()),
                r -> new IngestReply(r.bool(), r.string())));
        m.put(AcceptedEvent.class, codec("strata.AcceptedEvent", (Writer w, AcceptedEvent a) -> w.string(a.json()),
                r -> {
                    String json = r.string();
                    return new AcceptedEvent(r.parseEvent(json), json);
                }));
        // Each sealed subtype needs its own default-codec entry; they share one wire form.
        for (Class<?> type : List.of(SubscriptionChange.Open.class, SubscriptionChange.Close.class,
                SubscriptionChange.ConnectionGone.class)) {
            m.put(type, codec("strata." + type.getSimpleName(), Codecs::writeChange, Codecs::readChange));
        }
        m.put(Delivery.class, codec("strata.Delivery", (Writer w, Delivery d) -> {
            w.string(d.eventId()).string(d.eventJson()).integer(d.serials().length);
            for (long serial : d.serials()) {
                w.longValue(serial);
            }
        }, r -> {
            String id = r.string();
            String json = r.string();
            long[] serials = new long[r.integer()];
            for (int i = 0; i < serials.length; i++) {
                serials[i] = r.longValue();
            }
            return new Delivery(id, json, serials);
        }));
        m.put(QueryRequest.class, codec("strata.QueryRequest",
                (Writer w, QueryRequest q) -> w.string(q.gatewayId()).longValue(q.serial()).filters(q.filters())
                        .strings(q.readers()),
                r -> new QueryRequest(r.string(), r.longValue(), r.filters(), r.strings())));
        m.put(QueryChunk.class, codec("strata.QueryChunk",
                (Writer w, QueryChunk c) -> w.longValue(c.serial()).strings(c.ids()).byteArrays(c.eventJsons())
                        .bool(c.last()).nullableString(c.closedReason()),
                r -> new QueryChunk(r.longValue(), r.strings(), r.byteArrays(), r.bool(),
                        r.nullableString())));
        m.put(CountRequest.class, codec("strata.CountRequest",
                (Writer w, CountRequest c) -> w.filters(c.filters()).integer(c.hllOffset()).strings(c.readers()),
                r -> new CountRequest(r.filters(), r.integer(), r.strings())));
        m.put(CountReply.class, codec("strata.CountReply",
                (Writer w, CountReply c) -> w.longValue(c.count()).nullableString(c.hll())
                        .nullableString(c.closedReason()),
                r -> new CountReply(r.longValue(), r.nullableString(), r.nullableString())));
        m.put(StoreStatus.class, codec("strata.StoreStatus",
                (Writer w, StoreStatus s) -> w.string(s.engine()).longValue(s.diskSizeBytes()),
                r -> new StoreStatus(r.string(), r.longValue())));
        return Collections.unmodifiableMap(m);
    }

    private static void writeChange(Writer w, SubscriptionChange change) {
        if (change instanceof SubscriptionChange.Open o) {
            w.bool(true).string(o.gatewayId()).longValue(o.connectionId()).longValue(o.serial())
                    .filters(o.filters());
        } else if (change instanceof SubscriptionChange.Close c) {
            w.bool(false).bool(true).string(c.gatewayId()).longValue(c.connectionId()).longValue(c.serial());
        } else if (change instanceof SubscriptionChange.ConnectionGone g) {
            w.bool(false).bool(false).string(g.gatewayId()).longValue(g.connectionId());
        }
    }

    private static SubscriptionChange readChange(Reader r) {
        if (r.bool()) {
            return new SubscriptionChange.Open(r.string(), r.longValue(), r.longValue(), r.filters());
        }
        if (r.bool()) {
            return new SubscriptionChange.Close(r.string(), r.longValue(), r.longValue());
        }
        return new SubscriptionChange.ConnectionGone(r.string(), r.longValue());
    }

    static <T> MessageCodec<T, T> codec(String name, BiConsumer<Writer, T> encode, Function<Reader, T> decode) {
        return new MessageCodec<>() {
            @Override
            public void encodeToWire(Buffer buffer, T message) {
                buffer.appendByte(PROTOCOL_VERSION);
                encode.accept(new Writer(buffer), message);
            }

            @Override
            public T decodeFromWire(int pos, Buffer buffer) {
                byte version = buffer.getByte(pos);
                if (version != PROTOCOL_VERSION) {
                    throw new IllegalStateException(name + ": unknown protocol version " + version);
                }
                return decode.apply(new Reader(buffer, pos + 1));
            }

            @Override
            public T transform(T message) {
                return message; // immutable records: the local bus shares them
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public byte systemCodecID() {
                return -1;
            }
        };
    }

    /** Appends fields to a buffer. */
    static final class Writer {
        final Buffer buffer;

        Writer(Buffer buffer) {
            this.buffer = buffer;
        }

        Writer bool(boolean b) {
            buffer.appendByte((byte) (b ? 1 : 0));
            return this;
        }

        Writer integer(int i) {
            buffer.appendInt(i);
            return this;
        }

        Writer longValue(long l) {
            buffer.appendLong(l);
            return this;
        }

        Writer string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            buffer.appendInt(bytes.length).appendBytes(bytes);
            return this;
        }

        Writer nullableString(String s) {
            bool(s != null);
            return s == null ? this : string(s);
        }

        Writer strings(List<String> list) {
            integer(list.size());
            for (String s : list) {
                string(s);
            }
            return this;
        }

        /** The same wire form as {@link #strings} when the arrays are UTF-8 text. */
        Writer byteArrays(List<byte[]> list) {
            integer(list.size());
            for (byte[] b : list) {
                buffer.appendInt(b.length).appendBytes(b);
            }
            return this;
        }

        Writer event(Event e) {
            return string(e.toJson());
        }

        Writer filters(List<Filter> filters) {
            integer(filters.size());
            for (Filter f : filters) {
                string(f.toJson());
            }
            return this;
        }
    }

    /** Reads fields back in the order they were written. */
    static final class Reader {
        final Buffer buffer;
        int pos;

        Reader(Buffer buffer, int pos) {
            this.buffer = buffer;
            this.pos = pos;
        }

        boolean bool() {
            return buffer.getByte(pos++) != 0;
        }

        int integer() {
            int i = buffer.getInt(pos);
            pos += 4;
            return i;
        }

        long longValue() {
            long l = buffer.getLong(pos);
            pos += 8;
            return l;
        }

        String string() {
            int n = integer();
            String s = buffer.getString(pos, pos + n, "UTF-8");
            pos += n;
            return s;
        }

        String nullableString() {
            return bool() ? string() : null;
        }

        List<String> strings() {
            int n = integer();
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(string());
            }
            return out;
        }

        List<byte[]> byteArrays() {
            int n = integer();
            List<byte[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int length = integer();
                out.add(buffer.getBytes(pos, pos + length));
                pos += length;
            }
            return out;
        }

        Event event() {
            return parseEvent(string());
        }

        Event parseEvent(String json) {
            try {
                return Event.parse(json);
            } catch (InvalidEventException e) {
                throw new IllegalStateException("a peer sent a malformed event: " + e.getMessage());
            }
        }

        List<Filter> filters() {
            int n = integer();
            List<Filter> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                try {
                    out.add(Filter.fromJson(Json.parse(string()), DECODE_LIMITS));
                } catch (Json.JsonException | InvalidFilterException e) {
                    throw new IllegalStateException("a peer sent a malformed filter: " + e.getMessage());
                }
            }
            return out;
        }
    }
}
