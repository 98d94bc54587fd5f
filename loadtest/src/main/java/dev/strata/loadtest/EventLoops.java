package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * One Vert.x context per event loop. A connection is opened on one of them and every callback of that connection
 * runs there, so its state needs no lock; connections are spread round-robin so all loops share the work. (A
 * plain thread would get the same "sticky" loop for every connection it opens.)
 */
final class EventLoops {
    private final List<Context> contexts;
    private int next;

    private EventLoops(List<Context> contexts) {
        this.contexts = contexts;
    }

    static EventLoops deploy(Vertx vertx, int count) {
        List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
        Future<String> deployed = vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start() {
                contexts.add(context);
            }
        }, new DeploymentOptions().setInstances(count));
        Main.await(deployed, 30, "starting the client's event loops");
        return new EventLoops(List.copyOf(contexts));
    }

    /** The next context, round-robin. */
    synchronized Context next() {
        Context c = contexts.get(next);
        next = (next + 1) % contexts.size();
        return c;
    }

    int size() {
        return contexts.size();
    }
}
