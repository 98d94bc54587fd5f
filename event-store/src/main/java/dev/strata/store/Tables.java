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
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;

import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

/**
 * The two LMDB environments of a store and their sub-databases.
 *
 * <p>The <em>primary</em> environment (the store directory) holds the truth: the events, the current version of
 * each replaceable key, the index work not yet applied, the NIP-09 and NIP-62 tombstones and the NIP-40
 * expirations. Every primary commit is fully synchronous, so an acknowledged event survives any crash. It writes
 * few pages per event (its body and one id-keyed entry).
 *
 * <p>The <em>index</em> environment ({@code index/} inside it) holds the secondary indexes, which are derived from
 * the primary: an event costs a page in each of several B-trees there, and syncing those pages at every commit is
 * what limits an LMDB relay's ingest rate. So it commits with {@code MDB_NOSYNC}: a process crash loses nothing
 * (the kernel holds the written pages and LMDB's copy-on-write keeps every committed state whole), and after an
 * operating-system crash, which could leave it torn, it is rebuilt from the primary ({@link IndexTrust}).
 *
 * <p>{@code MDB_NOTLS} ties read transactions to no thread, so pooled reader threads may use them.
 */
final class Tables implements AutoCloseable {
    /**
     * events, replaceable, pending, search_log, meta, deleted, deleted_addresses, vanished, expiring, vanishing.
     */
    private static final int PRIMARY_TABLES = 10;

    /**
     * The flags of a plain put. lmdbjava folds a flag array with a stream on every call, a tenth of an indexer's
     * time, unless the array is null.
     */
    static final PutFlags[] PLAIN = null;

    /** id → created_at (8 bytes) then the event's JSON in UTF-8. Primary. */
    final Dbi<ByteBuffer> events;
    /** {@link Keys#replaceKey} → created_at (8 bytes) then the id of the version currently stored. Primary. */
    final Dbi<ByteBuffer> replaceable;
    /** Serial (8 bytes) → index work committed in the primary, not yet known to be in the index. Primary. */
    final Dbi<ByteBuffer> pending;
    /**
     * {@link SearchLog}: sequence number (8 bytes) → what happened to which event, until the search index has it.
     * Primary, written in the event's own transaction.
     */
    final Dbi<ByteBuffer> searchLog;
    /** Small named values: the store's identity, how far the search log was pruned. Primary. */
    final Dbi<ByteBuffer> meta;
    /** NIP-09 tombstones: {@link Keys#deleted} (author, id) → empty. Primary. */
    final Dbi<ByteBuffer> deleted;
    /** NIP-09 tombstones of addresses: {@link Keys#replaceKey} → the latest deleted created_at (8 bytes). Primary. */
    final Dbi<ByteBuffer> deletedAddresses;
    /** NIP-62 tombstones: pubkey (32 bytes) → the latest created_at it vanished up to (8 bytes). Primary. */
    final Dbi<ByteBuffer> vanished;
    /** NIP-40: {@link Keys#expiring} (expiration, id) → empty, the purge's order. Primary. */
    final Dbi<ByteBuffer> expiring;
    /** NIP-62 removals not finished: pubkey → the created_at they go up to (8 bytes). Primary. */
    final Dbi<ByteBuffer> vanishing;

    private final Path dir;
    private final Env<ByteBuffer> primary;
    private final Env<ByteBuffer> index;
    private final Map<Index, Dbi<ByteBuffer>> indexes = new EnumMap<>(Index.class);
    /**
     * LMDB may change an environment's map size only while the process has no transaction open in it: reads hold
     * the read sides, and the writer, the only one that resizes, takes a write side between its own transactions.
     */
    private final ReadWriteLock primaryResize = new ReentrantReadWriteLock();
    private final ReadWriteLock indexResize = new ReentrantReadWriteLock();

    private Tables(Path dir, Env<ByteBuffer> primary, Env<ByteBuffer> index) {
        this.dir = dir;
        this.primary = primary;
        this.index = index;
        events = primary.openDbi("events", DbiFlags.MDB_CREATE);
        replaceable = primary.openDbi("replaceable", DbiFlags.MDB_CREATE);
        pending = primary.openDbi("pending", DbiFlags.MDB_CREATE);
        searchLog = primary.openDbi("search_log", DbiFlags.MDB_CREATE);
        meta = primary.openDbi("meta", DbiFlags.MDB_CREATE);
        deleted = primary.openDbi("deleted", DbiFlags.MDB_CREATE);
        deletedAddresses = primary.openDbi("deleted_addresses", DbiFlags.MDB_CREATE);
        vanished = primary.openDbi("vanished", DbiFlags.MDB_CREATE);
        expiring = primary.openDbi("expiring", DbiFlags.MDB_CREATE);
        vanishing = primary.openDbi("vanishing", DbiFlags.MDB_CREATE);
        for (Index i : Index.values()) {
            indexes.put(i, index.openDbi(i.dbName(), DbiFlags.MDB_CREATE));
        }
    }

