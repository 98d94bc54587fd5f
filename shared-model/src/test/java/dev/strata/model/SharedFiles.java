package dev.strata.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The engineers' shared data folder, {@code ../shared} beside the checkout. */
final class SharedFiles {
    private SharedFiles() {
    }

    static List<String> lines(String name) throws IOException {
        // Surefire runs in the module directory; the checkout root is one up, shared/ beside it.
        Path path = Path.of("..", "..", "shared", name);
        if (!Files.exists(path)) {
            throw new IllegalStateException("missing " + path.toAbsolutePath().normalize()
                    + ": tests need the shared/ folder beside the checkout (../shared from the repository root)");
        }
        return Files.readAllLines(path, StandardCharsets.UTF_8);
    }
}
