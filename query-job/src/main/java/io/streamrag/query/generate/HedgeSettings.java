package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/**
 * When to start a spare call ({@code query.hedge.*}): a fixed delay, or the endpoint's observed latency percentile
 * capped at a multiple of its median; and how many spares to start up front ({@link SparePlanner}).
 *
 * @param delayMs the fixed delay, or -1 = use {@code percentile}
 * @param medianFactor the cap of the observed delay in medians; 0 = no cap
 * @param spareMaxExtraCalls up-front spares: at most this share of extra calls (spares and hedges) over the primary
 *        calls; 0 = none
 * @param spareTargetMiss up-front spares: the chance of missing the vote's quorum by the fast calls they aim to stay under
 */
public record HedgeSettings(boolean enabled, long delayMs, double percentile, double medianFactor, double maxExtra,
                            double spareMaxExtraCalls, double spareTargetMiss) implements Serializable {

    /** No hedging and no up-front spares. */
    public static HedgeSettings off() {
        return from(new Configuration().set(QueryOptions.HEDGE_ENABLED, false));
    }

    public static HedgeSettings from(Configuration conf) {
        double maxExtra = conf.get(QueryOptions.HEDGE_MAX_EXTRA);
        return new HedgeSettings(conf.get(QueryOptions.HEDGE_ENABLED) && maxExtra > 0,
                conf.getOptional(QueryOptions.HEDGE_DELAY).map(Duration::toMillis).orElse(-1L),
                conf.get(QueryOptions.HEDGE_PERCENTILE), conf.get(QueryOptions.HEDGE_MEDIAN_FACTOR), maxExtra,
                conf.get(QueryOptions.HEDGE_SPARE_MAX_EXTRA_CALLS), conf.get(QueryOptions.HEDGE_SPARE_TARGET_MISS));
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
