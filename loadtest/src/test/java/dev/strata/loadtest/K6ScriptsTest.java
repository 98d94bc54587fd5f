package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * k6 is not installable here, so the k6 scripts are checked with Node in every build: each parses as an ES module,
 * and their random draws (REQs, subscriptions) equal the Java harness's for the same seed (k6/check/check.sh without
 * a relay). Needs Node 20 or newer on the PATH; without it the test fails and says so.
 */
class K6ScriptsTest {
    @Test
    void scriptsParseAndDrawWhatTheJavaHarnessDraws() throws Exception {
        Path check = Path.of("k6/check/check.sh").toAbsolutePath();
        assertTrue(Files.isExecutable(check), check + " is missing or not executable");
        Process p;
        try {
            p = new ProcessBuilder("bash", check.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + check + " (it needs bash and Node 20 or newer): " + e, e);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check.sh did not finish within 120 s");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "k6/check/check.sh failed (Node 20 or newer must be on the PATH):\n" + output);
        assertTrue(output.contains("draws match the Java harness's"), output);
    }
}
