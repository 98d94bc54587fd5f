package dev.strata.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.FilterLimits;
import dev.strata.model.Hex;
import dev.strata.model.Json;

/** Live fan-out: one new event against a subscription's filters. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class FilterMatchBenchmark {
    Event event;
    Filter authorsAndKinds;
    Filter tagFilter;
    List<Filter> tenFilters;

    @Setup
    public void setUp() throws Exception {
        event = Samples.textNote(1764000000L);
        // A home feed: the 50 accounts someone follows, notes, reposts and reactions.
        StringBuilder follows = new StringBuilder();
        for (int i = 0; i < 49; i++) {
            follows.append('"').append(Hex.encode(new byte[] {(byte) i}).repeat(32)).append("\",");
        }
        follows.append('"').append(event.pubkey()).append('"');
        authorsAndKinds = filter("{\"authors\":[" + follows + "],\"kinds\":[1,6,7],\"since\":1763990000}");
        tagFilter = filter("{\"#t\":[\"bitcoin\",\"nostr\"],\"#p\":[\"" + Samples.MENTION + "\"]}");
        // A client's usual REQ: several filters, none matching this event, so every one is tried.
        tenFilters = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tenFilters.add(filter("{\"authors\":[\"" + Hex.encode(new byte[] {(byte) (0x80 + i)}).repeat(32)
                    + "\"],\"kinds\":[1," + (30000 + i) + "],\"#t\":[\"topic" + i + "\"],\"limit\":100}"));
        }
        if (!authorsAndKinds.matches(event) || !tagFilter.matches(event) || Filter.anyMatches(tenFilters, event)) {
            throw new IllegalStateException("the sample filters do not match as intended");
        }
    }

    private static Filter filter(String json) throws Exception {
        return Filter.fromJson(Json.parse(json), FilterLimits.DEFAULT);
    }

    @Benchmark
    public boolean authorsAndKinds() {
        return authorsAndKinds.matches(event);
    }

    @Benchmark
    public boolean tTagAndPTag() {
        return tagFilter.matches(event);
    }

    @Benchmark
    public boolean tenFiltersNoneMatching() {
        return Filter.anyMatches(tenFilters, event);
    }
}
