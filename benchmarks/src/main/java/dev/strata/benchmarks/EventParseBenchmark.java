package dev.strata.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.strata.model.Event;
import dev.strata.model.InvalidEventException;

/** The ingest path before the signature: JSON text to a checked event. Target: 100k parse + id per second per core. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class EventParseBenchmark {
    String json;
    Event event;

    @Setup
    public void setUp() throws InvalidEventException {
        event = Samples.textNote(1764000000L);
        json = event.toJson();
        if (!Event.parse(json).hasValidId()) {
            throw new IllegalStateException("the sample event does not check");
        }
    }

    @Benchmark
    public boolean parseAndCheckId() throws InvalidEventException {
        return Event.parse(json).hasValidId();
    }

    @Benchmark
    public Event parse() throws InvalidEventException {
        return Event.parse(json);
    }

    @Benchmark
    public boolean checkId() {
        return event.hasValidId();
    }
}
