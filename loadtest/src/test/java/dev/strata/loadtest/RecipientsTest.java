package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import org.junit.jupiter.api.Test;

/** The indexed lookup against the obvious reference: every subscription tested against every event. */
class RecipientsTest {
    @Test
    void findsExactlyTheSubscriptionsABruteForceScanFinds() {
        List<Event> events = new CorpusGenerator(new CorpusGenerator.Params(3, 2000, 40, 1_790_000_000L, 86_400))
                .generate(2);
        Corpus corpus = Corpus.of(events);
        FanoutScenario.Plan plan = new FanoutScenario.Plan(2000, 10, 100, 50, 0, events.size(), 10, 0, 5, 11);
        List<List<Filter>> subs = new ArrayList<>(FanoutScenario.subscriptionFilters(corpus, plan));
        subs.add(List.of(Filter.ALL)); // a broad filter: checked for every event
        Recipients recipients = new Recipients(subs);
        long matches = 0;
        for (Event e : events) {
            List<Integer> expected = new ArrayList<>();
            for (int s = 0; s < subs.size(); s++) {
                if (Filter.anyMatches(subs.get(s), e)) {
                    expected.add(s);
                }
            }
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), recipients.of(e));
            matches += expected.size();
        }
        // Not a vacuous check: the drawn filters match a fair share of events besides the broad one.
        assertTrue(matches > 3L * events.size(), "only " + matches + " matches");
    }
}
