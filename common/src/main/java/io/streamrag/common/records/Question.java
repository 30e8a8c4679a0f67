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

    public Question() {}
}
