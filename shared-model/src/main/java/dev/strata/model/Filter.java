package dev.strata.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A NIP-01 filter: every present field must match (AND), any value within a field may match (OR). A null field is
 * absent; an empty set matches nothing.
 *
 * <p>{@code ids} and {@code authors} take full 64-character lowercase hex only: NIP-01 no longer allows prefixes,
 * and we refuse them with {@code invalid:} rather than silently matching nothing. Tag values are matched
 * exactly, as strings.
 *
 * <p>{@code search} (NIP-50) is the client's query text, or null. A search filter selects stored events only, best
 * match first (see {@link SearchQuery}); it never matches a live event: relevance ranks a stored result, and one
 * event arriving on its own has nothing to be ranked against. A search with no words left once its
 * {@code key:value} extensions are set aside asks for nothing and is dropped ({@code null}).
 *
 * @param tags   single-letter tag name to accepted first values (NIP-01 matches a tag's element 1 only)
 * @param limit  for the stored query only; null when the client gave none
 * @param search NIP-50 query text, null for none
 */
public record Filter(Set<String> ids, Set<String> authors, Set<Integer> kinds, Map<Character, Set<String>> tags,
                     Long since, Long until, Integer limit, String search) {

    public Filter {
        ids = ids == null ? null : Set.copyOf(ids);
        authors = authors == null ? null : Set.copyOf(authors);
        kinds = kinds == null ? null : Set.copyOf(kinds);
        Map<Character, Set<String>> t = new HashMap<>();
        if (tags != null) {
            tags.forEach((k, v) -> t.put(k, Set.copyOf(v)));
        }
        tags = Map.copyOf(t);
        if (search != null && SearchQuery.parse(search).isEmpty()) {
            search = null;
        }
    }

    /** A filter without search. */
    public Filter(Set<String> ids, Set<String> authors, Set<Integer> kinds, Map<Character, Set<String>> tags,
                  Long since, Long until, Integer limit) {
        this(ids, authors, kinds, tags, since, until, limit, null);
    }

    /** The filter that matches every event: {@code {}}. */
    public static final Filter ALL = new Filter(null, null, null, null, null, null, null);

    /** The same filter without its search: what a search engine's candidates must also match. */
    public Filter withoutSearch() {
        return search == null ? this : new Filter(ids, authors, kinds, tags, since, until, limit, null);
    }

    /** Whether an event matches; never for a search filter (see the class comment). */
    public boolean matches(Event e) {
        if (search != null) {
            return false;
        }
        if (ids != null && !ids.contains(e.id())) {
            return false;
        }
        if (authors != null && !authors.contains(e.pubkey())) {
            return false;
        }
        if (kinds != null && !kinds.contains(e.kind())) {
            return false;
        }
        if (since != null && e.createdAt() < since) {
            return false;
        }
        if (until != null && e.createdAt() > until) {
            return false;
        }
        for (Map.Entry<Character, Set<String>> wanted : tags.entrySet()) {
            if (!hasTagValueIn(e, wanted.getKey(), wanted.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** NIP-01: a REQ's filters are OR'ed. */
    public static boolean anyMatches(List<Filter> filters, Event e) {
        for (Filter f : filters) {
            if (f.matches(e)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasTagValueIn(Event e, char name, Set<String> values) {
        for (List<String> tag : e.tags()) {
            if (tag.size() > 1) {
                String tagName = tag.get(0);
                if (tagName.length() == 1 && tagName.charAt(0) == name && values.contains(tag.get(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The limit to apply to the stored query: the client's, else the default, never above the cap. */
    public int effectiveLimit(int defaultLimit, int maxLimit) {
        return Math.min(limit == null ? defaultLimit : limit, maxLimit);
    }

    /** Parses one filter object. */
    public static Filter fromJson(Object value, FilterLimits limits) throws InvalidFilterException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new InvalidFilterException("invalid: a filter must be a JSON object");
        }
        Set<String> ids = null;
        Set<String> authors = null;
        Set<Integer> kinds = null;
        Map<Character, Set<String>> tags = null;
        Long since = null;
        Long until = null;
        Integer limit = null;
        String search = null;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = (String) entry.getKey();
            Object v = entry.getValue();
            switch (key) {
                case "ids" -> ids = hexSet(key, v, limits);
                case "authors" -> authors = hexSet(key, v, limits);
                case "kinds" -> kinds = kindSet(v, limits);
                case "since" -> since = timestamp(key, v);
                case "until" -> until = timestamp(key, v);
                case "limit" -> limit = limit(v);
                case "search" -> search = search(v, limits);
                default -> {
                    if (key.length() == 2 && key.charAt(0) == '#' && isAsciiLetter(key.charAt(1))) {
                        if (tags == null) {
                            tags = new HashMap<>();
                        }
                        tags.put(key.charAt(1), stringSet(key, v, limits));
                    } else {
                        throw new InvalidFilterException("unsupported: filter field \""
                                + Json.abbreviate(key, 32) + "\" is not supported");
                    }
                }
            }
        }
        return new Filter(ids, authors, kinds, tags, since, until, limit, search);
    }

    /** Parses the filters of a REQ or COUNT (elements 2.. of the message). */
    public static List<Filter> listFromJson(List<?> values, FilterLimits limits) throws InvalidFilterException {
        if (values.isEmpty()) {
            throw new InvalidFilterException("invalid: at least one filter is required");
        }
        if (values.size() > limits.maxFilters()) {
            throw new InvalidFilterException("invalid: too many filters (at most " + limits.maxFilters() + ")");
        }
        List<Filter> filters = new ArrayList<>(values.size());
        for (Object v : values) {
            filters.add(fromJson(v, limits));
        }
        return List.copyOf(filters);
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static List<?> array(String key, Object v, FilterLimits limits) throws InvalidFilterException {
        if (!(v instanceof List<?> list)) {
            throw new InvalidFilterException("invalid: \"" + key + "\" must be an array");
        }
        if (list.size() > limits.maxValuesPerField()) {
            throw new InvalidFilterException("invalid: \"" + key + "\" has more than " + limits.maxValuesPerField()
                    + " values");
        }
        return list;
    }

    private static Set<String> hexSet(String key, Object v, FilterLimits limits) throws InvalidFilterException {
        Set<String> out = new HashSet<>();
        for (Object item : array(key, v, limits)) {
            if (!(item instanceof String s) || !Hex.isLowerHex(s, 64)) {
                throw new InvalidFilterException("invalid: \"" + key
                        + "\" values must be 64 lowercase hex characters (prefixes are not supported)");
            }
            out.add(s);
        }
        return out;
    }

    private static Set<String> stringSet(String key, Object v, FilterLimits limits) throws InvalidFilterException {
        Set<String> out = new HashSet<>();
        for (Object item : array(key, v, limits)) {
            if (!(item instanceof String s)) {
                throw new InvalidFilterException("invalid: \"" + key + "\" values must be strings");
            }
            out.add(s);
        }
        return out;
    }

    private static Set<Integer> kindSet(Object v, FilterLimits limits) throws InvalidFilterException {
        Set<Integer> out = new HashSet<>();
        for (Object item : array("kinds", v, limits)) {
            Long k = item instanceof Json.JsonNumber n ? n.longValueOrNull() : null;
            if (k == null || k < 0 || k > KindClass.MAX_KIND) {
                throw new InvalidFilterException("invalid: \"kinds\" values must be integers from 0 to 65535");
            }
            out.add(k.intValue());
        }
        return out;
    }

    private static Long timestamp(String key, Object v) throws InvalidFilterException {
        Long t = v instanceof Json.JsonNumber n ? n.longValueOrNull() : null;
        if (t == null || t < 0) {
            throw new InvalidFilterException("invalid: \"" + key + "\" must be a non-negative integer");
        }
        return t;
    }

    private static String search(Object v, FilterLimits limits) throws InvalidFilterException {
        if (!(v instanceof String s)) {
            throw new InvalidFilterException("invalid: \"search\" must be a string");
        }
        if (s.length() > limits.maxSearchLength()) {
            throw new InvalidFilterException("invalid: \"search\" is longer than " + limits.maxSearchLength()
                    + " characters");
        }
        return s;
    }

    private static Integer limit(Object v) throws InvalidFilterException {
        Long l = v instanceof Json.JsonNumber n ? n.longValueOrNull() : null;
        if (l == null || l < 0) {
            throw new InvalidFilterException("invalid: \"limit\" must be a non-negative integer");
        }
        // Any larger limit is clamped to the relay's cap anyway.
        return (int) Math.min(l, Integer.MAX_VALUE);
    }

    /** Serializes back to a compact JSON object (used by clients, the load generator and the event bus). */
    public String toJson() {
        StringBuilder sb = new StringBuilder(64);
        sb.append('{');
        boolean[] first = {true};
        if (ids != null) {
            field(sb, first, "ids");
            stringArray(sb, ids);
        }
        if (authors != null) {
            field(sb, first, "authors");
            stringArray(sb, authors);
        }
        if (kinds != null) {
            field(sb, first, "kinds");
            sb.append('[');
            int i = 0;
            for (Integer k : kinds) {
                sb.append(i++ > 0 ? "," : "").append(k);
            }
            sb.append(']');
        }
        for (Map.Entry<Character, Set<String>> t : tags.entrySet()) {
            field(sb, first, "#" + t.getKey());
            stringArray(sb, t.getValue());
        }
        if (since != null) {
            field(sb, first, "since");
            sb.append(since);
        }
        if (until != null) {
            field(sb, first, "until");
            sb.append(until);
        }
        if (limit != null) {
            field(sb, first, "limit");
            sb.append(limit);
        }
        if (search != null) {
            field(sb, first, "search");
            Json.writeString(sb, search);
        }
        return sb.append('}').toString();
    }

    private static void field(StringBuilder sb, boolean[] first, String name) {
        if (!first[0]) {
            sb.append(',');
        }
        first[0] = false;
        Json.writeString(sb, name);
        sb.append(':');
    }

    private static void stringArray(StringBuilder sb, Set<String> values) {
        sb.append('[');
        int i = 0;
        for (String v : values) {
            if (i++ > 0) {
                sb.append(',');
            }
            Json.writeString(sb, v);
        }
        sb.append(']');
    }
}
