package io.streamrag.query.generate;

/** Receives per-call events for metrics; the default does nothing. */
public interface CallListener {
    CallListener NONE = new CallListener() {};

    default void retried(String endpoint) {}

    default void callLatency(String endpoint, long millis) {}

    /** Tokens spent by a call chain whose candidate's result was already out (a losing spare or hedge). */
    default void tokensSpent(String endpoint, long tokensIn, long tokensOut) {}
}
