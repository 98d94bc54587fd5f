package dev.strata.loadtest;

import java.util.Collection;
import java.util.Locale;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * Latencies in microseconds, recorded per connection (each connection lives on one event loop, so its histogram
 * needs no lock) and merged at the end. Three significant digits, auto-resizing: any value is kept.
 */
final class Latency {
    private Latency() {
    }

    static Histogram histogram() {
        return new Histogram(3);
    }

    static void recordNanos(Histogram h, long nanos) {
        h.recordValue(Math.max(0, nanos / 1000));
    }

    static Histogram merge(Collection<Histogram> parts) {
        Histogram all = histogram();
        for (Histogram h : parts) {
            all.add(h);
        }
        return all;
    }

    /** count, mean, p50, p90, p99, p99.9 and max, in milliseconds. */
    static JsonObject toJson(Histogram h) {
        JsonObject j = new JsonObject().put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return j;
        }
        return j.put("mean_ms", ms(h.getMean()))
                .put("p50_ms", ms(h.getValueAtPercentile(50)))
                .put("p90_ms", ms(h.getValueAtPercentile(90)))
                .put("p99_ms", ms(h.getValueAtPercentile(99)))
                .put("p999_ms", ms(h.getValueAtPercentile(99.9)))
                .put("max_ms", ms(h.getMaxValue()));
    }

    /** "p50 1.23 · p90 2.50 · p99 9.80 · p99.9 12.1 · max 15.0 ms" for the summary table. */
    static String summary(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "no samples";
        }
        return String.format(Locale.ROOT, "p50 %s · p90 %s · p99 %s · p99.9 %s · max %s ms",
                fmt(h.getValueAtPercentile(50)), fmt(h.getValueAtPercentile(90)), fmt(h.getValueAtPercentile(99)),
                fmt(h.getValueAtPercentile(99.9)), fmt(h.getMaxValue()));
    }

    private static double ms(double micros) {
        return Math.round(micros) / 1000.0;
    }

    private static String fmt(double micros) {
        double ms = micros / 1000.0;
        return String.format(Locale.ROOT, ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f", ms);
    }
}
