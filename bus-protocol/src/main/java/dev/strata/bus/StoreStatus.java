package dev.strata.bus;

/** What the store reports about itself to health checks. */
public record StoreStatus(String engine, long diskSizeBytes) {
}
