package io.streamrag.query.generate;

import java.util.HashMap;
import java.util.Map;

/**
 * One {@link EndpointHealth} (bulkhead, breaker, limiter) per endpoint per JVM, shared by every generate subtask in
 * a TaskManager, so {@code maxConcurrency} caps the endpoint per TaskManager rather than per subtask and every
 * subtask sees the same breaker. Reference-counted.
 */
final class EndpointPools {

    /** A shared health record and how many endpoints use it. */
    private static final class Entry {
        final EndpointHealth health;
        int users;

        Entry(EndpointHealth health) {
            this.health = health;
        }
    }

    private static final Map<String, Entry> POOLS = new HashMap<>();

    private EndpointPools() {}

    private static String key(EndpointSpec spec, HealthSettings settings) {
        return spec.name + "|" + spec.baseUrl + "|" + spec.model + "|" + spec.maxConcurrency + "|" + spec.rps + "|"
                + settings;
    }

    static synchronized EndpointHealth acquire(EndpointSpec spec, HealthSettings settings) {
        Entry e = POOLS.computeIfAbsent(key(spec, settings), k -> new Entry(new EndpointHealth(spec, settings)));
        e.users++;
        return e.health;
    }

    static synchronized EndpointHealth find(String name) {
        for (Entry e : POOLS.values()) {
            if (e.health.spec.name.equals(name)) {
                return e.health;
            }
        }
        return null;
    }

    static synchronized int size() {
        return POOLS.size();
    }

    static synchronized void release(EndpointSpec spec, HealthSettings settings) {
        Entry e = POOLS.get(key(spec, settings));
        if (e != null && --e.users <= 0) {
            POOLS.remove(key(spec, settings));
            e.health.close();
        }
    }
}
