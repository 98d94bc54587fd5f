package dev.strata.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size from {@code /proc/PID/status} (Linux), and CPU time used so far. */
final class ProcessMemory {
    private ProcessMemory() {
    }

    /** VmRSS in KiB, or -1 when the process or /proc is not there. */
    static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static long selfRssKiB() {
        return rssKiB(ProcessHandle.current().pid());
    }

    /** CPU time (user and system, every thread) the process has used so far, in ms; -1 when unknown. */
    static long cpuMillis(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(d -> d.toMillis()).orElse(-1L);
    }
}
