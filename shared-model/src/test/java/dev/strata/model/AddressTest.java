package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class AddressTest {
    private static final String PK = "ab".repeat(32);

    @Test
    void addressableAddressesKeepTheirDTagColonsIncluded() {
        assertEquals(new Address(30023, PK, "my:post"), Address.parse("30023:" + PK + ":my:post"));
        assertEquals(new Address(30000, PK, ""), Address.parse("30000:" + PK + ":"));
        assertEquals(new Address(30000, PK, ""), Address.parse("30000:" + PK));
    }

    @Test
    void aReplaceableAddressHasNoDTag() {
        assertEquals(new Address(0, PK, ""), Address.parse("0:" + PK + ":"));
        assertEquals(new Address(10002, PK, ""), Address.parse("10002:" + PK + ":ignored"));
    }

    @Test
    void anythingElseIsNoAddress() {
        for (String bad : List.of("", ":" + PK + ":", "1:" + PK + ":", "5:" + PK + ":", "20000:" + PK + ":",
                "65536:" + PK + ":", "300000:" + PK + ":", "-1:" + PK + ":", "30000:" + PK.toUpperCase() + ":",
                "30000:" + PK.substring(2) + ":", "30000:" + PK + "x", "x:" + PK + ":")) {
            assertNull(Address.parse(bad), bad);
        }
    }
}
