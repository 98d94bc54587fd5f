package dev.strata.loadtest;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.vertx.core.json.JsonObject;

/**
 * A subcommand's {@code --name value} options. Every value read is recorded, default or not, so the result file
 * states exactly what a run used; an option given but never read is an error, so a typo never passes silently.
 */
final class Options {
    private final Map<String, String> given = new LinkedHashMap<>();
    private final JsonObject used = new JsonObject();

    private Options() {
    }

    /** Parses {@code --name value}, {@code --name=value} and bare {@code --flag} (true). */
    static Options parse(String[] args, int from) {
        Options o = new Options();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("expected an option like --name value, got \"" + a + "\"");
            }
            String name;
            String value;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else {
                name = a.substring(2);
                boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
                value = hasValue ? args[++i] : "true";
            }
            if (o.given.put(name, value) != null) {
                throw new UsageException("option --" + name + " given twice");
            }
        }
        return o;
    }

    boolean has(String name) {
        return given.containsKey(name);
    }

    String string(String name, String defaultValue) {
        String v = given.getOrDefault(name, defaultValue);
        if (v != null) {
            used.put(name, v);
        }
        return v;
    }

    String required(String name) {
        String v = string(name, null);
        if (v == null) {
            throw new UsageException("option --" + name + " is required");
        }
        return v;
    }

    Path path(String name, String defaultValue) {
        String v = defaultValue == null ? required(name) : string(name, defaultValue);
        return Path.of(v);
    }

    long longValue(String name, long defaultValue, long min, long max) {
        String v = given.get(name);
        long n = defaultValue;
        if (v != null) {
            try {
                n = Long.parseLong(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new UsageException("option --" + name + " must be a whole number, not \"" + v + "\"");
            }
        }
        if (n < min || n > max) {
            throw new UsageException("option --" + name + " must be from " + min + " to " + max + ", not " + n);
        }
        used.put(name, n);
        return n;
    }

    int integer(String name, int defaultValue, int min, int max) {
        return (int) longValue(name, defaultValue, min, max);
    }

    double decimal(String name, double defaultValue, double min, double max) {
        String v = given.get(name);
        double d = defaultValue;
        if (v != null) {
            try {
                d = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new UsageException("option --" + name + " must be a number, not \"" + v + "\"");
            }
        }
        if (!(d >= min && d <= max)) {
            throw new UsageException("option --" + name + " must be from " + min + " to " + max + ", not " + d);
        }
        used.put(name, d);
        return d;
    }

    boolean flag(String name) {
        String v = given.get(name);
        boolean b = v != null && !v.equals("false");
        if (v != null && !v.equals("true") && !v.equals("false")) {
            throw new UsageException("option --" + name + " takes no value or true/false, not \"" + v + "\"");
        }
        used.put(name, b);
        return b;
    }

    /** The options as the run used them, defaults included. */
    JsonObject used() {
        return used.copy();
    }

    /** Fails on any option that no part of the command read. */
    void checkAllRead() {
        for (String name : given.keySet()) {
            if (!used.containsKey(name)) {
                throw new UsageException("unknown option --" + name);
            }
        }
    }

    /** A mistake on the command line: printed with the usage, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
