package dev.strata.store;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.strata.model.Event;

/** One index an event appears in, and its key prefix there. */
record IndexPrefix(Index index, byte[] prefix) {

    /** Every index entry of an event: writing and deleting an event must agree on this list exactly. */
    static List<IndexPrefix> of(Event e) {
        List<IndexPrefix> out = new ArrayList<>(4 + e.tags().size());
        out.add(new IndexPrefix(Index.CREATED, new byte[0]));
        out.add(new IndexPrefix(Index.AUTHOR, Keys.author(e.pubkey())));
        out.add(new IndexPrefix(Index.KIND, Keys.kind(e.kind())));
        out.add(new IndexPrefix(Index.AUTHOR_KIND, Keys.authorKind(e.pubkey(), e.kind())));
        // Events often repeat a tag value; the second entry would only rewrite the same key.
        Set<String> seen = new LinkedHashSet<>();
        for (List<String> tag : e.tags()) {
            String name = tag.get(0);
            if (name.length() == 1 && tag.size() > 1 && seen.add(name + tag.get(1))) {
                out.add(new IndexPrefix(Index.TAG, Keys.tag(name.charAt(0), tag.get(1))));
            }
        }
        return out;
    }
}
