package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReceivedTest {
    @Test
    void countsFirstDeliveriesRepeatsAndEventsOutsideThePlan() {
        FanoutScenario.Received r = new FanoutScenario.Received(10);
        assertTrue(r.add(3), "the first delivery of a planned event");
        assertFalse(r.add(3), "the same event again");
        assertFalse(r.add(3));
        assertTrue(r.add(9));
        assertFalse(r.add(10), "past the plan");
        assertFalse(r.add(-4), "before the plan");
        assertEquals(3, r.take(3));
        assertEquals(0, r.take(3), "taken already");
        assertEquals(0, r.take(5), "never received");
        assertEquals(3, r.rest(), "event 9 was not taken, and the two outside the plan");
        assertEquals(1, r.take(9));
        assertEquals(2, r.rest());
    }
}
