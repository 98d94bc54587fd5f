package dev.strata.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.InvalidEventException;

/**
 * A corpus file read into memory: one signed event per line, in the generator's order. Each event's JSON is kept
 * exactly as written, so what goes on the wire is the file's bytes.
 */
final class Corpus {
    private final List<Event> events;
    private final List<String> jsons;
    private Map<String, Integer> indexById;

    private Corpus(List<Event> events, List<String> jsons) {
        this.events = events;
        this.jsons = jsons;
    }

    static Corpus load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new Options.UsageException("corpus file " + file + " not found; make one with: corpus --out "
                    + file);
        }
        List<Event> events = new ArrayList<>();
        List<String> jsons = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    events.add(Event.parse(line));
                } catch (InvalidEventException e) {
                    throw new Options.UsageException(file + " line " + lineNumber + ": " + e.getMessage());
                }
                jsons.add(line);
            }
        }
        if (events.isEmpty()) {
            throw new Options.UsageException("corpus file " + file + " holds no events");
        }
        return new Corpus(events, jsons);
    }

    static Corpus of(List<Event> events) {
        List<String> jsons = new ArrayList<>(events.size());
        for (Event e : events) {
            jsons.add(e.toJson());
        }
        return new Corpus(List.copyOf(events), jsons);
    }

    int size() {
        return events.size();
    }

    Event event(int i) {
        return events.get(i);
    }

    /** {@code ["EVENT", <event>]} as a client publishes it. */
    String publishMessage(int i) {
        return "[\"EVENT\"," + jsons.get(i) + "]";
    }

    /** The corpus position of each event id. */
    synchronized Map<String, Integer> indexById() {
        if (indexById == null) {
            Map<String, Integer> m = new HashMap<>(events.size() * 2);
            for (int i = 0; i < events.size(); i++) {
                m.put(events.get(i).id(), i);
            }
            indexById = m;
        }
        return indexById;
    }
}
