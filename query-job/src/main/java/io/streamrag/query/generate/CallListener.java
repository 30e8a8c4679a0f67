package io.streamrag.query.generate;

/** Receives per-call events for metrics; the default does nothing. */
public interface CallListener {
    CallListener NONE = new CallListener() {};

    default void retried(String endpoint) {}

    default void callLatency(String endpoint, long millis) {}
}