    /**
     * Opens or creates both environments under {@code dir}. An existing store larger than {@code initialMapSize}
     * gets a map that covers it (LMDB does that on open).
     */
    static Tables open(Path dir, long initialMapSize) throws IOException {
        Path indexDir = indexDir(dir);
        Files.createDirectories(indexDir);
        Env<ByteBuffer> primary = Env.create()
                .setMapSize(initialMapSize)
                .setMaxDbs(PRIMARY_TABLES)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        try {
            Env<ByteBuffer> index = Env.create()
                    .setMapSize(initialMapSize)
                    .setMaxDbs(Index.values().length)
                    // Written in place through the map: no copy of each dirty page and no write call per page at
                    // commit, which were most of an index commit's cost. A process that dies mid-commit still
                    // leaves the last committed state (LMDB updates the older of its two meta pages, txnid last).
                    .open(indexDir.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC, EnvFlags.MDB_WRITEMAP);
            return new Tables(dir, primary, index);
        } catch (RuntimeException e) {
            primary.close();
            throw e;
        }
    }

    static Path indexDir(Path dir) {
        return dir.resolve("index");
    }

    Dbi<ByteBuffer> index(Index i) {
        return indexes.get(i);
    }

    /**
     * Runs {@code work} in read-only transactions of both environments, which it must not let escape. The index
     * snapshot is taken first: the writer commits an event to the primary before it indexes it, and removes a body
     * before its index entries, so every index entry of the snapshot names an event the primary snapshot has or
     * one removed meanwhile (which a reader skips).
     */
    <R> R read(BiFunction<Txn<ByteBuffer>, Txn<ByteBuffer>, R> work) {
        indexResize.readLock().lock();
        primaryResize.readLock().lock();
        try (Txn<ByteBuffer> indexTxn = index.txnRead(); Txn<ByteBuffer> primaryTxn = primary.txnRead()) {
            return work.apply(indexTxn, primaryTxn);
        } finally {
            primaryResize.readLock().unlock();
            indexResize.readLock().unlock();
        }
    }

    /** Runs {@code work} in a read-only transaction of the primary environment alone (events, search log). */
    <R> R readPrimary(Function<Txn<ByteBuffer>, R> work) {
        primaryResize.readLock().lock();
        try (Txn<ByteBuffer> txn = primary.txnRead()) {
            return work.apply(txn);
        } finally {
            primaryResize.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} in a read-only transaction of the index environment alone: for the writer, which reads the
     * index of what earlier batches stored (NIP-62) once the indexer has caught up with them.
     */
    <R> R readIndex(Function<Txn<ByteBuffer>, R> work) {
        indexResize.readLock().lock();
        try (Txn<ByteBuffer> txn = index.txnRead()) {
            return work.apply(txn);
        } finally {
            indexResize.readLock().unlock();
        }
    }

    /** A primary write transaction; LMDB allows one at a time, and only the writer thread opens them. */
    /**
     * NIP-62: the created_at up to which {@code pubkey} asked to be forgotten, or -1, read in {@code txn} (of the
     * primary environment) with {@code key} as the scratch buffer for the lookup.
     */
    long vanishedUntil(Txn<ByteBuffer> txn, ByteBuffer key, byte[] pubkey) {
        ByteBuffer cutoff = vanished.get(txn, Keys.bytes(key, pubkey));
        return cutoff == null ? -1 : cutoff.getLong(0);
    }

    Txn<ByteBuffer> writePrimary() {
        return primary.txnWrite();
    }

    /** An index write transaction; only the writer thread opens them. */
    Txn<ByteBuffer> writeIndex() {
        return index.txnWrite();
    }

    /** Doubles the primary map. The caller must have no transaction open; waits for reads in progress. */
    void growPrimary() {
        grow(primary, primaryResize);
    }

    /** Doubles the index map, under the same conditions. */
    void growIndex() {
        grow(index, indexResize);
    }

    private static void grow(Env<ByteBuffer> env, ReadWriteLock lock) {
        lock.writeLock().lock();
        try {
            env.setMapSize(env.info().mapSize * 2);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Writes what the index environment's unsynced commits left with the kernel to its disk. */
    void syncIndex() {
        index.sync(true);
    }

    /**
     * The primary's files, and the pages the index uses: a writable map makes LMDB size the index file to the whole
     * map, most of it a hole that takes no disk.
     */
    long diskSizeBytes() {
        return filesSize(dir) + (index.info().lastPageNumber + 1) * index.stat().pageSize;
    }

    private static long filesSize(Path dir) {
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
        try {
            index.close();
        } finally {
            primary.close();
        }
    }
}
