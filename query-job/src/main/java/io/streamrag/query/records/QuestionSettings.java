package io.streamrag.query.records;

import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Question;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.generate.StrategyName;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A question's defaults and bounds ({@code query.strategy}, {@code n}, {@code k}, {@code deadline}, {@code max-n},
 * {@code max-k}) and the budget plan with its default budget ({@code query.plan*}), for {@code ParseQuestion}.
 *
 * @param plan read when the job is built, so a missing or malformed plan fails the submission, not each question
 */
public record QuestionSettings(StrategyName strategy, int n, int k, Duration deadline, int maxN, int maxK, BudgetPlan plan,
                               Long defaultBudgetTokens, Duration defaultBudgetLatency) implements Serializable {

    public static QuestionSettings from(Configuration conf) {
        return new QuestionSettings(conf.get(QueryOptions.STRATEGY), conf.get(QueryOptions.N), conf.get(QueryOptions.K),
                conf.get(QueryOptions.DEADLINE), conf.get(QueryOptions.MAX_N), conf.get(QueryOptions.MAX_K),
                conf.getOptional(QueryOptions.PLAN).map(QuestionSettings::readPlan).orElse(null),
                conf.get(QueryOptions.PLAN_DEFAULT_BUDGET_TOKENS), conf.get(QueryOptions.PLAN_DEFAULT_BUDGET_LATENCY));
    }

    private static BudgetPlan readPlan(String file) {
        try {
            return BudgetPlan.read(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the budget plan " + QueryOptions.PLAN.key() + "=" + file, e);
        }
    }

    /** The configured default budget, null when neither axis is set (questions then keep the defaults). */
    public Question.Budget defaultBudget() {
        Long ms = defaultBudgetLatency == null ? null : defaultBudgetLatency.toMillis();
        return defaultBudgetTokens == null && ms == null ? null : new Question.Budget(defaultBudgetTokens, ms);
    }
}
