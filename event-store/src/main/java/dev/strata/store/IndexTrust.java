package dev.strata.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Whether the index environment may be used as found, judged from a small state file beside it.
 *
 * <p>The index commits without syncing (see {@link Tables}), so its files are whole as long as the kernel that took
 * the writes is still running: after a clean close (which syncs it), or after the relay process died while the
 * machine stayed up. Only a crash or power loss of the machine itself can tear it. While the store is open the
 * file says {@code open <boot id>}, the kernel's random id of the current boot; a later open that finds another
 * boot id there knows the machine went down with the index unsynced, and rebuilds it. Where the boot id cannot be
 * read (not Linux), every unclean stop rebuilds.
 */
final class IndexTrust {
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    private static final String CLEAN = "clean";
    private static final String OPEN = "open ";
    private static final String REBUILDING = "rebuilding";

    private final Path file;

    IndexTrust(Path storeDir) {
        this.file = storeDir.resolve("index.state");
    }

    /** True when the index environment holds every commit made to it before the store was last closed or died. */
    boolean indexIsWhole() throws IOException {
        String state;
        try {
            state = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return false; // a new store, or one made before the index had its own environment
        }
        if (state.equals(CLEAN)) {
            return true;
        }
        String boot = bootId();
        return boot != null && state.equals(OPEN + boot);
    }

    /** Before the index is cleared and rebuilt: a crash during the rebuild must start it again. */
    void rebuilding() throws IOException {
        write(REBUILDING);
    }

    /** Before the first index write of this run. */
    void opened() throws IOException {
        String boot = bootId();
        write(boot == null ? REBUILDING : OPEN + boot);
    }

    /** After the index environment was synced and nothing writes to it any more. */
    void closedCleanly() throws IOException {
        write(CLEAN);
    }

    private static String bootId() {
        try {
            return Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** Replaces the file atomically and durably: the new state is on disk before anything it vouches for. */
    private void write(String state) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap((state + "\n").getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
