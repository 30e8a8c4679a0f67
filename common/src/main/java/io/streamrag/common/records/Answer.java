package io.streamrag.common.records;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one record per question on the {@code answers} topic (see CONTRACT.md). */
public class Answer {

    /** Outcome of a question. */
    public enum Status {
        ANSWERED,
        NO_CONTEXT,
        FAILED
    }

    /** One group of equivalent final answers. */
    public static class Vote {
        public String answer;
        public int count;
        public double weight;

        public Vote() {}

        public Vote(String answer, int count, double weight) {
            this.answer = answer;
            this.count = count;
            this.weight = weight;
        }
    }

    /** What one reasoning candidate did. */
    public static class Candidate {
        public String endpoint;
        public String model;
        public String status;
        public String answer;
        public long latencyMs;
        public long tokensIn;
        public long tokensOut;
        /** Model calls this candidate made (retries and hedges included). */
        public int attempts;
        public String error;

        public Candidate() {}
    }

    /** Budget spent on the question. */
    public static class Usage {
        public int candidatesRequested;
        public int candidatesSucceeded;
        public int candidatesSaved;
        /** Spare calls started because a call ran past the endpoint's hedge delay (bounded per question). */
        public int hedgedCalls;
        /** In-flight calls aborted because the vote was decided (or a hedge won) before they answered. */
        public int cancelledCalls;
        public long tokensIn;
        public long tokensOut;

        public Usage() {}
    }

    /** The setting a budget plan chose for the question (absent when no budget or no plan applied). */
    public static class Plan {
        public String strategy;
        public int k;
        public int n;
        /** The budget it was chosen for (null = no limit on that axis). */
        public Long budgetTokens;
        public Long budgetMs;
        /** What the plan expects of this setting: accuracy from the fitted model, tokens and p50 latency as swept. */
        public double predictedAccuracy;
        public double predictedTokens;
        public double predictedMs;
        /** False when no setting of the plan fits the budget and the cheapest one was used. */
        public boolean withinBudget;

        public Plan() {}
    }

    public String questionId;
    public String tenant;
    public Status status;
    public String answer;
    public Double agreement;
    public String error;
    public String strategy;
    public List<Vote> votes = new ArrayList<>();
    public List<ChunkRef> citations = new ArrayList<>();
    public List<ChunkRef> retrieved = new ArrayList<>();
    public List<Candidate> candidates = new ArrayList<>();
    public Usage usage = new Usage();
    public Map<String, Long> latencyMs = new LinkedHashMap<>();
    public Plan plan;

    public Answer() {}
}
