package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;
import io.streamrag.query.retrieve.RetrieveSettings;
import io.streamrag.query.vote.StopRule;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * What the generate operators need, parsed once by the job: calls ({@code query.retry.*}, {@code query.max-tokens}),
 * strategies ({@code query.drag.*}, {@code query.iterdrag.*}), endpoint health and hedging, the temperature, and the
 * adaptive waves ({@code query.adaptive.*}).
 */
public class GenerateSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public RetryPolicy retry = new RetryPolicy(2, 200, 5_000);
    public int maxTokens = 256;
    /** DRAG demonstrations file; null = the bundled ones. */
    public String demonstrations;
    public int numDemonstrations = 2;
    public int maxFollowUps = 2;
    public HealthSettings health = new HealthSettings();
    public HedgeSettings hedge = HedgeSettings.off();
    public double temperature = 0.7;
    public int firstWave = 3;
    public int waveSize = 2;
    public StopRule stopRule = StopRule.LEAD;
    public double threshold = 0.95;
    public int lead = 3;
    /** Where ITERDRAG's follow-up retrieval searches (opened on first use): the retrieval operator's settings. */
    public RetrieveSettings followUpRetrieval;

    public GenerateSettings() {}

    public static GenerateSettings from(Configuration conf) {
        GenerateSettings s = new GenerateSettings();
        s.retry = RetryPolicy.from(conf);
        s.maxTokens = conf.get(QueryOptions.MAX_TOKENS);
        s.demonstrations = conf.get(QueryOptions.DRAG_DEMONSTRATIONS);
        s.numDemonstrations = conf.get(QueryOptions.DRAG_NUM_DEMONSTRATIONS);
        s.maxFollowUps = conf.get(QueryOptions.ITERDRAG_MAX_FOLLOW_UPS);
        s.health = HealthSettings.from(conf);
        s.hedge = HedgeSettings.from(conf);
        s.temperature = conf.get(QueryOptions.TEMPERATURE);
        s.firstWave = conf.get(QueryOptions.ADAPTIVE_FIRST_WAVE);
        s.waveSize = conf.get(QueryOptions.ADAPTIVE_WAVE_SIZE);
        s.stopRule = conf.get(QueryOptions.ADAPTIVE_STOP_RULE);
        s.threshold = conf.get(QueryOptions.ADAPTIVE_THRESHOLD);
        s.lead = conf.get(QueryOptions.ADAPTIVE_LEAD);
        s.followUpRetrieval = RetrieveSettings.from(conf);
        return s;
    }
}
