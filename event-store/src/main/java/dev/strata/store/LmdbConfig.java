package dev.strata.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an {@link LmdbEventStore}.
 *
 * @param dir                where the LMDB files live; created when missing
 * @param initialMapSize     bytes of address space mapped at first; the map doubles whenever a write needs more, so
 *                           this only matters as a starting point. Rounded up to a multiple of 64 KiB, which is a
 *                           multiple of every OS page size as LMDB requires
 * @param maxBatch           most events committed in one transaction
 * @param readThreads        threads that run queries, each holding at most one read transaction
 * @param writeQueueCapacity most events waiting for the writer; a write that does not fit is refused at once
 * @param searchCommitInterval how often the search index (in {@code dir/search}) commits what it applied; after a
 *                           crash it catches up from the LMDB log written since its last commit
 */
public record LmdbConfig(Path dir, long initialMapSize, int maxBatch, int readThreads, int writeQueueCapacity,
                         Duration searchCommitInterval) {
    public static final long DEFAULT_INITIAL_MAP_SIZE = 64L << 20;
    public static final int DEFAULT_MAX_BATCH = 1024;
    /** LMDB's reader table has 126 slots by default, shared with any other process reading the files. */
    public static final int MAX_READ_THREADS = 64;
    /** Queries are mostly CPU (JSON parsing and matching) once the pages are cached. */
    public static final int DEFAULT_READ_THREADS =
            Math.min(MAX_READ_THREADS, Math.max(2, Runtime.getRuntime().availableProcessors()));
    public static final int DEFAULT_WRITE_QUEUE_CAPACITY = 16 * DEFAULT_MAX_BATCH;
    public static final Duration DEFAULT_SEARCH_COMMIT_INTERVAL = Duration.ofSeconds(1);

    private static final long MAP_SIZE_UNIT = 64 << 10;

    public LmdbConfig {
        Objects.requireNonNull(dir, "dir");
        if (initialMapSize < 1) {
            throw new IllegalArgumentException("initialMapSize must be positive");
        }
        initialMapSize = (initialMapSize + MAP_SIZE_UNIT - 1) / MAP_SIZE_UNIT * MAP_SIZE_UNIT;
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive");
        }
        if (readThreads < 1 || readThreads > MAX_READ_THREADS) {
            throw new IllegalArgumentException("readThreads must be from 1 to " + MAX_READ_THREADS);
        }
        if (writeQueueCapacity < 1) {
            throw new IllegalArgumentException("writeQueueCapacity must be positive");
        }
        if (searchCommitInterval == null || searchCommitInterval.isNegative() || searchCommitInterval.isZero()) {
            throw new IllegalArgumentException("searchCommitInterval must be positive");
        }
    }

    /** Settings with the default search commit interval. */
    public LmdbConfig(Path dir, long initialMapSize, int maxBatch, int readThreads, int writeQueueCapacity) {
        this(dir, initialMapSize, maxBatch, readThreads, writeQueueCapacity, DEFAULT_SEARCH_COMMIT_INTERVAL);
    }

    /** The defaults above, in {@code dir}. */
    public static LmdbConfig defaults(Path dir) {
        return new LmdbConfig(dir, DEFAULT_INITIAL_MAP_SIZE, DEFAULT_MAX_BATCH, DEFAULT_READ_THREADS,
                DEFAULT_WRITE_QUEUE_CAPACITY);
    }
}
