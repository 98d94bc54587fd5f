package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.KindClass;
import org.junit.jupiter.api.Test;

class CorpusGeneratorTest {
    private static final long BASE = 1_790_000_000L;
    private static final CorpusGenerator.Params PARAMS = new CorpusGenerator.Params(7, 3000, 50, BASE, 86_400);

    @Test
    void sameSeedSameEventsWhateverTheThreadCount() {
        List<Event> one = new CorpusGenerator(PARAMS).generate(1);
        List<Event> four = new CorpusGenerator(PARAMS).generate(4);
        assertEquals(one, four);
        List<Event> otherSeed = new CorpusGenerator(new CorpusGenerator.Params(8, 10, 50, BASE, 86_400)).generate(2);
        assertTrue(!otherSeed.get(0).equals(one.get(0)));
    }

    @Test
    void everyEventIsValidAndTheMixIsVaried() throws Exception {
        List<Event> events = new CorpusGenerator(PARAMS).generate(2);
        Set<Integer> kinds = new HashSet<>();
        Set<KindClass> classes = new HashSet<>();
        Set<String> tagNames = new HashSet<>();
        Set<String> ids = new HashSet<>();
        int small = 0;
        int large = 0;
        for (Event e : events) {
            // Through the wire format and back, as the relay will read it.
            Event parsed = Event.parse(e.toJson());
            assertTrue(parsed.hasValidId() && parsed.hasValidSignature(Bip340.best()), e.toString());
            assertTrue(e.createdAt() <= BASE && e.createdAt() >= BASE - 86_400 - 600, e.toString());
            assertTrue(ids.add(e.id()));
            kinds.add(e.kind());
            classes.add(e.kindClass());
            e.tags().forEach(t -> tagNames.add(t.get(0)));
            small += e.content().length() < 10 ? 1 : 0;
            large += e.content().length() > 4096 ? 1 : 0;
        }
        assertTrue(kinds.size() >= 10, kinds.toString());
        assertEquals(Set.of(KindClass.values()), classes);
        assertTrue(tagNames.containsAll(Set.of("e", "p", "t", "d")), tagNames.toString());
        assertTrue(small > 100 && large > 10, small + " small, " + large + " large");
    }
}
