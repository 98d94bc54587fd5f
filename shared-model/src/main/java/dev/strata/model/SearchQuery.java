package dev.strata.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A NIP-50 {@code search} string split into the words to look for and its {@code key:value} extensions.
 *
 * <p>NIP-50: "A query string may contain key:value pairs (two words separated by colon), these are extensions,
 * relays SHOULD ignore extensions they don't support." This relay supports none ({@code include:spam} asks to turn
 * off a spam filter it does not have), so every extension is set aside and only {@link #text()} is searched. A
 * token is an extension when a word of letters, digits, {@code _} or {@code -} starting with a letter is followed by
 * a colon and a value starting with a letter or digit: {@code language:en}, {@code nsfw:false}; a URL such as
 * {@code https://example.com} is not one (its value starts with {@code /}) and stays in the text.
 *
 * <p>How the text is cut into words is the store engine's (Lucene's standard tokenizer, PostgreSQL's text-search
 * parser), both lower-casing and neither stemming, so that a word matches itself in any language; an event matches
 * when its content holds every word.
 *
 * @param text       the query without its extensions, words separated by single spaces
 * @param extensions the {@code key:value} tokens set aside, in order
 */
public record SearchQuery(String text, List<String> extensions) {
    /**
     * Kinds whose content is not text for people to search, so no engine indexes it and no search finds them: the
     * ciphertext of NIP-04 direct messages and NIP-59 gift wraps, the embedded event JSON of NIP-18 reposts. Their
     * "words" are base64 and hex that would only bloat a full-text index. (PostgreSQL's migration 2 names the same
     * kinds; a change here needs a new migration there.)
     */
    public static final Set<Integer> UNSEARCHED_KINDS = Set.of(4, 6, 16, 1059);

    private static final Pattern EXTENSION = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*:[\\p{L}\\p{N}]\\S*");

    public SearchQuery {
        extensions = List.copyOf(extensions);
    }

    public static SearchQuery parse(String search) {
        List<String> words = new ArrayList<>();
        List<String> extensions = new ArrayList<>();
        for (String token : search.strip().split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            (EXTENSION.matcher(token).matches() ? extensions : words).add(token);
        }
        return new SearchQuery(String.join(" ", words), extensions);
    }

    /** Nothing to search for: the search asks for no condition. */
    public boolean isEmpty() {
        return text.isEmpty();
    }
}
