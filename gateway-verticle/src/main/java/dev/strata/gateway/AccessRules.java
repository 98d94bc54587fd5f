package dev.strata.gateway;

import java.util.Collections;
import java.util.List;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.PrivateKinds;
import dev.strata.model.ProtectedEvents;
import dev.strata.model.RelayUrl;
import io.vertx.core.json.JsonObject;

/**
 * What a connection may do given the pubkeys it has authenticated (NIP-42): auth-required reads and writes, kinds
 * served only to their parties, and NIP-70 protected events. Decided here, at the gateway, because only the gateway
 * knows a connection's authentication; in a cluster the ingest and query nodes behind it never see it, and query
 * nodes get just the pubkeys a stored query is read for.
 *
 * @param relayUrl       this relay's URL, which an AUTH event's {@code relay} tag must name
 * @param relay          the same, parsed for the lenient comparison
 * @param windowSeconds  how far an AUTH event's created_at may be from now
 * @param maxPubkeys     pubkeys one connection may authenticate (verified or being verified)
 */
record AccessRules(String relayUrl, RelayUrl relay, boolean readsNeedAuth, boolean writesNeedAuth,
                   PrivateKinds privateKinds, long windowSeconds, int maxPubkeys) {
    static final int AUTH_KIND = 22242;

    static AccessRules from(JsonObject c) {
        String configured = c.getString("relay.url");
        String url = configured.isEmpty() ? "ws://localhost:" + c.getInteger("server.port") + "/" : configured;
        return new AccessRules(url, RelayUrl.parse(url),
                c.getBoolean("auth.required_for_reads"), c.getBoolean("auth.required_for_writes"),
                PrivateKinds.parse(c.getString("auth.private_kinds")), c.getInteger("auth.created_at_window_seconds"),
                c.getInteger("auth.max_pubkeys"));
    }

    /**
     * NIP-42: a client can answer an auth-required refusal only with a challenge in hand. When reads, writes or
     * kinds need AUTH the challenge goes out on connect (a client may want to authenticate before it is refused, say
     * to see its DMs among kindless results); otherwise right before the first auth-required answer.
     */
    boolean challengeOnConnect() {
        return readsNeedAuth || writesNeedAuth || !privateKinds.isEmpty();
    }

    /** Why this EVENT is refused on a connection authenticated as {@code pubkeys}, or null when it may go on. */
    String refusePublish(Event e, Set<String> pubkeys) {
        if (ProtectedEvents.isProtected(e)) {
            // NIP-70: accepted only from a connection authenticated as the author.
            if (pubkeys.isEmpty()) {
                return "auth-required: this event may only be published by its author";
            }
            return pubkeys.contains(e.pubkey()) ? null
                    : "restricted: this event may only be published by its author";
        }
        if (writesNeedAuth && pubkeys.isEmpty()) {
            return "auth-required: this relay accepts events only from authenticated clients";
        }
        return null;
    }

    /**
     * Why this REQ is refused, or null when it may run. An unauthenticated connection asking for a private kind by
     * number is told to AUTH; its kindless filters run without the private events. An authenticated one is refused
     * (NIP-42 restricted:) only when every filter can match nothing but private events of which none of its pubkeys
     * is a party: private kinds only, authors none of its pubkeys, and a {@code #p} naming none of them. Otherwise
     * what it may not see (other people's private events) is left out of its results, since whether a filter
     * matches only those is not known before reading.
     */
    String refuseRead(List<Filter> filters, Set<String> pubkeys) {
        if (!pubkeys.isEmpty()) {
            for (Filter f : filters) {
                if (!closedTo(f, pubkeys)) {
                    return null;
                }
            }
            return "restricted: kind " + privateKinds.namedBy(filters.get(0)) + " is served only to its author and"
                    + " the pubkeys it tags, and this request names none of the pubkeys you authenticated";
        }
        if (readsNeedAuth) {
            return "auth-required: this relay serves only authenticated clients";
        }
        for (Filter f : filters) {
            int kind = privateKinds.namedBy(f);
            if (kind >= 0) {
                return "auth-required: kind " + kind + " is served only to its author and the pubkeys it tags";
            }
        }
        return null;
    }

    /** True when the filter can match only private events none of {@code pubkeys} is a party to. */
    private boolean closedTo(Filter f, Set<String> pubkeys) {
        Set<String> tagged = f.tags().get('p');
        return privateKinds.onlyPrivate(f) && f.authors() != null && Collections.disjoint(f.authors(), pubkeys)
                && tagged != null && Collections.disjoint(tagged, pubkeys);
    }

    /**
     * The NIP-42 checks of an AUTH event that need no signature work, in the order a client would fix them; null
     * when all pass.
     */
    String refuseAuth(Event e, String challenge, long nowSeconds) {
        if (e.kind() != AUTH_KIND) {
            return "invalid: AUTH takes a kind " + AUTH_KIND + " event, not kind " + e.kind();
        }
        if (Math.abs(e.createdAt() - nowSeconds) > windowSeconds) {
            return "invalid: created_at is more than " + windowSeconds + " seconds away from now";
        }
        if (!challenge.equals(e.firstTagValue("challenge"))) {
            return "invalid: the challenge tag does not match this connection's challenge";
        }
        String tag = e.firstTagValue("relay");
        if (tag == null || !relay.matches(tag)) {
            return "invalid: the relay tag does not name this relay (" + relayUrl + ")";
        }
        return null;
    }
}
