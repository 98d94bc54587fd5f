package dev.strata.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.strata.model.Event;

/** One index an event appears in, and its key prefix there. */
record IndexPrefix(Index index, byte[] prefix) {
    private static final IndexPrefix CREATED = new IndexPrefix(Index.CREATED, new byte[0]);

    /** Every index entry of an event: writing and deleting an event must agree on this list exactly. */
    static List<IndexPrefix> of(Event e) {
        List<List<String>> tags = e.tags();
        List<IndexPrefix> out = new ArrayList<>(4 + tags.size());
        byte[] author = Keys.author(e.pubkey());
        byte[] kind = Keys.kind(e.kind());
        out.add(CREATED);
        out.add(new IndexPrefix(Index.AUTHOR, author));
        out.add(new IndexPrefix(Index.KIND, kind));
        out.add(new IndexPrefix(Index.AUTHOR_KIND, Keys.concat(author, kind)));
        // Events often repeat a tag value; the second entry would only rewrite the same key. Most events have a
        // handful of tags, where comparing with those seen is cheaper than hashing.
        Set<Keys.TagKey> seen = tags.size() > 16 ? new HashSet<>() : null;
        int firstTag = out.size();
        for (List<String> tag : tags) {
            String name = tag.get(0);
            if (name.length() != 1 || tag.size() < 2) {
                continue;
            }
            byte[] key = Keys.tag(name.charAt(0), tag.get(1));
            if (seen != null ? seen.add(new Keys.TagKey(key)) : !contains(out, firstTag, key)) {
                out.add(new IndexPrefix(Index.TAG, key));
            }
        }
        return out;
    }

    private static boolean contains(List<IndexPrefix> out, int from, byte[] key) {
        for (int i = from; i < out.size(); i++) {
            if (Arrays.equals(out.get(i).prefix, key)) {
                return true;
            }
        }
        return false;
    }
}
