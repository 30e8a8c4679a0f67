package io.streamrag.ingest.health;

import java.io.Serializable;

/**
 * Whether the job's dependencies (OpenSearch, a remote embedding endpoint) answer, as the quarantine asks it before it
 * releases documents and when it counts a failure against them; {@link DependencyWatch} asks the real services.
 */
public interface DependencyHealth extends AutoCloseable {

    /** Every dependency always answers: nothing is probed (the quarantine behaves as it did before probes). */
    DependencyHealth UP = new DependencyHealth() {
        @Override
        public String down() {
            return null;
        }

        @Override
        public String checkNow() {
            return null;
        }
    };

    /** Builds the health of a subtask where it runs ({@code open()}): it may hold clients and a thread. */
    @FunctionalInterface
    interface Factory extends Serializable {
        DependencyHealth open();
    }

    /** A factory of {@link #UP}, for a job without probes. */
    static Factory alwaysUp() {
        return () -> UP;
    }

    /**
     * What did not answer at the last check (which dependency and why, for the log), or null when all did (or none was
     * checked yet). Never blocks: a background check keeps it fresh while {@link #watch watched}.
     */
    String down();

    /** Checks now and returns what {@link #down()} then says; blocks up to the probe's timeout (per dependency). */
    String checkNow() throws InterruptedException;

    /** Whether fresh answers are needed (the quarantine holds documents): only then are the dependencies asked. */
    default void watch(boolean wanted) {}

    @Override
    default void close() {}
}
