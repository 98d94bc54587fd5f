package dev.strata.gateway;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process-wide connection cap, shared by every gateway instance of one JVM: each instance runs on its own
 * event loop, and a per-instance share of the cap would refuse on one loop while another still has room.
 */
public final class ConnectionSlots {
    private final int max;
    private final AtomicInteger inUse = new AtomicInteger();

    public ConnectionSlots(int max) {
        this.max = max;
    }

    boolean tryAcquire() {
        while (true) {
            int n = inUse.get();
            if (n >= max) {
                return false;
            }
            if (inUse.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        inUse.decrementAndGet();
    }

    int inUse() {
        return inUse.get();
    }
}
