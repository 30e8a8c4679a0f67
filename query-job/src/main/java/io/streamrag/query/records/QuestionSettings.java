package io.streamrag.query.records;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Question;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.functions.ParseQuestion;
import io.streamrag.query.generate.StrategyName;
import io.streamrag.query.retrieve.HybridRetriever;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A question's defaults and bounds ({@code query.strategy}, {@code n}, {@code k}, {@code deadline}, {@code max-n},
 * {@code max-k}, {@code max-question-bytes}) and the budget plan with its default budget ({@code query.plan*}), for
 * {@code ParseQuestion}.
 *
 * @param plan read when the job is built, so a missing or malformed plan fails the submission, not each question
 */
public record QuestionSettings(StrategyName strategy, int n, int k, Duration deadline, int maxN, int maxK, BudgetPlan plan,
                               Long defaultBudgetTokens, Duration defaultBudgetLatency, long maxQuestionBytes)
        implements Serializable {

    public static QuestionSettings from(Configuration conf) {
        // The defaults within the bounds a question is held to (ParseQuestion): outside them every question that kept a
        // default was FAILED as invalid; and k within what one search can return.
        int maxN = OptionChecks.atLeast(conf, QueryOptions.MAX_N, 1);
        int maxK = OptionChecks.between(conf, QueryOptions.MAX_K, 1, HybridRetriever.MAX_HITS);
        int n = OptionChecks.between(conf, QueryOptions.N, 1, QueryOptions.MAX_N);
        int k = OptionChecks.between(conf, QueryOptions.K, 1, QueryOptions.MAX_K);
        Duration deadline = OptionChecks.between(conf, QueryOptions.DEADLINE, Duration.ofMillis(1),
                Duration.ofMillis(ParseQuestion.MAX_DEADLINE_MS));
        Long tokens = conf.get(QueryOptions.PLAN_DEFAULT_BUDGET_TOKENS);
        Duration latency = conf.get(QueryOptions.PLAN_DEFAULT_BUDGET_LATENCY);
        if (tokens != null && tokens < 1) {
            throw new IllegalArgumentException(QueryOptions.PLAN_DEFAULT_BUDGET_TOKENS.key() + " must be at least 1, was " + tokens);
        }
        if (latency != null && latency.toMillis() < 1) {
            throw new IllegalArgumentException(QueryOptions.PLAN_DEFAULT_BUDGET_LATENCY.key() + " must be at least 1ms, was " + latency);
        }
        long maxQuestionBytes = conf.get(QueryOptions.MAX_QUESTION_BYTES).getBytes();
        if (maxQuestionBytes < 1) {
            throw new IllegalArgumentException(QueryOptions.MAX_QUESTION_BYTES.key() + " must be at least 1 byte, was "
                    + maxQuestionBytes);
        }
        return new QuestionSettings(conf.get(QueryOptions.STRATEGY), n, k, deadline, maxN, maxK,
                conf.getOptional(QueryOptions.PLAN).map(file -> readPlan(file, maxK, maxN)).orElse(null), tokens, latency,
                maxQuestionBytes);
    }

    /**
     * The plan in {@code file}, its strategy names made the job's own (any case in the file), or an error when a setting
     * is one no question could run: an unknown strategy, or k or N past {@code query.max-k} / {@code query.max-n}
     * (every budgeted question would otherwise fail, or run RAG while reporting another strategy).
     */
    private static BudgetPlan readPlan(String file, int maxK, int maxN) {
        String where = "the budget plan " + QueryOptions.PLAN.key() + "=" + file;
        BudgetPlan plan;
        try {
            plan = BudgetPlan.read(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + where, e);
        }
        for (int i = 0; i < plan.settings.size(); i++) {
            BudgetPlan.Setting s = plan.settings.get(i);
            StrategyName strategy = StrategyName.parse(s.strategy());
            if (strategy == null) {
                throw new IllegalArgumentException(where + ": setting " + (i + 1) + " (" + s + ") names an unknown strategy; "
                        + "use " + StrategyName.choices());
            }
            if (s.k() > maxK || s.n() > maxN) {
                throw new IllegalArgumentException(where + ": setting " + (i + 1) + " (" + s + ") is past "
                        + QueryOptions.MAX_K.key() + "=" + maxK + " or " + QueryOptions.MAX_N.key() + "=" + maxN);
            }
            plan.settings.set(i, new BudgetPlan.Setting(strategy.name(), s.k(), s.n(), s.predictedAccuracy(), s.tokens(), s.ms()));
        }
        return plan;
    }

    /** The configured default budget, null when neither axis is set (questions then keep the defaults). */
    public Question.Budget defaultBudget() {
        Long ms = defaultBudgetLatency == null ? null : defaultBudgetLatency.toMillis();
        return defaultBudgetTokens == null && ms == null ? null : new Question.Budget(defaultBudgetTokens, ms);
    }
}
