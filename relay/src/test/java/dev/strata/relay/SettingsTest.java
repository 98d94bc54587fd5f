package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration as an operator meets it: a file, environment overrides, a clear error naming the bad key. */
class SettingsTest {
    @Test
    void defaultsApplyWithNothingGiven() throws Exception {
        JsonObject c = Settings.load(null, Map.of("PATH", "/bin", "STRATA_CONFIG", "x", "STRATA_TEST_PG_URL", "y"));
        assertEquals(7777, c.getInteger("server.port"));
        assertEquals("./data", c.getString("store.data_dir"));
        assertEquals(Settings.ALL.size(), c.size());
    }

    @Test
    void aNestedOrFlatFileIsReadAndTheEnvironmentWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("strata.json");
        Files.writeString(file, "{\"limits\":{\"max_limit\":100,\"default_limit\":50},\"server.port\":9000,"
                + "\"websocket\":{\"compression\":false}}");
        JsonObject c = Settings.load(file, Map.of("STRATA_LIMITS_MAX_LIMIT", "200"));
        assertEquals(200, c.getInteger("limits.max_limit"));
        assertEquals(50, c.getInteger("limits.default_limit"));
        assertEquals(9000, c.getInteger("server.port"));
        assertEquals(false, c.getBoolean("websocket.compression"));
    }

    @Test
    void everyErrorNamesTheKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"limits\":{\"max_limt\":100}}");
        assertMessage("unknown setting \"limits.max_limt\"", () -> Settings.load(file, Map.of()));
        assertMessage("STRATA_SERVER_PROT", () -> Settings.load(null, Map.of("STRATA_SERVER_PROT", "1")));
        assertMessage("\"server.port\" (from STRATA_SERVER_PORT) must be from 1 to 65535, not 70000",
                () -> Settings.load(null, Map.of("STRATA_SERVER_PORT", "70000")));
        assertMessage("\"server.port\" (from STRATA_SERVER_PORT) must be a whole number",
                () -> Settings.load(null, Map.of("STRATA_SERVER_PORT", "77x")));
        assertMessage("\"websocket.compression\"",
                () -> Settings.load(null, Map.of("STRATA_WEBSOCKET_COMPRESSION", "yes")));
        assertMessage("\"limits.default_limit\" must not exceed \"limits.max_limit\"",
                () -> Settings.load(null, Map.of("STRATA_LIMITS_MAX_LIMIT", "10")));
        assertMessage("\"relay.pubkey\"", () -> Settings.load(null, Map.of("STRATA_RELAY_PUBKEY", "ABC")));
        assertMessage("\"relay.url\" must be a ws:// or wss:// URL with a host",
                () -> Settings.load(null, Map.of("STRATA_RELAY_URL", "https://relay.example.com/")));
        assertMessage("\"auth.private_kinds\" must list kinds separated by commas: \"dm\" is not a kind",
                () -> Settings.load(null, Map.of("STRATA_AUTH_PRIVATE_KINDS", "4,dm")));
        Files.writeString(file, "[1]");
        assertMessage("is not a JSON object", () -> Settings.load(file, Map.of()));
        assertMessage("cannot read config file", () -> Settings.load(dir.resolve("missing.json"), Map.of()));
    }

    @Test
    void theReadmeDocumentsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        List<String> missing = new ArrayList<>();
        for (Setting s : Settings.ALL) {
            String row = readmeRow(s);
            if (!readme.contains(row)) {
                missing.add(row);
            }
        }
        assertTrue(missing.isEmpty(), "README.md lacks these rows of the settings table:\n"
                + String.join("\n", missing));
    }

    private static String readmeRow(Setting s) {
        String range = range(s);
        String def = s.defaultValue() instanceof String text ? (text.isEmpty() ? "(empty)" : "`" + text + "`")
                : "`" + s.defaultValue() + "`";
        return "| `" + s.key() + "` | `" + s.environmentName() + "` | " + def + range + " | " + s.description() + " |";
    }

    private static String range(Setting s) {
        if (s.type() == Setting.Type.INT || s.type() == Setting.Type.LONG) {
            return " (" + s.min() + "–" + s.max() + ")";
        }
        return "";
    }

    private static void assertMessage(String expectedPart, org.junit.jupiter.api.function.Executable load) {
        ConfigException e = assertThrows(ConfigException.class, load);
        assertTrue(e.getMessage().contains(expectedPart), "expected \"" + expectedPart + "\" in: " + e.getMessage());
    }
}
