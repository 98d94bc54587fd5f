package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** NIP-50: extensions are set aside, a search with nothing left is no search, and search never matches live. */
class SearchQueryTest {
    private static Filter filter(String json) throws Exception {
        return Filter.fromJson(Json.parse(json), FilterLimits.DEFAULT);
    }

    @Test
    void keyValueExtensionsAreSetAsideAndTheWordsKept() {
        SearchQuery q = SearchQuery.parse("  best  nostr include:spam apps language:en nsfw:false ");
        assertEquals("best nostr apps", q.text());
        assertEquals(List.of("include:spam", "language:en", "nsfw:false"), q.extensions());
        assertEquals("https://example.com/x relay", SearchQuery.parse("https://example.com/x relay").text());
        assertEquals("a: :b 10:30", SearchQuery.parse("a: :b 10:30").text());
        assertTrue(SearchQuery.parse("include:spam").isEmpty());
        assertFalse(SearchQuery.parse("!!!").isEmpty());
    }

    @Test
    void aSearchFilterRoundTripsAndMatchesNoLiveEvent() throws Exception {
        Filter f = filter("{\"kinds\":[1],\"search\":\"orange include:spam\"}");
        assertEquals("orange include:spam", f.search());
        assertEquals(f, filter(f.toJson()));
        Event e = Event.sign(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, 1_700_000_000L, 1, List.of(), "orange", Bip340.best());
        assertFalse(f.matches(e));
        assertTrue(f.withoutSearch().matches(e));
        assertNull(f.withoutSearch().search());
    }

    @Test
    void aSearchOfOnlyExtensionsOrBlanksIsNoSearch() throws Exception {
        assertNull(filter("{\"search\":\"language:en\"}").search());
        assertNull(filter("{\"search\":\"   \"}").search());
        assertEquals(Filter.ALL, filter("{\"search\":\"\"}"));
    }
}
