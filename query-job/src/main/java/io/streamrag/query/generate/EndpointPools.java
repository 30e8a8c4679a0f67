package io.streamrag.query.generate;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fixed thread pool per endpoint per JVM, shared by every generate subtask in a TaskManager, so
 * {@code maxConcurrency} caps the endpoint per TaskManager rather than per subtask. Reference-counted.
 */
final class EndpointPools {

    /** A shared pool and how many endpoints use it. */
    private static final class Entry {
        final ExecutorService pool;
        int users;

        Entry(ExecutorService pool) {
            this.pool = pool;
        }
    }

    private static final Map<String, Entry> POOLS = new HashMap<>();

    private EndpointPools() {}

    private static String key(EndpointSpec spec) {
        return spec.name + "|" + spec.baseUrl + "|" + spec.model + "|" + spec.maxConcurrency;
    }

    static synchronized ExecutorService acquire(EndpointSpec spec) {
        Entry e = POOLS.computeIfAbsent(key(spec), k -> {
            AtomicInteger n = new AtomicInteger();
            return new Entry(Executors.newFixedThreadPool(spec.maxConcurrency, r -> {
                Thread t = new Thread(r, "endpoint-" + spec.name + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }));
        });
        e.users++;
        return e.pool;
    }

    static synchronized void release(EndpointSpec spec) {
        Entry e = POOLS.get(key(spec));
        if (e != null && --e.users <= 0) {
            POOLS.remove(key(spec));
            e.pool.shutdownNow();
        }
    }
}
