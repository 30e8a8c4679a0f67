package io.streamrag.query.records;

import io.streamrag.common.records.Answer;

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

    public QuestionTask() {}

    public long deadlineAtMs() {
        return receivedAtMs + deadlineMs;
    }
}
