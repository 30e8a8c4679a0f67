package io.streamrag.query.generate;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.retrieve.RetrieveSettings;
import io.streamrag.query.vote.StopRule;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * What the generate operators need, parsed once by the job: calls ({@code query.retry.*}, {@code query.max-tokens}),
 * strategies ({@code query.drag.*}, {@code query.iterdrag.*}), endpoint health and hedging, the temperature, and the
 * adaptive waves ({@code query.adaptive.*}).
 *
 * @param demonstrations the DRAG demonstrations file; null = the bundled ones
 * @param followUpRetrieval where ITERDRAG's follow-up retrieval searches (opened on first use): the retrieval
 *        operator's settings
 */
public record GenerateSettings(RetryPolicy retry, int maxTokens, String demonstrations, int numDemonstrations,
                               int maxFollowUps, HealthSettings health, HedgeSettings hedge, double temperature,
                               int firstWave, int waveSize, StopRule stopRule, double threshold, int lead,
                               RetrieveSettings followUpRetrieval) implements Serializable {

    public static GenerateSettings from(Configuration conf) {
        // A wave of 0 made no calls and the waves stopped silently; a lead of 0 stopped after the first wave.
        OptionChecks.atLeast(conf, QueryOptions.ADAPTIVE_FIRST_WAVE, 1);
        OptionChecks.atLeast(conf, QueryOptions.ADAPTIVE_WAVE_SIZE, 1);
        OptionChecks.atLeast(conf, QueryOptions.ADAPTIVE_LEAD, 1);
        double threshold = conf.get(QueryOptions.ADAPTIVE_THRESHOLD);
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException(QueryOptions.ADAPTIVE_THRESHOLD.key() + " must be in (0, 1], was " + threshold);
        }
        return new GenerateSettings(RetryPolicy.from(conf), OptionChecks.atLeast(conf, QueryOptions.MAX_TOKENS, 1),
                conf.get(QueryOptions.DRAG_DEMONSTRATIONS), conf.get(QueryOptions.DRAG_NUM_DEMONSTRATIONS),
                conf.get(QueryOptions.ITERDRAG_MAX_FOLLOW_UPS), HealthSettings.from(conf), HedgeSettings.from(conf),
                conf.get(QueryOptions.TEMPERATURE), conf.get(QueryOptions.ADAPTIVE_FIRST_WAVE),
                conf.get(QueryOptions.ADAPTIVE_WAVE_SIZE), conf.get(QueryOptions.ADAPTIVE_STOP_RULE),
                conf.get(QueryOptions.ADAPTIVE_THRESHOLD), conf.get(QueryOptions.ADAPTIVE_LEAD), RetrieveSettings.from(conf));
    }
}
