package dev.strata.relay;

/**
 * One configuration key: its type, default, allowed range and meaning. {@link Settings#ALL} lists every key the
 * relay has; the README table is written from it.
 */
record Setting(String key, Type type, Object defaultValue, long min, long max, String description) {
    enum Type { INT, LONG, BOOLEAN, STRING }

    static Setting integer(String key, int defaultValue, int min, int max, String description) {
        return new Setting(key, Type.INT, defaultValue, min, max, description);
    }

    static Setting longValue(String key, long defaultValue, long min, long max, String description) {
        return new Setting(key, Type.LONG, defaultValue, min, max, description);
    }

    static Setting bool(String key, boolean defaultValue, String description) {
        return new Setting(key, Type.BOOLEAN, defaultValue, 0, 1, description);
    }

    static Setting string(String key, String defaultValue, String description) {
        return new Setting(key, Type.STRING, defaultValue, 0, 0, description);
    }

    /** The environment variable that overrides this key: {@code limits.max_limit} -> {@code STRATA_LIMITS_MAX_LIMIT}. */
    String environmentName() {
        return environmentName(key);
    }

    static String environmentName(String key) {
        return "STRATA_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
    }

    /** Checks and converts a value from a config file (JSON types) or the environment (text). */
    Object accept(Object value, String source) throws ConfigException {
        String where = "setting \"" + key + "\"" + source;
        switch (type) {
            case STRING:
                if (value instanceof String) {
                    return value;
                }
                throw new ConfigException(where + " must be a string");
            case BOOLEAN:
                if (value instanceof Boolean) {
                    return value;
                }
                if ("true".equals(value) || "false".equals(value)) {
                    return Boolean.parseBoolean((String) value);
                }
                throw new ConfigException(where + " must be true or false");
            default:
                long n;
                if (value instanceof Integer || value instanceof Long) {
                    n = ((Number) value).longValue();
                } else if (value instanceof String s && s.matches("-?[0-9]{1,19}")) {
                    try {
                        n = Long.parseLong(s);
                    } catch (NumberFormatException e) {
                        throw new ConfigException(where + " must be a whole number");
                    }
                } else {
                    throw new ConfigException(where + " must be a whole number");
                }
                if (n < min || n > max) {
                    throw new ConfigException(where + " must be from " + min + " to " + max + ", not " + n);
                }
                return type == Type.INT ? (Object) (int) n : (Object) n;
        }
    }
}
