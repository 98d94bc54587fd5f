package dev.strata.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.stream.Stream;

import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The LMDB environment and its sub-databases.
 *
 * <p>Only the default, fully synchronous commit is used: a committed transaction survives a crash, and every event
 * is written with all its index entries in one transaction. {@code MDB_NOTLS} ties read transactions to no thread,
 * so pooled reader threads may use them.
 */
final class Tables implements AutoCloseable {
    /** id → created_at (8 bytes) then the event's JSON in UTF-8. */
    final Dbi<ByteBuffer> events;
    /** {@link Keys#replaceKey} → created_at (8 bytes) then the id of the version currently stored. */
    final Dbi<ByteBuffer> replaceable;

    private final Path dir;
    private final Env<ByteBuffer> env;
    private final Map<Index, Dbi<ByteBuffer>> indexes = new EnumMap<>(Index.class);
    /**
     * LMDB may change the map size only while the process has no transaction open: reads hold the read side, and
     * the writer, the only one that resizes, takes the write side between its own transactions.
     */
    private final ReadWriteLock resizeLock = new ReentrantReadWriteLock();

    private Tables(Path dir, Env<ByteBuffer> env) {
        this.dir = dir;
        this.env = env;
        events = env.openDbi("events", DbiFlags.MDB_CREATE);
        replaceable = env.openDbi("replaceable", DbiFlags.MDB_CREATE);
        for (Index index : Index.values()) {
            indexes.put(index, env.openDbi(index.dbName(), DbiFlags.MDB_CREATE));
        }
    }

    /**
     * Opens or creates the environment in {@code dir}. An existing store larger than {@code initialMapSize} gets a
     * map that covers it (LMDB does that on open).
     */
    static Tables open(Path dir, long initialMapSize) throws IOException {
        Files.createDirectories(dir);
        Env<ByteBuffer> env = Env.create()
                .setMapSize(initialMapSize)
                .setMaxDbs(2 + Index.values().length)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        return new Tables(dir, env);
    }

    Dbi<ByteBuffer> index(Index index) {
        return indexes.get(index);
    }

    /** Runs {@code work} in a read-only transaction, which it must not let escape. */
    <R> R read(Function<Txn<ByteBuffer>, R> work) {
        resizeLock.readLock().lock();
        try {
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                return work.apply(txn);
            }
        } finally {
            resizeLock.readLock().unlock();
        }
    }

    /** A write transaction; LMDB allows one at a time, and only the writer thread opens them. */
    Txn<ByteBuffer> write() {
        return env.txnWrite();
    }

    /** Doubles the map. The caller must have no transaction open; waits for reads in progress to finish. */
    void growMap() {
        resizeLock.writeLock().lock();
        try {
            env.setMapSize(env.info().mapSize * 2);
        } finally {
            resizeLock.writeLock().unlock();
        }
    }

    long diskSizeBytes() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(Tables::size).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        env.close();
    }
}
