package io.streamrag.common.records;

/** A question on the {@code questions} topic; optional fields fall back to configuration. */
public class Question {
    public String questionId;
    public String tenant;
    public String text;
    public Integer n;
    public Integer k;
    public String strategy;
    public Long deadlineMs;
    /** When the question was asked (epoch milliseconds); the deadline counts from here, else from the record timestamp. */
    public Long askedAt;
    /** What the question may spend; with a plan loaded the job picks strategy, k and n for it (see CONTRACT.md). */
    public Budget budget;
    /** Sampling seed: the same question with the same seed and settings gets the same candidates; null = from questionId. */
    public Long seed;

    /**
     * A question's identity: its tenant and questionId (escaped like {@link Chunk#documentKey}). Two tenants may use
     * the same questionId; their questions are never voted, deduplicated or answered together.
     */
    public static String key(String tenant, String questionId) {
        return Chunk.documentKey(tenant == null ? "" : tenant, questionId);
    }

    /** A question's spending limit: tokens (in + out, all calls) and/or a latency in milliseconds; null = no limit. */
    public static class Budget {
        public Long tokens;
        public Long ms;

        public Budget() {}

        public Budget(Long tokens, Long ms) {
            this.tokens = tokens;
            this.ms = ms;
        }
    }

    public Question() {}
}
