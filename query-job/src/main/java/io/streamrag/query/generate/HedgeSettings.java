package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * When to start a spare call ({@code query.hedge.*}): a fixed delay, or the endpoint's observed latency percentile
 * capped at a multiple of its median; and how many spares to start up front ({@link SparePlanner}).
 */
public class HedgeSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public boolean enabled;
    /** Fixed delay in ms; negative = use {@link #percentile}. */
    public long delayMs = -1;
    public double percentile = 95;
    /** Cap of the observed delay in medians; 0 = no cap. */
    public double medianFactor = 2;
    public double maxExtra = 0.2;
    /** Up-front spares: at most this share of extra calls (spares and hedges) over the primary calls; 0 = none. */
    public double spareMaxExtraCalls = 0.15;
    /** Up-front spares: the chance of missing the vote's quorum by the fast calls they aim to stay under. */
    public double spareTargetMiss = 0.002;

    public HedgeSettings() {}

    public static HedgeSettings off() {
        return new HedgeSettings();
    }

    public static HedgeSettings from(Configuration conf) {
        HedgeSettings h = new HedgeSettings();
        h.maxExtra = conf.get(QueryOptions.HEDGE_MAX_EXTRA);
        h.enabled = conf.get(QueryOptions.HEDGE_ENABLED) && h.maxExtra > 0;
        h.delayMs = conf.getOptional(QueryOptions.HEDGE_DELAY).map(d -> d.toMillis()).orElse(-1L);
        h.percentile = conf.get(QueryOptions.HEDGE_PERCENTILE);
        h.medianFactor = conf.get(QueryOptions.HEDGE_MEDIAN_FACTOR);
        h.spareMaxExtraCalls = conf.get(QueryOptions.HEDGE_SPARE_MAX_EXTRA_CALLS);
        h.spareTargetMiss = conf.get(QueryOptions.HEDGE_SPARE_TARGET_MISS);
        return h;
    }

    /** The hedge delay for calls on {@code health}, or -1 when there is none yet (too few observed calls). */
    long delayFor(EndpointHealth health) {
        if (!enabled) {
            return -1;
        }
        if (delayMs >= 0) {
            return delayMs;
        }
        long observed = health.latencyPercentile(percentile);
        if (observed < 0 || medianFactor <= 0) {
            return observed;
        }
        // With a slow share above 100 - percentile (e.g. 10 % of calls 10x slower), the percentile is a slow call:
        // hedging then would come too late to help. A multiple of the median is robust to any slow share below half.
        return Math.min(observed, Math.round(medianFactor * health.latencyPercentile(50)));
    }

    /**
     * The share of calls on {@code health} that are stragglers: slower than the fixed hedge delay, else than
     * median-factor x the median (the time a straggler gets hedged at the latest); -1 when unknown or no cap is set.
     * Not the percentile: by definition 5 % of calls pass p95, also on a healthy endpoint.
     */
    double stragglerShare(EndpointHealth health) {
        long threshold = stragglerThreshold(health);
        return threshold < 0 ? -1 : health.stragglerShare(threshold);
    }

    /** The duration past which a call on {@code health} is a straggler (see {@link #stragglerShare}), or -1. */
    long stragglerThreshold(EndpointHealth health) {
        long median = health.latencyPercentile(50);
        return delayMs >= 0 ? delayMs : medianFactor <= 0 || median < 0 ? -1 : Math.round(medianFactor * median);
    }

    /** The planner of up-front spares (it plans none when hedging or spares are off). */
    public SparePlanner planner() {
        return new SparePlanner(enabled ? spareMaxExtraCalls : 0, spareTargetMiss);
    }

    /** A budget for one question of {@code n} candidates (empty when hedging is off). */
    public HedgeBudget budget(int n) {
        return enabled ? HedgeBudget.forQuestion(n, maxExtra) : new HedgeBudget(0);
    }
}
