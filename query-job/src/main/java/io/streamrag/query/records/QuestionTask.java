package io.streamrag.query.records;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;

/** A validated question with every default filled in. */
public class QuestionTask {
    public String questionId;
    public String tenant;
    public String text;
    public int n;
    public int k;
    public String strategy;
    public long deadlineMs;
    /** Wall-clock time the job parsed the question; latencies and the deadline count from here. */
    public long receivedAtMs;
    /** The budget plan's choice for this question, null when no plan applied. */
    public Answer.Plan plan;
    /** The question's sampling seed; null = candidates' seeds derive from questionId. */
    public Long seed;
    /**
     * Why the question is answered FAILED without a retrieval (invalid, or expired before it was read), or null. Such a
     * task goes no further than the re-send guard, which makes it its FAILED answer; it carries
     * its ids clipped and no text. It travels with the valid ones so that the guard takes a question's copies in the
     * order they were sent.
     */
    public String rejection;

    /** Tenant and questionId: what the job keys a question's state by ({@link Question#key}). */
    public String key() {
        return Question.key(tenant, questionId);
    }

    /**
     * {@link #key()} and the arrival: what tells a copy re-sent while the first is in flight from it, in the generate
     * operators' in-memory entries as in the vote (which keeps to the first copy).
     */
    public String arrivalKey() {
        return key() + '@' + receivedAtMs;
    }

    public QuestionTask() {}

    public long deadlineAtMs() {
        return receivedAtMs + deadlineMs;
    }

    /**
     * When candidates that travel to the vote together (an adaptive question's, or a multi-choice request's run one by
     * one) are handed over with whatever has finished: 5 % of the deadline before it, 20 to 250 ms. Handed over at the
     * deadline itself, they reached the vote after its own deadline timer had answered without them.
     */
    public long handoverAtMs() {
        return deadlineAtMs() - Math.max(20, Math.min(250, deadlineMs / 20));
    }
}
