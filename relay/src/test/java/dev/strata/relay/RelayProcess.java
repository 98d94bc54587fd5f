package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay as a separate JVM ({@code dev.strata.relay.Main} on the test classpath), so a test can SIGTERM it,
 * kill -9 it and start it again on the same data directory.
 */
final class RelayProcess implements AutoCloseable {
    private static final long START_SECONDS = 60;

    final Process process;
    final int port;
    private final CompletableFuture<Void> listening = new CompletableFuture<>();
    private final StringBuffer output = new StringBuffer();

    private RelayProcess(Process process, int port) {
        this.process = process;
        this.port = port;
        Thread reader = new Thread(this::readOutput, "relay-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    static RelayProcess start(Path dataDir, Map<String, String> settings) throws Exception {
        int port = TestRelay.freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("STRATA_"));
        env.put("STRATA_SERVER_HOST", "127.0.0.1");
        env.put("STRATA_SERVER_PORT", String.valueOf(port));
        env.put("STRATA_STORE_DATA_DIR", dataDir.toString());
        settings.forEach((key, value) -> env.put(Setting.environmentName(key), value));
        RelayProcess relay = new RelayProcess(builder.start(), port);
        try {
            relay.listening.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            relay.process.destroyForcibly();
            throw new AssertionError("relay process did not start within " + START_SECONDS + " s; output:\n"
                    + relay.output, e);
        }
        return relay;
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                output.append(line).append('\n');
                if (line.startsWith("strata: relay listening")) {
                    listening.complete(null);
                }
            }
        } catch (IOException e) {
            output.append("[output unreadable: ").append(e).append("]\n");
        }
        listening.completeExceptionally(new IllegalStateException("the relay process ended"));
    }

    /** SIGTERM, then the exit code, waited for with a deadline. */
    int terminate() throws InterruptedException {
        process.destroy();
        return awaitExit();
    }

    /** SIGKILL: no shutdown hook, no drain, the writer thread stops wherever it is. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        awaitExit();
    }

    private int awaitExit() throws InterruptedException {
        assertTrue(process.waitFor(START_SECONDS, TimeUnit.SECONDS),
                "relay process did not exit within " + START_SECONDS + " s; output:\n" + output);
        return process.exitValue();
    }

    String output() {
        return output.toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
