package dev.strata.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.strata.model.Bip340;
import dev.strata.model.BouncyCastleBip340;
import dev.strata.model.Event;
import dev.strata.model.NativeBip340;

/** BIP-340 verification of one valid event on each engine. Target: native at least 3x BouncyCastle. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class VerifyBenchmark {
    Event event;
    Bip340 nativeEngine;
    Bip340 bouncyCastle;

    @Setup
    public void setUp() {
        event = Samples.textNote(1764000000L);
        nativeEngine = NativeBip340.load();
        bouncyCastle = new BouncyCastleBip340();
        if (!event.hasValidSignature(nativeEngine) || !event.hasValidSignature(bouncyCastle)) {
            throw new IllegalStateException("the sample signature does not verify");
        }
    }

    @Benchmark
    public boolean verifyNative() {
        return event.hasValidSignature(nativeEngine);
    }

    @Benchmark
    public boolean verifyBouncyCastle() {
        return event.hasValidSignature(bouncyCastle);
    }
}
